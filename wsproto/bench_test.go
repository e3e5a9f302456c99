package wsproto_test

import (
	"fmt"
	"testing"
	"unicode/utf8"

	"github.com/gale-io/gale/wsproto"
)

// frameStream is a buffer of identical frames a client sends (masked, as a
// server reads them), for parsing again and again. Parsing unmasks payloads
// in place, so a second pass sees them masked back; binary payloads do not
// care, and text frames use the all-zero key, which keeps them readable
// while still running the XOR.
type frameStream struct {
	buf     []byte
	payload int
}

func newFrameStream(op wsproto.Opcode, payload int, total int) *frameStream {
	key := [4]byte{0x11, 0x22, 0x33, 0x44}
	p := []byte(pattern(payload))
	if op == wsproto.OpText {
		key = [4]byte{}
	}
	s := &frameStream{payload: payload}
	for len(s.buf) < total || len(s.buf) == 0 {
		s.buf = wsproto.AppendFrame(s.buf, true, false, op, true, key, p)
	}
	return s
}

// readMessage parses one message at in[off:] and returns the offset after it.
func readMessage(r *wsproto.Reader, in []byte, off int) int {
	for {
		e, n, err := r.Next(in[off:])
		if err != nil {
			panic(err)
		}
		off += n
		switch e.Kind {
		case wsproto.MessageEnd:
			if off == len(in) {
				off = 0
			}
			return off
		case wsproto.NeedMore:
			panic("NeedMore inside a whole frame")
		}
	}
}

func BenchmarkReader(b *testing.B) {
	for _, op := range []wsproto.Opcode{wsproto.OpBinary, wsproto.OpText} {
		for _, size := range []int{64, 4 << 10, 64 << 10} {
			b.Run(fmt.Sprintf("%v/%d", op, size), func(b *testing.B) {
				s := newFrameStream(op, size, 256<<10)
				r := wsproto.NewReader(wsproto.Server, nil)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				off := 0
				for b.Loop() {
					off = readMessage(r, s.buf, off)
				}
			})
		}
	}
}

// Parsing masked frames, control frames included, allocates nothing.
func TestReaderAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector skews allocation counts")
	}
	for _, size := range []int{64, 4 << 10, 70 << 10} {
		// The all-zero key: parsing unmasks in place, and every run must
		// see the same bytes.
		var in []byte
		in = wsproto.AppendFrame(in, false, false, wsproto.OpText, true, [4]byte{}, []byte(pattern(size)))
		in, _ = wsproto.AppendPing(in, true, [4]byte{}, []byte("ping"))
		in = wsproto.AppendFrame(in, true, false, wsproto.OpContinuation, true, [4]byte{}, []byte(pattern(size)))
		in, _ = wsproto.AppendClose(in, true, [4]byte{}, wsproto.CloseNormal, "bye")
		r := wsproto.NewReader(wsproto.Server, nil)
		n := testing.AllocsPerRun(100, func() {
			r.Reset()
			for off := 0; ; {
				e, n, err := r.Next(in[off:])
				if err != nil {
					panic(err)
				}
				off += n
				if e.Kind == wsproto.Close {
					break
				}
			}
		})
		if n != 0 {
			t.Errorf("%d-byte frames: %v allocations per run, want 0", size, n)
		}
	}
}

// messages returns count text-like messages of size bytes each.
func messages(size, count int) [][]byte {
	corpus := textLike(size*count+size, uint64(size))
	out := make([][]byte, count)
	for i := range out {
		m := corpus[i*size : (i+1)*size]
		for !utf8.Valid(m) { // keep the cut inside whole runes
			m = m[:len(m)-1]
		}
		out[i] = m
	}
	return out
}

var deflateBenchSizes = []int{256, 4 << 10, 64 << 10}

func BenchmarkDeflate(b *testing.B) {
	for _, nct := range []bool{false, true} {
		for _, size := range deflateBenchSizes {
			b.Run(fmt.Sprintf("takeover=%v/%d", !nct, size), func(b *testing.B) {
				msgs := messages(size, 64)
				d := wsproto.NewDeflater(wsproto.Server, wsproto.DeflateParams{ServerNoContextTakeover: nct}, nil)
				var out []byte
				var in, outBytes int
				b.SetBytes(int64(size))
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					out = d.Compress(out[:0], msgs[i%len(msgs)])
					in += len(msgs[i%len(msgs)])
					outBytes += len(out)
					i++
				}
				b.ReportMetric(float64(outBytes)/float64(in), "ratio")
			})
		}
	}
}

func BenchmarkInflate(b *testing.B) {
	for _, nct := range []bool{false, true} {
		for _, size := range deflateBenchSizes {
			b.Run(fmt.Sprintf("takeover=%v/%d", !nct, size), func(b *testing.B) {
				p := wsproto.DeflateParams{ServerNoContextTakeover: nct}
				msgs := messages(size, 64)
				d := wsproto.NewDeflater(wsproto.Server, p, nil)
				comp := make([][]byte, len(msgs))
				for i, m := range msgs {
					comp[i] = d.Compress(nil, m)
				}
				f := wsproto.NewInflater(wsproto.Client, p, nil)
				var out []byte
				var err error
				b.SetBytes(int64(size))
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if i%len(comp) == 0 {
						f.Reset() // the compressed sequence starts over
					}
					if out, err = f.Inflate(out[:0], comp[i%len(comp)], true); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}

// Compressing and inflating in steady state allocate nothing.
func TestDeflateAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector skews allocation counts")
	}
	for _, nct := range []bool{false, true} {
		p := wsproto.DeflateParams{ServerNoContextTakeover: nct, ClientNoContextTakeover: nct}
		msgs := messages(4<<10, 8)
		d := wsproto.NewDeflater(wsproto.Server, p, nil)
		f := wsproto.NewInflater(wsproto.Client, p, nil)
		comp := make([]byte, 0, 64<<10)
		out := make([]byte, 0, 64<<10)
		var err error
		round := func() {
			for _, m := range msgs {
				comp = d.Compress(comp[:0], m)
				if out, err = f.Inflate(out[:0], comp, true); err != nil {
					panic(err)
				}
			}
		}
		for range 10 { // warm up: buffers grow to their steady size
			round()
		}
		if n := testing.AllocsPerRun(20, round); n != 0 {
			t.Errorf("context takeover %v: %v allocations per round of %d messages, want 0", !nct, n, len(msgs))
		}
	}
}
