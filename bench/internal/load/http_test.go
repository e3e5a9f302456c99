package load

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// feed hands a session the input in the given pieces, as reads would, and
// returns what received returned last and the first error.
func feed(s *httpState, pieces []string) (next int, err error) {
	for _, p := range pieces {
		for len(p) > 0 {
			n := copy(s.unread(), p)
			p = p[n:]
			if next, err = s.received(n, time.Now(), phaseMeasure); err != nil {
				return next, err
			}
		}
	}
	return next, nil
}

// pieces splits in into pieces of n bytes (0: whole).
func pieces(in string, n int) []string {
	if n == 0 {
		return []string{in}
	}
	var out []string
	for len(in) > n {
		out = append(out, in[:n])
		in = in[n:]
	}
	return append(out, in)
}

const plainResp = "HTTP/1.1 200 OK\r\nServer: x\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nContent-Type: text/plain\r\n" +
	"Content-Length: 13\r\n\r\nHello, World!"

// TestHTTPFraming feeds a connection's responses whole, split at every
// index and one byte at a time, and expects each batch to complete or fail
// the same way.
func TestHTTPFraming(t *testing.T) {
	chunked := "HTTP/1.1 200 OK\r\nServer: x\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nHello\r\n8\r\n, World!\r\n0\r\nT: v\r\n\r\n"
	for _, tc := range []struct {
		name  string
		depth int
		in    string
		err   string // "" when the batch completes
	}{
		{"sized", 1, plainResp, ""},
		{"chunked", 1, chunked, ""},
		{"pipelined, mixed framing", 3, plainResp + chunked + plainResp, ""},
		{"interim response first", 1, "HTTP/1.1 100 Continue\r\n\r\n" + plainResp, ""},
		{"lower-case fields", 1, "HTTP/1.1 200 OK\r\nserver: x\r\ndate: y\r\ncontent-length: 13\r\n\r\nHello, World!", ""},
		{"no Date", 1, strings.Replace(plainResp, "Date:", "X-Date:", 1), "no Date or no Server"},
		{"no Server", 1, strings.Replace(plainResp, "Server: x", "Server:", 1), "no Date or no Server"},
		{"not found", 1, "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nNot Found", `status "HTTP/1.1 404 Not Found", want 200`},
		{"wrong body", 1, strings.Replace(plainResp, "World", "world", 1), "body byte 7 is 0x77, want 0x57"},
		{"wrong length", 1, strings.Replace(plainResp, "13", "12", 1), "Content-Length 12, want 13"},
		{"chunked too long", 1, strings.Replace(chunked, "0\r\n", "1\r\n!\r\n0\r\n", 1), "longer than the 13 bytes expected"},
		{"chunked too short", 1, strings.Replace(chunked, "8\r\n, World!", "7\r\n, World", 1), "a body of 12 bytes, want 13"},
		{"close", 1, strings.Replace(plainResp, "Content-Type", "Connection: close\r\nContent-Type", 1), "Connection: close"},
		{"unframed", 1, "HTTP/1.1 200 OK\r\n\r\nHello, World!", "neither Content-Length nor chunked"},
		{"bad chunk", 1, strings.Replace(chunked, "5;x=y", "z", 1), "chunk size"},
		{"bad status line", 1, "HTTP/1.1 2000 OK\r\n\r\n", "status line"},
		{"one response too many", 1, plainResp + plainResp, "a response to no request"},
	} {
		ways := map[string]int{"whole": 0, "bytewise": 1, "7 bytes": 7}
		for how, n := range ways {
			s := newHTTPState(3, nil, newHTTPRequests(HTTPConfig{Addr: "h:1", Pipeline: tc.depth, Method: "GET", Path: "/plaintext"}))
			s.initial(time.Now())
			next, err := feed(s, pieces(tc.in, n))
			switch {
			case tc.err == "" && (err != nil || next != tc.depth || !s.idle() || s.stats.requests.Load() != int64(tc.depth)):
				t.Errorf("%s, %s: next %d, err %v, %d requests", tc.name, how, next, err, s.stats.requests.Load())
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err) || s.err != err):
				t.Errorf("%s, %s: error %v, want %q", tc.name, how, err, tc.err)
			}
		}
		for i := 1; i < len(tc.in); i++ {
			s := newHTTPState(3, nil, newHTTPRequests(HTTPConfig{Addr: "h:1", Pipeline: tc.depth, Method: "GET", Path: "/plaintext"}))
			s.initial(time.Now())
			_, err := feed(s, []string{tc.in[:i], tc.in[i:]})
			if (err == nil) != (tc.err == "") {
				t.Errorf("%s, split at %d: %v", tc.name, i, err)
			}
		}
	}
}

