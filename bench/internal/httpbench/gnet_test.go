package httpbench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serveAll feeds the gnet framer the input in the given pieces the way
// gnet does (what serve did not use is offered again with the next bytes)
// and returns the responses and whether it asked to close.
func serveAll(pieces []string) (out string, closed bool) {
	st := newTestStamp()
	gc := new(gnetConn)
	var pending []byte
	for _, p := range pieces {
		pending = append(pending, p...)
		used, _, closeConn := gc.serve(pending, st)
		pending = pending[used:]
		out += string(gc.out)
		gc.out = gc.out[:0]
		if closeConn {
			return out, true
		}
	}
	return out, false
}

func newTestStamp() *stamp {
	c := &clock{server: "gnet"}
	c.refresh(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	return c.now()
}

type wantResp struct {
	code int
	body string
}

// TestGnetFramer feeds requests whole, one byte at a time and split at
// every index, and expects the same responses every time.
func TestGnetFramer(t *testing.T) {
	get := "GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n"
	for _, tc := range []struct {
		name  string
		in    string
		want  []wantResp
		close bool
	}{
		{"GET", get, []wantResp{{200, "Hello, World!"}}, false},
		{"pipelined", get + get + "GET /nope HTTP/1.1\r\n\r\n" + get,
			[]wantResp{{200, "Hello, World!"}, {200, "Hello, World!"}, {404, "Not Found"}, {200, "Hello, World!"}}, false},
		{"POST sized", "POST /echo HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello" + get,
			[]wantResp{{200, "hello"}, {200, "Hello, World!"}}, false},
		{"POST chunked", "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2;x\r\nhe\r\n3\r\nllo\r\n0\r\nT: v\r\n\r\n" + get,
			[]wantResp{{200, "hello"}, {200, "Hello, World!"}}, false},
		{"POST empty", "POST /echo HTTP/1.1\r\nContent-Length: 0\r\n\r\n", []wantResp{{200, ""}}, false},
		{"body of a 404 skipped", "POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc" + get,
			[]wantResp{{404, "Not Found"}, {200, "Hello, World!"}}, false},
		{"Connection: close", "GET /plaintext HTTP/1.1\r\nConnection: close\r\n\r\n" + get,
			[]wantResp{{200, "Hello, World!"}}, true},
		{"bad request line", get + "GARBAGE\r\n\r\n" + get, []wantResp{{200, "Hello, World!"}, {400, ""}}, true},
		{"bad Content-Length", "POST /echo HTTP/1.1\r\nContent-Length: x\r\n\r\n", []wantResp{{400, ""}}, true},
		{"too large", fmt.Sprintf("POST /echo HTTP/1.1\r\nContent-Length: %d\r\n\r\n", MaxBody+1), []wantResp{{413, ""}}, true},
		{"chunk too large", fmt.Sprintf("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n", MaxBody+1),
			[]wantResp{{413, ""}}, true},
	} {
		ways := map[string][]string{"whole": {tc.in}}
		var bytewise []string
		for i := range len(tc.in) {
			bytewise = append(bytewise, tc.in[i:i+1])
		}
		ways["bytewise"] = bytewise
		for i := 1; i < len(tc.in); i++ {
			ways[fmt.Sprintf("split at %d", i)] = []string{tc.in[:i], tc.in[i:]}
		}
		for how, pieces := range ways {
			out, closed := serveAll(pieces)
			if err := checkResponses(out, tc.want); err != nil || closed != tc.close {
				t.Errorf("%s, %s: %v, closed %v\n%s", tc.name, how, err, closed, out)
			}
		}
	}

	// A head with no end in sight: 431.
	out, closed := serveAll([]string{"GET /" + strings.Repeat("a", 70<<10)})
	if err := checkResponses(out, []wantResp{{431, ""}}); err != nil || !closed {
		t.Errorf("endless head: %v, closed %v", err, closed)
	}
	// A large body arriving in pieces is gathered and echoed whole.
	big := strings.Repeat("0123456789abcdef", 1<<14)
	out, _ = serveAll(pieces64k("POST /echo HTTP/1.1\r\nContent-Length: " + fmt.Sprint(len(big)) + "\r\n\r\n" + big))
	if err := checkResponses(out, []wantResp{{200, big}}); err != nil {
		t.Errorf("large body: %v", err)
	}
}

func pieces64k(s string) []string {
	var out []string
	for len(s) > 64<<10 {
		out = append(out, s[:64<<10])
		s = s[64<<10:]
	}
	return append(out, s)
}

// checkResponses parses out as consecutive responses with net/http's
// reader, so the prebuilt bytes are checked too.
func checkResponses(out string, want []wantResp) error {
	br := bufio.NewReader(strings.NewReader(out))
	for i, w := range want {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return fmt.Errorf("response %d: %w", i, err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != w.code || (w.body != "" && string(body) != w.body) ||
			resp.Header.Get("Server") != "gnet" || resp.Header.Get("Date") != "Fri, 02 Jan 2026 03:04:05 GMT" {
			return fmt.Errorf("response %d: %d %q %v, want %d %q", i, resp.StatusCode, body, resp.Header, w.code, w.body)
		}
	}
	if rest, _ := io.ReadAll(br); len(rest) > 0 {
		return fmt.Errorf("%d bytes after the responses: %q", len(rest), rest)
	}
	return nil
}

// A sized body that arrives whole is echoed from the read buffer without
// a copy into the connection's body buffer.
func TestGnetEchoNoGather(t *testing.T) {
	gc := new(gnetConn)
	in := []byte("POST /echo HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
	gc.serve(in, newTestStamp())
	if len(gc.buf) != 0 || !bytes.HasSuffix(gc.out, []byte("\r\n\r\nhello")) {
		t.Fatalf("buf %q, out %q", gc.buf, gc.out)
	}
}

func TestClock(t *testing.T) {
	c := newClock("x")
	st := c.now()
	c.stop()
	d, err := http.ParseTime(st.dateHdr[0])
	if err != nil || time.Since(d).Abs() > 2*time.Second {
		t.Fatalf("Date %q: %v", st.dateHdr[0], err)
	}
	for _, raw := range [][]byte{st.plain, st.notFound, st.tooLarge, st.headTooLarge, st.badRequest} {
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
		if err != nil || resp.Header.Get("Date") != st.dateHdr[0] || resp.Header.Get("Server") != "x" ||
			resp.Header.Get("Content-Type") != "text/plain" {
			t.Errorf("prebuilt %q: %v", raw, err)
		}
	}
	if d := untilNextSecond(time.Date(2026, 1, 1, 0, 0, 0, 250e6, time.UTC)); d != 750*time.Millisecond {
		t.Errorf("untilNextSecond: %v", d)
	}
}
