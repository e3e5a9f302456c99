package wsproto_test

import (
	"errors"
	"fmt"
)

// refInflater is a small, slow DEFLATE decoder (RFC 1951) written for the
// tests, independent of klauspost/compress: it checks the Deflater's output
// a second way and measures the longest back-reference, which must fit the
// agreed window. It decodes one permessage-deflate message at a time,
// keeping the history across messages (context takeover) until reset.
type refInflater struct {
	hist    []byte
	maxDist int // longest distance seen since the last reset
}

type bitReader struct {
	b   []byte
	pos int // next byte
	bit uint
	acc uint32
}

var errShort = errors.New("ref: input too short")

func (r *bitReader) bits(n uint) (int, error) {
	for r.bit < n {
		if r.pos == len(r.b) {
			return 0, errShort
		}
		r.acc |= uint32(r.b[r.pos]) << r.bit
		r.pos++
		r.bit += 8
	}
	v := int(r.acc & (1<<n - 1))
	r.acc >>= n
	r.bit -= n
	return v, nil
}

// huffman is a canonical Huffman code: how many codes of each length and
// the symbols in code order.
type huffman struct {
	count  [16]int
	symbol []int
}

func newHuffman(lengths []int) huffman {
	var h huffman
	for _, l := range lengths {
		h.count[l]++
	}
	h.count[0] = 0
	var offs [16]int
	for l := 1; l < 16; l++ {
		offs[l] = offs[l-1] + h.count[l-1]
	}
	h.symbol = make([]int, len(lengths))
	for s, l := range lengths {
		if l != 0 {
			h.symbol[offs[l]] = s
			offs[l]++
		}
	}
	return h
}

// decode reads one symbol: codes are read most significant bit first, and
// the codes of each length are consecutive, starting where the previous
// length's ended, doubled.
func (r *bitReader) decode(h *huffman) (int, error) {
	code, first, index := 0, 0, 0
	for l := 1; l < 16; l++ {
		b, err := r.bits(1)
		if err != nil {
			return 0, err
		}
		code |= b
		n := h.count[l]
		if code-first < n {
			return h.symbol[index+code-first], nil
		}
		index += n
		first = (first + n) << 1
		code <<= 1
	}
	return 0, errors.New("ref: invalid Huffman code")
}

var (
	lengthBase  [29]int
	lengthExtra [29]uint
	distBase    [30]int
	distExtra   [30]uint
	fixedLit    huffman
	fixedDist   huffman
)

func init() {
	// RFC 1951 section 3.2.5.
	base := 3
	for i := 0; i < 28; i++ {
		if i >= 8 {
			lengthExtra[i] = uint(i/4 - 1)
		}
		lengthBase[i] = base
		base += 1 << lengthExtra[i]
	}
	lengthBase[28], lengthExtra[28] = 258, 0
	base = 1
	for i := 0; i < 30; i++ {
		if i >= 4 {
			distExtra[i] = uint(i/2 - 1)
		}
		distBase[i] = base
		base += 1 << distExtra[i]
	}
	// Section 3.2.6.
	lit := make([]int, 288)
	for i := range lit {
		switch {
		case i < 144:
			lit[i] = 8
		case i < 256:
			lit[i] = 9
		case i < 280:
			lit[i] = 7
		default:
			lit[i] = 8
		}
	}
	fixedLit = newHuffman(lit)
	dist := make([]int, 30)
	for i := range dist {
		dist[i] = 5
	}
	fixedDist = newHuffman(dist)
}