// A partial batch is neither complete nor an error, and the drain names
// what is missing.
func TestHTTPPartial(t *testing.T) {
	s := newHTTPState(2, nil, newHTTPRequests(HTTPConfig{Addr: "h:1", Pipeline: 2, Method: "GET", Path: "/plaintext"}))
	s.initial(time.Now())
	next, err := feed(s, []string{plainResp + plainResp[:50]})
	if next != 0 || err != nil || s.idle() {
		t.Fatalf("next %d, err %v, idle %v", next, err, s.idle())
	}
	if e := s.missingErr("after the drain timeout").Error(); !strings.Contains(e, "connection 2: 1 of 2 responses missing after the drain timeout (response 1: 50 bytes of its head arrived)") {
		t.Fatalf("missing: %s", e)
	}
}

// A head larger than the read buffer makes it grow, up to h1.MaxHead.
func TestHTTPLargeHead(t *testing.T) {
	big := "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", 20000) + "\r\nServer: x\r\nDate: y\r\nContent-Length: 13\r\n\r\nHello, World!"
	s := newHTTPState(0, nil, newHTTPRequests(HTTPConfig{Addr: "h:1", Method: "GET", Path: "/plaintext"}))
	s.initial(time.Now())
	if next, err := feed(s, pieces(big, 1000)); next != 1 || err != nil {
		t.Fatalf("next %d, err %v", next, err)
	}
	s.initial(time.Now())
	if _, err := feed(s, pieces("HTTP/1.1 200 OK\r\nX: "+strings.Repeat("a", 70000), 1000)); err == nil ||
		!strings.Contains(err.Error(), "head larger than 64 KiB") {
		t.Fatalf("an endless head: %v", err)
	}
}

// POST requests carry the message of (connection, request number) sized or
// chunked, and the response must echo it.
func TestHTTPPostRequests(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		for _, size := range []int{0, 1, 64, 70000} {
			r := newHTTPRequests(HTTPConfig{Addr: "h:1", Pipeline: 2, Method: "POST", Path: "/echo", Size: size, Chunked: chunked})
			s := newHTTPState(5, nil, r)
			wire := s.initial(time.Now())
			br := bufio.NewReader(strings.NewReader(string(wire)))
			var resp strings.Builder
			for seq := range 2 {
				req, err := http.ReadRequest(br)
				if err != nil {
					t.Fatalf("chunked %v, size %d: %v", chunked, size, err)
				}
				body, _ := io.ReadAll(req.Body)
				want := make([]byte, size)
				fillMsg(want, 5, uint64(seq))
				if string(body) != string(want) || req.URL.Path != "/echo" || req.Host != "h:1" ||
					(chunked != (len(req.TransferEncoding) > 0)) {
					t.Fatalf("chunked %v, size %d, request %d: %d bytes, %v", chunked, size, seq, len(body), req.TransferEncoding)
				}
				fmt.Fprintf(&resp, "HTTP/1.1 200 OK\r\nServer: x\r\nDate: y\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
			}
			if next, err := feed(s, pieces(resp.String(), 4096)); next != 2 || err != nil {
				t.Fatalf("chunked %v, size %d: next %d, err %v", chunked, size, next, err)
			}
			// The second batch is requests 2 and 3.
			s.next(2, time.Now())
			wrong := make([]byte, size)
			fillMsg(wrong, 5, 0)
			if size > 0 {
				if _, err := feed(s, []string{fmt.Sprintf("HTTP/1.1 200 OK\r\nServer: x\r\nDate: y\r\nContent-Length: %d\r\n\r\n%s", size, wrong)}); err == nil {
					t.Fatalf("size %d: the echo of another request passed", size)
				}
			}
		}
	}
}

// httpServer serves h on 127.0.0.1:0 with net/http until the test ends.
func httpServer(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// net/http sets Date; the http mode also asks for Server.
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "test")
		h(w, r)
	})}
	done := make(chan struct{})
	go func() { srv.Serve(ln); close(done) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return ln.Addr().String()
}

