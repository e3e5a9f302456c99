package h1

import (
	"bytes"
	"errors"
	"fmt"
)

// MaxHead is the largest head (start line and field lines) the framers
// accept; a peer that sends more without a blank line is wrong or hostile.
const MaxHead = 64 << 10

var (
	// ErrFraming is wrapped by every error about a message that cannot be
	// framed: a malformed start line, Content-Length or chunk, or a
	// transfer coding other than chunked.
	ErrFraming = errors.New("h1: cannot frame the message")
	// ErrHeadTooLarge: no blank line within MaxHead bytes.
	ErrHeadTooLarge = errors.New("h1: head larger than 64 KiB")
	// ErrTooLarge: the body is larger than the limit given to Body.Reset.
	ErrTooLarge = errors.New("h1: body larger than the limit")
)

var crlfcrlf = []byte("\r\n\r\n")

// HeadLen returns the length of the head at the start of p, up to and
// including the blank line, or 0 when p does not hold a whole head yet
// (ErrHeadTooLarge when it never will).
func HeadLen(p []byte) (int, error) {
	if i := bytes.Index(p, crlfcrlf); i >= 0 {
		if i+4 > MaxHead {
			return 0, ErrHeadTooLarge
		}
		return i + 4, nil
	}
	if len(p) >= MaxHead {
		return 0, ErrHeadTooLarge
	}
	return 0, nil
}

// SplitHead splits a whole head (as HeadLen measured it) into its start
// line, without its CRLF, and its field lines, each ending in CRLF, the
// blank line included.
func SplitHead(head []byte) (start, fields []byte) {
	i := bytes.IndexByte(head, '\n')
	if i < 0 {
		return head, nil
	}
	return bytes.TrimSuffix(head[:i], []byte("\r")), head[i+1:]
}

// ParseStatusLine returns the status code of a status line such as
// "HTTP/1.1 200 OK" (RFC 9112 section 4).
func ParseStatusLine(line []byte) (int, error) {
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' ||
		(len(line) > 12 && line[12] != ' ') {
		return 0, fmt.Errorf("%w: status line %q", ErrFraming, clip(line))
	}
	code := 0
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: status line %q", ErrFraming, clip(line))
		}
		code = 10*code + int(c-'0')
	}
	return code, nil
}

// ParseRequestLine returns the method and request target of a request line
// such as "GET /plaintext HTTP/1.1" (RFC 9112 section 3). The slices point
// into line.
func ParseRequestLine(line []byte) (method, target []byte, err error) {
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 <= 0 {
		return nil, nil, fmt.Errorf("%w: request line %q", ErrFraming, clip(line))
	}
	rest := line[sp1+1:]
	sp2 := bytes.IndexByte(rest, ' ')
	if sp2 <= 0 || !bytes.HasPrefix(rest[sp2+1:], []byte("HTTP/1.")) {
		return nil, nil, fmt.Errorf("%w: request line %q", ErrFraming, clip(line))
	}
	return line[:sp1], rest[:sp2], nil
}

// Fields are the header fields that frame a message (RFC 9112 section 6).
type Fields struct {
	ContentLength int64 // -1 when there is none
	Chunked       bool  // Transfer-Encoding ends in chunked
	Close         bool  // Connection: close
}

// ParseFields reads field lines (SplitHead's fields) for the framing
// fields and ignores the rest. A message with both Content-Length and
// Transfer-Encoding, with Content-Lengths that disagree, or with a
// transfer coding other than chunked is an error: RFC 9112 section 6.3
// lets a recipient reject the first, and the last cannot be framed
// without reading to the end of the connection, which a keep-alive
// benchmark never does.
func ParseFields(fields []byte) (Fields, error) {
	f := Fields{ContentLength: -1}
	te := false
	for len(fields) > 0 {
		i := bytes.IndexByte(fields, '\n')
		if i < 0 {
			i = len(fields)
		}
		line := bytes.TrimSuffix(fields[:i], []byte("\r"))
		fields = fields[min(i+1, len(fields)):]
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return f, fmt.Errorf("%w: field line %q", ErrFraming, clip(line))
		}
		name, value := line[:colon], bytes.Trim(line[colon+1:], " \t")
		switch {
		case equalFold(name, "content-length"):
			n, ok := parseDecimal(value)
			if !ok || (f.ContentLength >= 0 && f.ContentLength != n) {
				return f, fmt.Errorf("%w: Content-Length %q", ErrFraming, clip(value))
			}
			f.ContentLength = n
		case equalFold(name, "transfer-encoding"):
			te = true
			last := value
			if j := bytes.LastIndexByte(value, ','); j >= 0 {
				last = bytes.Trim(value[j+1:], " \t")
			}
			if !equalFold(last, "chunked") {
				return f, fmt.Errorf("%w: Transfer-Encoding %q", ErrFraming, clip(value))
			}
			f.Chunked = true
		case equalFold(name, "connection"):
			for tok := range bytes.SplitSeq(value, []byte(",")) {
				if equalFold(bytes.Trim(tok, " \t"), "close") {
					f.Close = true
				}
			}
		}
	}
	if te && f.ContentLength >= 0 {
		return f, fmt.Errorf("%w: both Content-Length and Transfer-Encoding", ErrFraming)
	}
	return f, nil
}

// parseDecimal parses a Content-Length: digits only, at most 18 of them.
func parseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = 10*n + int64(c-'0')
	}
	return n, true
}

// equalFold compares b with lower, an ASCII lower-case word.
func equalFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// clip shortens what an error quotes.
func clip(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}
