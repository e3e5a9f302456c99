package h1

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/gale-io/gale/bench/internal/benchtest"
)

func TestMain(m *testing.M) { os.Exit(benchtest.Main(m)) }

// readBody feeds in to a Body framed by f in the given pieces and returns
// the body, the bytes left after it, and the first error.
func readBody(f Fields, limit int64, pieces [][]byte) (body []byte, rest []byte, err error) {
	var b Body
	if err := b.Reset(f, limit); err != nil {
		return nil, nil, err
	}
	var pending []byte // input not used yet, as a reader would keep it
	for _, p := range pieces {
		pending = append(pending, p...)
		for !b.Done() {
			data, n, err := b.Next(pending)
			if err != nil {
				return body, nil, err
			}
			body = append(body, data...)
			pending = pending[n:]
			if n == 0 {
				break
			}
		}
	}
	if !b.Done() {
		return body, pending, errors.New("incomplete")
	}
	if b.Len() != int64(len(body)) {
		return body, pending, errors.New("Len disagrees")
	}
	return body, pending, nil
}

// splits returns the input whole, one byte at a time, and split in two at
// every index.
func splits(in string) map[string][][]byte {
	out := map[string][][]byte{"whole": {[]byte(in)}}
	var bytewise [][]byte
	for i := range len(in) {
		bytewise = append(bytewise, []byte{in[i]})
	}
	out["bytewise"] = bytewise
	for i := 1; i < len(in); i++ {
		out[fmt.Sprintf("split at %d", i)] = [][]byte{[]byte(in[:i]), []byte(in[i:])}
	}
	return out
}

func TestBody(t *testing.T) {
	sized := Fields{ContentLength: 5}
	chunked := Fields{ContentLength: -1, Chunked: true}
	for _, tc := range []struct {
		name   string
		f      Fields
		limit  int64
		in     string
		body   string
		rest   string
		errIs  error // nil: no error
		errHas string
	}{
		{name: "sized", f: sized, in: "hello", body: "hello"},
		{name: "sized with the next message", f: sized, in: "helloGET /", body: "hello", rest: "GET /"},
		{name: "no body", f: Fields{ContentLength: -1}, in: "GET /", rest: "GET /"},
		{name: "zero length", f: Fields{ContentLength: 0}, in: "x", rest: "x"},
		{name: "chunked", f: chunked, in: "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n", body: "hello, world"},
		{name: "chunked upper hex, extension, trailer", f: chunked,
			in: "A;ext=1\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\nnext", body: "0123456789", rest: "next"},
		{name: "chunk size with whitespace before the extension", f: chunked, in: "3 \t;x\r\nabc\r\n0\r\n\r\n", body: "abc"},
		{name: "chunked bare LF lines", f: chunked, in: "3\nabc\r\n0\n\n", body: "abc"},
		{name: "chunk longer than its size", f: chunked, in: "3\r\nabcd\r\n0\r\n\r\n", errIs: ErrFraming, errHas: "longer than its size"},
		{name: "bad chunk size", f: chunked, in: "x\r\n", errIs: ErrFraming, errHas: "chunk size"},
		{name: "empty chunk size", f: chunked, in: "\r\n", errIs: ErrFraming},
		{name: "huge chunk size", f: chunked, in: "1000000000000000\r\n", errIs: ErrFraming},
		{name: "chunked over the limit", f: chunked, limit: 4, in: "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", errIs: ErrTooLarge},
		{name: "chunked at the limit", f: chunked, limit: 5, in: "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", body: "abcde"},
		{name: "sized over the limit", f: sized, limit: 4, in: "hello", errIs: ErrTooLarge},
		{name: "chunk line too long", f: chunked, in: "1;" + strings.Repeat("x", maxChunkLine) + "\r\n", errIs: ErrFraming},
	} {
		for how, pieces := range splits(tc.in) {
			body, rest, err := readBody(tc.f, tc.limit, pieces)
			if tc.errIs != nil {
				if !errors.Is(err, tc.errIs) || !strings.Contains(err.Error(), tc.errHas) {
					t.Errorf("%s, %s: error %v, want %v (%q)", tc.name, how, err, tc.errIs, tc.errHas)
				}
				continue
			}
			if err != nil || string(body) != tc.body || string(rest) != tc.rest {
				t.Errorf("%s, %s: body %q rest %q err %v; want %q, %q", tc.name, how, body, rest, err, tc.body, tc.rest)
			}
		}
	}
}