// message decodes one message's payload (without its sync tail) and
// returns the decompressed bytes.
func (d *refInflater) message(p []byte) ([]byte, error) {
	r := &bitReader{b: append(append([]byte(nil), p...), 0, 0, 0xff, 0xff)}
	start := len(d.hist)
	for r.pos < len(r.b) {
		final, err := r.bits(1)
		if err != nil {
			return nil, err
		}
		typ, err := r.bits(2)
		if err != nil {
			return nil, err
		}
		switch typ {
		case 0:
			r.acc, r.bit = 0, 0 // to a byte boundary
			if r.pos+4 > len(r.b) {
				return nil, errShort
			}
			n := int(r.b[r.pos]) | int(r.b[r.pos+1])<<8
			nn := int(r.b[r.pos+2]) | int(r.b[r.pos+3])<<8
			r.pos += 4
			if n != ^nn&0xFFFF || r.pos+n > len(r.b) {
				return nil, errors.New("ref: bad stored block")
			}
			d.hist = append(d.hist, r.b[r.pos:r.pos+n]...)
			r.pos += n
		case 1:
			if err := d.codes(r, &fixedLit, &fixedDist); err != nil {
				return nil, err
			}
		case 2:
			lit, dist, err := dynamicTables(r)
			if err != nil {
				return nil, err
			}
			if err := d.codes(r, &lit, &dist); err != nil {
				return nil, err
			}
		default:
			return nil, errors.New("ref: reserved block type")
		}
		if final == 1 {
			break
		}
	}
	return d.hist[start:], nil
}

func dynamicTables(r *bitReader) (lit, dist huffman, err error) {
	hlit, err1 := r.bits(5)
	hdist, err2 := r.bits(5)
	hclen, err3 := r.bits(4)
	if err := errors.Join(err1, err2, err3); err != nil {
		return lit, dist, err
	}
	order := []int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
	cl := make([]int, 19)
	for i := 0; i < hclen+4; i++ {
		if cl[order[i]], err = r.bits(3); err != nil {
			return lit, dist, err
		}
	}
	clh := newHuffman(cl)
	lengths := make([]int, 0, hlit+257+hdist+1)
	for len(lengths) < hlit+257+hdist+1 {
		sym, err := r.decode(&clh)
		if err != nil {
			return lit, dist, err
		}
		rep, val := 1, sym
		switch sym {
		case 16:
			if len(lengths) == 0 {
				return lit, dist, errors.New("ref: repeat with no length")
			}
			n, err := r.bits(2)
			if err != nil {
				return lit, dist, err
			}
			rep, val = 3+n, lengths[len(lengths)-1]
		case 17:
			n, err := r.bits(3)
			if err != nil {
				return lit, dist, err
			}
			rep, val = 3+n, 0
		case 18:
			n, err := r.bits(7)
			if err != nil {
				return lit, dist, err
			}
			rep, val = 11+n, 0
		}
		for ; rep > 0; rep-- {
			lengths = append(lengths, val)
		}
	}
	if len(lengths) != hlit+257+hdist+1 {
		return lit, dist, errors.New("ref: code lengths overflow")
	}
	return newHuffman(lengths[:hlit+257]), newHuffman(lengths[hlit+257:]), nil
}

func (d *refInflater) codes(r *bitReader, lit, dist *huffman) error {
	for {
		sym, err := r.decode(lit)
		if err != nil {
			return err
		}
		switch {
		case sym < 256:
			d.hist = append(d.hist, byte(sym))
			continue
		case sym == 256:
			return nil
		case sym > 285:
			return fmt.Errorf("ref: length symbol %d", sym)
		}
		extra, err := r.bits(lengthExtra[sym-257])
		if err != nil {
			return err
		}
		length := lengthBase[sym-257] + extra
		ds, err := r.decode(dist)
		if err != nil {
			return err
		}
		if ds >= 30 {
			return fmt.Errorf("ref: distance symbol %d", ds)
		}
		extra, err = r.bits(distExtra[ds])
		if err != nil {
			return err
		}
		distance := distBase[ds] + extra
		if distance > len(d.hist) {
			return fmt.Errorf("ref: distance %d beyond the %d bytes of history", distance, len(d.hist))
		}
		d.maxDist = max(d.maxDist, distance)
		for i := 0; i < length; i++ {
			d.hist = append(d.hist, d.hist[len(d.hist)-distance])
		}
	}
}

func (d *refInflater) reset() { d.hist = d.hist[:0] }
