package h1

import (
	"bytes"
	"fmt"
)

// maxChunkLine bounds a chunk-size line, extensions included.
const maxChunkLine = 4 << 10

type bodyState uint8

const (
	bodyDone      bodyState = iota // complete (the zero Body is an empty body)
	bodySized                      // remain bytes of a Content-Length body to come
	bodyChunkSize                  // a chunk-size line is next
	bodyChunkData                  // remain bytes of the current chunk to come
	bodyChunkCRLF                  // the CRLF after a chunk's data is next
	bodyTrailer                    // trailer field lines, up to a blank line, are next
)

// Body reads one message body, sized or chunked (RFC 9112 sections 6.2
// and 7.1), from input fed in any split: Next consumes what it can and
// returns body data as sub-slices of its input, so a body that arrives
// whole costs no copy. Chunk extensions and trailer fields are skipped.
// The zero Body is a complete empty body.
type Body struct {
	state  bodyState
	remain int64 // bytes of the sized body or of the current chunk still to come
	n      int64 // body bytes so far
	limit  int64
}

// Reset starts the body that f frames: chunked, Content-Length, or none
// (then the body is empty: no request without either has one, RFC 9112
// section 6.3). limit > 0 caps the body's size: Reset returns ErrTooLarge
// for a larger Content-Length, Next for chunks that add up to more.
func (b *Body) Reset(f Fields, limit int64) error {
	*b = Body{limit: limit}
	switch {
	case f.Chunked:
		b.state = bodyChunkSize
	case f.ContentLength > 0:
		if limit > 0 && f.ContentLength > limit {
			return ErrTooLarge
		}
		b.state, b.remain = bodySized, f.ContentLength
	}
	return nil
}

// Done reports whether the whole body has been read.
func (b *Body) Done() bool { return b.state == bodyDone }

// Len is the number of body bytes read so far.
func (b *Body) Len() int64 { return b.n }

// Next reads from p: it returns body data (a sub-slice of p, possibly
// empty) and the number of bytes of p it used. Call it again with p[used:]
// until Done, or until it uses nothing: then it needs more input.
func (b *Body) Next(p []byte) (data []byte, used int, err error) {
	switch b.state {
	case bodySized, bodyChunkData:
		k := int(min(int64(len(p)), b.remain))
		b.remain -= int64(k)
		b.n += int64(k)
		if b.remain == 0 {
			if b.state == bodySized {
				b.state = bodyDone
			} else {
				b.state = bodyChunkCRLF
			}
		}
		return p[:k], k, nil
	case bodyChunkCRLF:
		if len(p) < 2 {
			if len(p) == 1 && p[0] != '\r' {
				return nil, 0, fmt.Errorf("%w: chunk data longer than its size", ErrFraming)
			}
			return nil, 0, nil
		}
		if p[0] != '\r' || p[1] != '\n' {
			return nil, 0, fmt.Errorf("%w: chunk data longer than its size", ErrFraming)
		}
		b.state = bodyChunkSize
		return nil, 2, nil
	case bodyChunkSize, bodyTrailer:
		line, used, err := b.nextLine(p)
		if err != nil || used == 0 {
			return nil, 0, err
		}
		if b.state == bodyTrailer {
			if len(line) == 0 {
				b.state = bodyDone
			}
			return nil, used, nil
		}
		size, err := parseChunkSize(line)
		if err != nil {
			return nil, 0, err
		}
		if size == 0 {
			b.state = bodyTrailer
			return nil, used, nil
		}
		if b.limit > 0 && b.n+size > b.limit {
			return nil, 0, ErrTooLarge
		}
		b.state, b.remain = bodyChunkData, size
		return nil, used, nil
	}
	return nil, 0, nil
}

// nextLine returns the line at the start of p without its CRLF, or used 0
// when p does not hold all of it yet.
func (b *Body) nextLine(p []byte) (line []byte, used int, err error) {
	i := bytes.IndexByte(p, '\n')
	if i < 0 {
		if len(p) > maxChunkLine {
			return nil, 0, fmt.Errorf("%w: chunk-size or trailer line longer than %d bytes", ErrFraming, maxChunkLine)
		}
		return nil, 0, nil
	}
	if i > maxChunkLine {
		return nil, 0, fmt.Errorf("%w: chunk-size or trailer line longer than %d bytes", ErrFraming, maxChunkLine)
	}
	return bytes.TrimSuffix(p[:i], []byte("\r")), i + 1, nil
}

// parseChunkSize reads the hexadecimal size of a chunk-size line, ignoring
// extensions (";name=value") and the whitespace before them.
func parseChunkSize(line []byte) (int64, error) {
	hex := line
	if i := bytes.IndexByte(hex, ';'); i >= 0 {
		hex = hex[:i]
	}
	hex = bytes.TrimRight(hex, " \t")
	if len(hex) == 0 || len(hex) > 15 {
		return 0, fmt.Errorf("%w: chunk size %q", ErrFraming, clip(line))
	}
	var n int64
	for _, c := range hex {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, fmt.Errorf("%w: chunk size %q", ErrFraming, clip(line))
		}
		n = n<<4 | int64(d)
	}
	return n, nil
}