func echoHandler(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == "GET" && r.URL.Path == "/plaintext":
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, PlaintextBody)
	case r.Method == "POST" && r.URL.Path == "/echo":
		body, _ := io.ReadAll(r.Body)
		if len(body) > 100 { // a chunked response
			w.Write(body[:100])
			w.(http.Flusher).Flush()
			w.Write(body[100:])
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	default:
		http.NotFound(w, r)
	}
}

func shortHTTP(addr, driver string, pipeline int) HTTPConfig {
	return HTTPConfig{
		Addr: addr, Conns: 8, Pipeline: pipeline,
		Warmup: 50 * time.Millisecond, Duration: 300 * time.Millisecond, Drain: 2 * time.Second,
		Driver: driver, Workers: 2, ServerPID: os.Getpid(),
	}
}

func TestHTTPRun(t *testing.T) {
	addr := httpServer(t, echoHandler)
	for _, driver := range drivers() {
		for _, pipeline := range []int{1, 16} {
			for _, post := range []struct {
				method  string
				size    int
				chunked bool
			}{{"GET", 0, false}, {"POST", 64, false}, {"POST", 1000, true}} {
				cfg := shortHTTP(addr, driver, pipeline)
				cfg.Method, cfg.Size, cfg.Chunked = post.method, post.size, post.chunked
				what := fmt.Sprintf("%s, pipeline %d, %s %d chunked %v", driver, pipeline, post.method, post.size, post.chunked)
				res, err := RunHTTP(context.Background(), cfg)
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if res.Errors != 0 || res.Requests == 0 || res.LatP99 < res.LatP50 || res.ServerWindow == nil ||
					res.Mode != "http" || res.Pipeline != pipeline || res.Driver != driver {
					t.Fatalf("%s: %+v", what, res)
				}
			}
		}
	}
}

func TestHTTPDetectsBrokenServers(t *testing.T) {
	for name, tc := range map[string]struct {
		h    http.HandlerFunc
		want string
	}{
		"not found":  {http.NotFound, `status "HTTP/1.1 404 Not Found"`},
		"wrong body": {func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "Hello, world!") }, "body byte 7"},
		"closing": {func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Connection", "close")
			io.WriteString(w, PlaintextBody)
		}, "Connection: close"},
	} {
		addr := httpServer(t, tc.h)
		for _, driver := range drivers() {
			res, err := RunHTTP(context.Background(), shortHTTP(addr, driver, 2))
			if err != nil && !strings.Contains(err.Error(), "ended early") {
				t.Fatalf("%s, %s: %v", name, driver, err)
			}
			if res != nil && (res.Errors != 8 || !strings.Contains(res.Error, tc.want)) {
				t.Errorf("%s, %s: %d errors, first %q; want 8 saying %q", name, driver, res.Errors, res.Error, tc.want)
			}
		}
	}
	// A server that stops answering: the drain reports the missing responses.
	addr := testServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for i := 0; ; i++ {
			if _, err := http.ReadRequest(br); err != nil {
				return
			}
			if i < 5 {
				io.WriteString(c, plainResp)
			}
		}
	})
	for _, driver := range drivers() {
		cfg := shortHTTP(addr, driver, 1)
		cfg.Drain = 200 * time.Millisecond
		res, err := RunHTTP(context.Background(), cfg)
		if err != nil && !strings.Contains(err.Error(), "ended early") {
			t.Fatalf("silent, %s: %v", driver, err)
		}
		if res != nil && (res.Errors != 8 || !strings.Contains(res.Error, "responses missing after the drain timeout")) {
			t.Errorf("silent, %s: %d errors, first %q", driver, res.Errors, res.Error)
		}
	}
}

func TestHTTPConfigRejected(t *testing.T) {
	for _, cfg := range []HTTPConfig{
		{Addr: "x:1", Conns: 1, Duration: time.Second, Method: "PUT"},
		{Addr: "x:1", Conns: 1, Duration: time.Second, Path: "plaintext"},
		{Addr: "x:1", Conns: 0, Duration: time.Second},
		{Addr: "x:1", Conns: 1, Duration: time.Second, Method: "POST", Size: -1},
	} {
		if _, err := RunHTTP(context.Background(), cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}
