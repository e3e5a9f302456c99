package httpproto

import (
	"bytes"
	"errors"
	"testing"
)

func TestEncoderResponses(t *testing.T) {
	hdr := func(kv ...string) *Headers {
		var h Headers
		for i := 0; i < len(kv); i += 2 {
			h.Add(kv[i], kv[i+1])
		}
		return &h
	}
	http11 := RequestInfo{KeepAlive: true}
	for _, tc := range []struct {
		name   string
		req    RequestInfo
		status int
		h      *Headers
		body   []string
		want   string
		keep   bool
	}{
		{"sized", http11, 200, hdr("Content-Length", "5"), []string{"he", "llo"},
			"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", true},
		{"chunked by default", http11, 200, nil, []string{"abc", "", "de"},
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", true},
		{"explicit chunked", http11, 200, hdr("Transfer-Encoding", "chunked"), []string{"x"},
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n", true},
		{"http10 close-delimited", RequestInfo{HTTP10: true, KeepAlive: true}, 200, nil, []string{"abc"},
			"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabc", false},
		{"http10 keep-alive sized", RequestInfo{HTTP10: true, KeepAlive: true}, 200, hdr("Content-Length", "1"), []string{"a"},
			"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\na", true},
		{"request said close", RequestInfo{}, 200, hdr("Content-Length", "0"), nil,
			"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", false},
		{"handler said close", http11, 200, hdr("Content-Length", "0", "Connection", "close"), nil,
			"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", false},
		{"handler's keep-alive replaced when closing", RequestInfo{}, 200, hdr("Connection", "keep-alive", "Content-Length", "0"), nil,
			"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", false},
		{"handler's close sent once", http11, 200, hdr("Connection", "close", "Content-Length", "0", "Connection", "x-hop"), nil,
			"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", false},
		{"204", http11, 204, nil, nil, "HTTP/1.1 204 No Content\r\n\r\n", true},
		{"304 keeps length", http11, 304, hdr("Content-Length", "10"), nil,
			"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", true},
		{"HEAD keeps length", RequestInfo{Head: true, KeepAlive: true}, 200, hdr("Content-Length", "10"), nil,
			"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true},
		{"custom reason", http11, 299, hdr("Content-Length", "0"), nil, "HTTP/1.1 299 Fine\r\nContent-Length: 0\r\n\r\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e Encoder
			reason := ""
			if tc.status == 299 {
				reason = "Fine"
			}
			out, err := e.AppendResponseHead(nil, tc.req, tc.status, reason, tc.h)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range tc.body {
				if out, err = e.AppendBody(out, []byte(b)); err != nil {
					t.Fatal(err)
				}
			}
			if out, err = e.AppendEnd(out, nil); err != nil {
				t.Fatal(err)
			}
			if string(out) != tc.want {
				t.Errorf("got  %q\nwant %q", out, tc.want)
			}
			if e.KeepAlive() != tc.keep {
				t.Errorf("KeepAlive = %v, want %v", e.KeepAlive(), tc.keep)
			}
			if e.InBody() {
				t.Error("still in body after AppendEnd")
			}
		})
	}
}

func TestEncoderInterimAndSwitch(t *testing.T) {
	var e Encoder
	out, err := e.AppendResponseHead(nil, RequestInfo{KeepAlive: true}, 103, "", nil)
	if err != nil || string(out) != "HTTP/1.1 103 Early Hints\r\n\r\n" || e.InBody() {
		t.Fatalf("interim: %q %v %v", out, err, e.InBody())
	}
	var h Headers
	h.Add("Upgrade", "websocket")
	h.Add("Connection", "Upgrade")
	out, err = e.AppendResponseHead(out[:0], RequestInfo{KeepAlive: true}, 101, "", &h)
	if err != nil || string(out) != "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n" {
		t.Fatalf("101: %q %v", out, err)
	}
	if e.KeepAlive() {
		t.Error("101 keeps the HTTP connection alive")
	}
}

func TestEncoderMisuse(t *testing.T) {
	sized := func() *Encoder {
		var h Headers
		h.Add("Content-Length", "3")
		var e Encoder
		if _, err := e.AppendResponseHead(nil, RequestInfo{KeepAlive: true}, 200, "", &h); err != nil {
			t.Fatal(err)
		}
		return &e
	}
	e := sized()
	if _, err := e.AppendBody(nil, []byte("toolong")); !errors.Is(err, ErrInvalidOutput) {
		t.Errorf("overlong body: %v", err)
	}
	if _, err := e.AppendEnd(nil, nil); err == nil || e.KeepAlive() {
		t.Errorf("encoder usable after a failure: %v", err)
	}
	e = sized()
	e.AppendBody(nil, []byte("ab"))
	if _, err := e.AppendEnd(nil, nil); !errors.Is(err, ErrInvalidOutput) {
		t.Errorf("short body: %v", err)
	}
	var h Headers
	h.Add("X", "a\r\nb")
	var e2 Encoder
	if out, err := e2.AppendResponseHead([]byte("keep"), RequestInfo{}, 200, "", &h); !errors.Is(err, ErrInvalidOutput) || string(out) != "keep" {
		t.Errorf("header injection: %q %v", out, err)
	}
	for _, kv := range [][2]string{{"Transfer-Encoding", "gzip"}, {"Content-Length", "x"}, {"Content-Length", "-1"}} {
		var h Headers
		h.Add(kv[0], kv[1])
		var e Encoder
		if _, err := e.AppendResponseHead(nil, RequestInfo{}, 200, "", &h); !errors.Is(err, ErrInvalidOutput) {
			t.Errorf("%s: %s accepted: %v", kv[0], kv[1], err)
		}
	}
	var e3 Encoder
	if _, err := e3.AppendResponseHead(nil, RequestInfo{Head: true, KeepAlive: true}, 200, "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e3.AppendBody(nil, []byte("x")); !errors.Is(err, ErrInvalidOutput) {
		t.Errorf("body on HEAD: %v", err)
	}
	var e4 Encoder
	if _, err := e4.AppendResponseHead(nil, RequestInfo{}, 1000, "", nil); err == nil {
		t.Error("status 1000 accepted")
	}
	if _, err := e4.AppendResponseHead(nil, RequestInfo{}, 200, "bad\r\n", nil); err == nil {
		t.Error("reason with CRLF accepted")
	}
}

func TestEncoderRequests(t *testing.T) {
	for _, tc := range []struct {
		method string
		size   int64
		keep   bool
		body   string
		want   string
	}{
		{"GET", 0, true, "", "GET /p HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"POST", 0, true, "", "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"},
		{"POST", 3, false, "abc", "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"},
		{"PUT", -1, true, "abc", "PUT /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
	} {
		var h Headers
		h.Add("Host", "h")
		var e Encoder
		out, err := e.AppendRequestHead(nil, tc.method, "/p", &h, tc.size, tc.keep)
		if err != nil {
			t.Fatal(err)
		}
		out, _ = e.AppendBody(out, []byte(tc.body))
		out, err = e.AppendEnd(out, nil)
		if err != nil || string(out) != tc.want {
			t.Errorf("%s %d: got %q (%v)\nwant %q", tc.method, tc.size, out, err, tc.want)
		}
	}
	var e Encoder
	if _, err := e.AppendRequestHead(nil, "GE T", "/", nil, 0, true); err == nil {
		t.Error("invalid method accepted")
	}
	if _, err := e.AppendRequestHead(nil, "GET", "/a b", nil, 0, true); err == nil {
		t.Error("target with a space accepted")
	}
}

func TestEncoderTrailers(t *testing.T) {
	var e Encoder
	out, _ := e.AppendResponseHead(nil, RequestInfo{KeepAlive: true}, 200, "", nil)
	out, _ = e.AppendBody(out[:0], []byte("x"))
	var tr Headers
	tr.Add("x-checksum", "abc")
	out, err := e.AppendEnd(out, &tr)
	if err != nil || string(out) != "1\r\nx\r\n0\r\nX-Checksum: abc\r\n\r\n" {
		t.Errorf("trailers: %q %v", out, err)
	}
}

func TestEncoderAllocs(t *testing.T) {
	var h Headers
	buf := make([]byte, 0, 512)
	body := []byte("Hello, World!")
	n := testing.AllocsPerRun(200, func() {
		var e Encoder
		h.Reset()
		h.Add("Content-Type", "text/plain")
		h.Add("Content-Length", "13")
		buf, _ = e.AppendResponseHead(buf[:0], RequestInfo{KeepAlive: true}, 200, "", &h)
		buf, _ = e.AppendBody(buf, body)
		buf, _ = e.AppendEnd(buf, nil)
	})
	if n != 0 {
		t.Errorf("a typical response allocates %v times", n)
	}
}

func TestStatusText(t *testing.T) {
	for code, want := range map[int]string{200: "OK", 404: "Not Found", 431: "Request Header Fields Too Large", 599: "Unknown", 99: "Unknown", 700: "Unknown"} {
		if got := StatusText(code); got != want {
			t.Errorf("StatusText(%d) = %q", code, got)
		}
	}
}

// RFC 9110 section 8.6: a server must not send Content-Length on a 1xx or
// 204 response. A caller's field is left out of the head (as net/http
// does), so that the head is one a parser (this package's included)
// accepts; a 304 and a 200 keep theirs.
func TestEncoderNoContentLengthOn1xxAnd204(t *testing.T) {
	for _, tc := range []struct {
		status int
		keep   bool
	}{{204, false}, {103, false}, {304, true}, {200, true}} {
		var e Encoder
		var h Headers
		h.Add("Content-Length", "5")
		h.Add("X-A", "b")
		out, err := e.AppendResponseHead(nil, RequestInfo{KeepAlive: true}, tc.status, "", &h)
		if err != nil {
			t.Fatalf("status %d: %v", tc.status, err)
		}
		if got := bytes.Contains(out, []byte("Content-Length: 5\r\n")); got != tc.keep || !bytes.Contains(out, []byte("X-A: b\r\n")) {
			t.Fatalf("status %d: head %q, want Content-Length kept: %v", tc.status, out, tc.keep)
		}
		if tc.status == 200 {
			continue
		}
		var p Parser
		p.InitResponse(nil)
		in := append(out, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"...)
		if _, _, err := p.Next(in); err != nil {
			t.Fatalf("status %d: the parser refuses the head %q: %v", tc.status, out, err)
		}
	}
}

// A response to HEAD has no body, so nothing delimits one: an HTTP/1.0
// keep-alive client (ab -k -i sends exactly that) keeps its connection,
// as Tornado keeps it, rather than having it closed as if the answer were
// a close-delimited body.
func TestEncoderHeadToHTTP10KeepsAlive(t *testing.T) {
	var e Encoder
	out, err := e.AppendResponseHead(nil, RequestInfo{Head: true, HTTP10: true, KeepAlive: true}, 200, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if out, err = e.AppendEnd(out, nil); err != nil {
		t.Fatal(err)
	}
	if want := "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n"; string(out) != want || !e.KeepAlive() {
		t.Fatalf("got %q keep-alive %v, want %q keep-alive true", out, e.KeepAlive(), want)
	}
	// Without keep-alive the connection still closes, and says so.
	var e2 Encoder
	out, err = e2.AppendResponseHead(nil, RequestInfo{Head: true, HTTP10: true}, 200, "", nil)
	if err != nil || string(out) != "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" || e2.KeepAlive() {
		t.Fatalf("without keep-alive: %q %v keep-alive %v", out, err, e2.KeepAlive())
	}
}

// Invalid trailers leave the chunked body without its last chunk: like
// every other misuse, the failure must end the connection's reuse.
func TestEncoderBadTrailersEndKeepAlive(t *testing.T) {
	var e Encoder
	if _, err := e.AppendResponseHead(nil, RequestInfo{KeepAlive: true}, 200, "", nil); err != nil {
		t.Fatal(err)
	}
	if !e.KeepAlive() || !e.Chunked() {
		t.Fatalf("keep-alive %v chunked %v, want both", e.KeepAlive(), e.Chunked())
	}
	var tr Headers
	tr.Add("X-Sum", "a\r\nInjected: 1")
	out, err := e.AppendEnd([]byte("keep"), &tr)
	if !errors.Is(err, ErrInvalidOutput) || string(out) != "keep" {
		t.Fatalf("AppendEnd with a CRLF in a trailer: %q %v", out, err)
	}
	if e.KeepAlive() {
		t.Error("KeepAlive reports true after the body was left unterminated")
	}
	if _, err := e.AppendEnd(nil, nil); err == nil {
		t.Error("AppendEnd succeeded after a failure")
	}
}

// AppendStatusLine is exported and has no error result: a reason phrase
// that could split the response is replaced, never written.
func TestAppendStatusLineRefusesInjection(t *testing.T) {
	for _, reason := range []string{"OK\r\nSet-Cookie: a=1", "bad\n", "nul\x00", "del\x7f"} {
		got := string(AppendStatusLine(nil, 200, reason))
		if got != "HTTP/1.1 200 OK\r\n" {
			t.Errorf("reason %q: %q", reason, got)
		}
	}
	if got := string(AppendStatusLine(nil, 404, "Nicht gefunden\t\xe4")); got != "HTTP/1.1 404 Nicht gefunden\t\xe4\r\n" {
		t.Errorf("valid reason (HTAB, obs-text) changed: %q", got)
	}
}