// A body that arrives whole is handed out without a copy.
func TestBodyNoCopy(t *testing.T) {
	in := []byte("hello")
	var b Body
	b.Reset(Fields{ContentLength: 5}, 0)
	data, n, err := b.Next(in)
	if err != nil || n != 5 || &data[0] != &in[0] || !b.Done() {
		t.Fatalf("data %q n %d err %v done %v", data, n, err, b.Done())
	}
}

func TestHead(t *testing.T) {
	head := "HTTP/1.1 200 OK\r\nServer: x\r\ncontent-LENGTH:  13 \r\nConnection: keep-alive, Close\r\n\r\n"
	in := head + "Hello, World!"
	for i := range len(head) - 1 {
		if n, err := HeadLen([]byte(in[:i])); n != 0 || err != nil {
			t.Fatalf("HeadLen of %d bytes: %d, %v", i, n, err)
		}
	}
	n, err := HeadLen([]byte(in))
	if err != nil || n != len(head) {
		t.Fatalf("HeadLen: %d, %v; want %d", n, err, len(head))
	}
	start, fields := SplitHead([]byte(in[:n]))
	code, err := ParseStatusLine(start)
	if err != nil || code != 200 {
		t.Fatalf("status %d, %v", code, err)
	}
	f, err := ParseFields(fields)
	if err != nil || f != (Fields{ContentLength: 13, Close: true}) {
		t.Fatalf("fields %+v, %v", f, err)
	}
	if _, err := HeadLen(bytes.Repeat([]byte("x"), MaxHead)); !errors.Is(err, ErrHeadTooLarge) {
		t.Fatalf("a head without end: %v", err)
	}
}

func TestStartLines(t *testing.T) {
	for line, want := range map[string]int{
		"HTTP/1.1 200 OK": 200, "HTTP/1.0 404 Not Found": 404, "HTTP/1.1 413": 413,
		"HTTP/1.1 20 OK": -1, "HTTP/2 200 OK": -1, "HTTP/1.1 2x0 OK": -1, "HTTP/1.1 2000 OK": -1, "": -1,
	} {
		code, err := ParseStatusLine([]byte(line))
		if (want < 0) != (err != nil) || (want >= 0 && code != want) {
			t.Errorf("%q: %d, %v", line, code, err)
		}
	}
	m, target, err := ParseRequestLine([]byte("POST /echo?x=1 HTTP/1.1"))
	if err != nil || string(m) != "POST" || string(target) != "/echo?x=1" {
		t.Errorf("request line: %q %q %v", m, target, err)
	}
	for _, bad := range []string{"GET /", "GET  HTTP/1.1", " / HTTP/1.1", "GET / SPDY/3"} {
		if _, _, err := ParseRequestLine([]byte(bad)); !errors.Is(err, ErrFraming) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestFields(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Fields
		bad  bool
	}{
		{in: "\r\n", want: Fields{ContentLength: -1}},
		{in: "Transfer-Encoding: gzip, chunked\r\n\r\n", want: Fields{ContentLength: -1, Chunked: true}},
		{in: "Content-Length: 3\r\nContent-Length: 3\r\n\r\n", want: Fields{ContentLength: 3}},
		{in: "Content-Length: 3\r\nContent-Length: 4\r\n\r\n", bad: true},
		{in: "Content-Length: -3\r\n\r\n", bad: true},
		{in: "Content-Length: 3x\r\n\r\n", bad: true},
		{in: "Content-Length:\r\n\r\n", bad: true},
		{in: "Transfer-Encoding: gzip\r\n\r\n", bad: true},
		{in: "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", bad: true},
		{in: ": empty name\r\n\r\n", bad: true},
		{in: "no colon\r\n\r\n", bad: true},
		{in: "Connection: closed\r\n\r\n", want: Fields{ContentLength: -1}},
	} {
		f, err := ParseFields([]byte(tc.in))
		if tc.bad {
			if !errors.Is(err, ErrFraming) {
				t.Errorf("%q: %+v, %v; want an error", tc.in, f, err)
			}
			continue
		}
		if err != nil || f != tc.want {
			t.Errorf("%q: %+v, %v; want %+v", tc.in, f, err, tc.want)
		}
	}
}
