package httpserver

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/http/httputil"
	"net/textproto"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

func adapterMux(t *testing.T, flushed chan struct{}, canceled chan error) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Name", r.PathValue("name"))
		fmt.Fprintf(w, "hello %s %s %s", r.PathValue("name"), r.URL.Query().Get("q"), r.Header.Get("X-Test"))
	})
	mux.HandleFunc("POST /sum", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		fmt.Fprintf(w, "%x", sha256.Sum256(b))
	})
	mux.HandleFunc("GET /stream", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "first;")
		w.(http.Flusher).Flush()
		<-flushed // the client has read "first;" before the handler goes on
		io.WriteString(w, "second")
	})
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096)
		for range 160 { // 10 MiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("GET /wait", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
		canceled <- r.Context().Err()
	})
	mux.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) {
		panic("handler panic")
	})
	mux.HandleFunc("GET /hijack", func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: shout\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		for {
			line, err := brw.ReadString('\n')
			if err != nil {
				return
			}
			brw.WriteString(strings.ToUpper(line))
			brw.Flush()
		}
	})
	return mux
}

func TestNetHTTPAdapter(t *testing.T) {
	flushed := make(chan struct{})
	canceled := make(chan error, 1)
	_, addr := start(t, NetHTTP(adapterMux(t, flushed, canceled)), &Options{Logger: slog.New(slog.DiscardHandler)})
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 20 * time.Second}
	base := "http://" + addr

	req, _ := http.NewRequest("GET", base+"/hello/gale?q=1", nil)
	req.Header.Set("X-Test", "t")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello gale 1 t" || resp.Header.Get("X-Name") != "gale" ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("hello: %q %v", body, resp.Header)
	}

	payload := bytes.Repeat([]byte("payload "), 100000)
	resp, err = client.Post(base+"/sum", "application/octet-stream", bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := fmt.Sprintf("%x", sha256.Sum256(payload)); string(body) != want {
		t.Fatalf("sum %s, want %s", body, want)
	}

	resp, err = client.Get(base + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, len("first;"))
	if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "first;" {
		t.Fatalf("streamed first part %q %v", first, err)
	}
	close(flushed)
	rest, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(rest) != "second" {
		t.Fatalf("streamed rest %q", rest)
	}

	resp, err = client.Get(base + "/big")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || n != 10<<20 {
		t.Fatalf("big: %d bytes, %v", n, err)
	}

	resp, err = client.Get(base + "/panic")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 500 {
		t.Fatalf("panic: %v", resp.Status)
	}

	resp, err = client.Get(base + "/nowhere")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("404: %v", resp.Status)
	}
}

func TestNetHTTPContextCanceledWhenClientLeaves(t *testing.T) {
	canceled := make(chan error, 1)
	_, addr := start(t, NetHTTP(adapterMux(t, nil, canceled)), nil)
	c := dial(t, addr)
	c.send("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n")
	// Whether the close arrives with the request or after the handler
	// started, the context must end.
	c.c.Close()
	select {
	case err := <-canceled:
		if err == nil {
			t.Fatal("context done without an error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("request context not canceled after the client left")
	}
}

// A client that sends pipelined requests and shuts down its sending side
// (a half-close) still gets every answer, in order, and then the close,
// as under net/http: the end of its input ends the handler's context, but
// not the handler's writes. (The adapter always watches for the client's
// going away, which a half-close looks like.)
func TestNetHTTPHalfClosedClientGetsAllAnswers(t *testing.T) {
	_, addr := start(t, NetHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
		io.WriteString(w, r.URL.Path)
	})), nil)
	c := dial(t, addr)
	var b strings.Builder
	for i := range 3 {
		fmt.Fprintf(&b, "GET /r%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
	}
	c.send(b.String())
	c.c.(*net.TCPConn).CloseWrite()
	for i := range 3 {
		_, body := c.response("GET")
		if want := fmt.Sprintf("/r%d", i); body != want {
			t.Fatalf("response %d = %q, want %q", i, body, want)
		}
	}
	c.expectClosed()
}

// Trailers set through http.TrailerPrefix ("Trailer:Name" keys, net/http's
// way for trailers not declared in advance) or declared in the Trailer
// field are sent after a chunked body, as net/http does, never as header
// fields.
func TestNetHTTPTrailers(t *testing.T) {
	_, addr := start(t, NetHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Declared")
		io.WriteString(w, "hello")
		w.Header().Set(http.TrailerPrefix+"X-Sum", "abc")
		w.Header().Set("X-Declared", "yes")
	})), nil)
	c := dial(t, addr)
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, body := c.response("GET")
	if body != "hello" || resp.ContentLength != -1 {
		t.Fatalf("body %q, length %d", body, resp.ContentLength)
	}
	for k := range resp.Header {
		if strings.HasPrefix(k, "Trailer:") || k == "X-Sum" {
			t.Fatalf("trailer sent as a header field: %v", resp.Header)
		}
	}
	if resp.Trailer.Get("X-Sum") != "abc" || resp.Trailer.Get("X-Declared") != "yes" {
		t.Fatalf("trailers %v", resp.Trailer)
	}
	// And through net/http's client, which takes them as trailers.
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hresp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get("http://" + addr + "/")
	if err != nil {
		t.Fatalf("request failed: %v", err)
	}
	b, err := io.ReadAll(hresp.Body)
	hresp.Body.Close()
	if err != nil || string(b) != "hello" || hresp.Trailer.Get("X-Sum") != "abc" {
		t.Fatalf("body %q err %v trailers %v", b, err, hresp.Trailer)
	}
}

func TestNetHTTPHijack(t *testing.T) {
	_, addr := start(t, NetHTTP(adapterMux(t, nil, nil)), nil)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	io.WriteString(c, "GET /hijack HTTP/1.1\r\nHost: x\r\n\r\nearly line\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("hijack response: %v %v", resp, err)
	}
	for _, want := range []string{"EARLY LINE\n", "LATE LINE\n"} {
		if want == "LATE LINE\n" {
			io.WriteString(c, "late line\n")
		}
		line, err := br.ReadString('\n')
		if err != nil || line != want {
			t.Fatalf("got %q %v, want %q", line, err, want)
		}
	}
}

func TestNetHTTPChunkedRequestLooksLikeNetHTTP(t *testing.T) {
	_, addr := start(t, NetHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%d %v %q %s", r.ContentLength, r.TransferEncoding, r.Header.Get("Transfer-Encoding"), b)
	})), nil)
	c := dial(t, addr)
	c.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
	if _, body := c.response("POST"); body != `-1 [chunked] "" abc` {
		t.Fatalf("handler saw %q", body)
	}
}

// Fields sent with a 103 Early Hints appear in it and once more, not
// twice, in the final response (the handler's header map as it then is),
// as under net/http.
func TestNetHTTP103FieldsNotDuplicated(t *testing.T) {
	_, addr := start(t, NetHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "ok")
	})), nil)
	var got1xx []textproto.MIMEHeader
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		got1xx = append(got1xx, h)
		return nil
	}}
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(got1xx) != 1 || len(got1xx[0].Values("Link")) != 1 {
		t.Fatalf("1xx responses: %v", got1xx)
	}
	if n := len(resp.Header.Values("Link")); n != 1 {
		t.Fatalf("final response has %d Link fields, want 1: %q", n, resp.Header.Values("Link"))
	}
}

// As under net/http, a Write past the declared Content-Length fails with
// http.ErrContentLength (and the handler goes on and returns), and a body
// written for a 204 fails with http.ErrBodyNotAllowed.
func TestNetHTTPWritePastContentLength(t *testing.T) {
	done := make(chan error, 1)
	_, addr := start(t, NetHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/204" {
			w.WriteHeader(204)
		} else {
			w.Header().Set("Content-Length", "10")
		}
		chunk := bytes.Repeat([]byte("x"), 32<<10)
		var err error
		for range 128 { // 4 MiB
			if _, err = w.Write(chunk); err != nil {
				break
			}
		}
		done <- err
	})), &Options{Logger: slog.New(slog.DiscardHandler)})
	for _, tc := range []struct {
		path string
		want error
	}{{"/", http.ErrContentLength}, {"/204", http.ErrBodyNotAllowed}} {
		c := dial(t, addr)
		c.send("GET " + tc.path + " HTTP/1.1\r\nHost: x\r\n\r\n")
		go io.Copy(io.Discard, c.c)
		select {
		case err := <-done:
			if err != tc.want {
				t.Errorf("%s: Write error %v, want %v", tc.path, err, tc.want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: handler blocked writing a body the response cannot have", tc.path)
		}
	}
}

// A response the server cannot send (a field value with a NUL byte) fails
// the handler's writes instead of leaving them waiting for bytes that will
// never be written.
func TestNetHTTPFailedResponseReleasesWriter(t *testing.T) {
	done := make(chan error, 1)
	_, addr := start(t, NetHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Bad", "a\x00b")
		chunk := bytes.Repeat([]byte("x"), 32<<10)
		var err error
		for range 128 { // 4 MiB, well past what may be in flight
			if _, err = w.Write(chunk); err != nil {
				break
			}
		}
		done <- err
	})), &Options{Logger: slog.New(slog.DiscardHandler)})
	c := dial(t, addr)
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	go io.Copy(io.Discard, c.c)
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("writes of a failed response all succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("handler blocked forever writing a failed response")
	}
}

// As under net/http, the body a handler writes in answer to HEAD is eaten:
// the handler returns and the connection stays usable.
func TestNetHTTPHeadLargeBody(t *testing.T) {
	done := make(chan struct{}, 2)
	_, addr := start(t, NetHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { done <- struct{}{} }()
		w.Header().Set("Content-Type", "text/plain")
		chunk := bytes.Repeat([]byte("x"), 32<<10)
		for range 64 { // 2 MiB
			if _, err := w.Write(chunk); err != nil {
				t.Errorf("%s: Write: %v", r.Method, err)
				return
			}
		}
	})), nil)
	c := dial(t, addr)
	c.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, body := c.response("HEAD"); resp.StatusCode != 200 || body != "" {
		t.Fatalf("HEAD: %v body %q", resp.Status, body)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("handler writing a body for HEAD blocked")
	}
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(c.br, &http.Request{Method: "GET"})
	if err != nil {
		t.Fatalf("connection not kept alive after HEAD: %v", err)
	}
	if n, _ := io.Copy(io.Discard, resp.Body); n != 2<<20 {
		t.Fatalf("GET body %d", n)
	}
}

// As under net/http, an origin-form target leaves URL.Host empty, and the
// Host field is in Request.Host, not in Header; an absolute-form target's
// authority is the Host.
func TestNetHTTPRequestHost(t *testing.T) {
	got := make(chan string, 1)
	_, addr := start(t, NetHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.URL.Host + "|" + r.URL.String() + "|" + r.Host + "|" + strings.Join(r.Header.Values("Host"), ",")
	})), nil)
	c := dial(t, addr)
	for _, tc := range []struct{ target, want string }{
		{"/p?q=1", "|/p?q=1|example.com|"},
		{"http://other.example/p", "other.example|http://other.example/p|other.example|"},
	} {
		c.send("GET " + tc.target + " HTTP/1.1\r\nHost: example.com\r\n\r\n")
		c.response("GET")
		if g := <-got; g != tc.want {
			t.Errorf("%s: URL.Host|URL|Host|Header[Host] = %q, want %q", tc.target, g, tc.want)
		}
	}
}

// As under net/http, a missing Content-Type is sniffed from the first bytes
// written whenever the head goes out: at the end, on a Flush, or when the
// body outgrows what is buffered.
func TestNetHTTPSniffContentType(t *testing.T) {
	_, addr := start(t, NetHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<html><body>")
		switch r.URL.Path {
		case "/flush":
			w.(http.Flusher).Flush()
		case "/large":
			w.Write(bytes.Repeat([]byte("a"), 100<<10))
		}
		io.WriteString(w, "</body></html>")
	})), nil)
	c := dial(t, addr)
	for _, p := range []string{"/small", "/flush", "/large"} {
		c.send("GET " + p + " HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, _ := c.response("GET")
		if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("%s: Content-Type %q, want text/html; charset=utf-8", p, ct)
		}
	}
}

// A handler that hijacks the connection after WriteHeader, and perhaps
// after writing some of the body, has what it wrote sent first, as under
// net/http: the head (chunked, for HTTP/1.1 without a length) and the body
// so far, then the bytes it writes on the hijacked connection.
func TestNetHTTPHijackAfterWriteHeaderSendsHead(t *testing.T) {
	for _, n := range []int{0, 5, 100_000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			// With gzip on, the head is not compressed: what follows
			// it is raw (net/http never compresses).
			body := strings.Repeat("b", n)
			_, addr := start(t, NetHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-A", "1")
				w.Header().Set("Content-Type", "text/plain")
				w.WriteHeader(201)
				io.WriteString(w, body)
				conn, brw, err := w.(http.Hijacker).Hijack()
				if err != nil {
					t.Error(err)
					return
				}
				brw.WriteString("RAW")
				brw.Flush()
				conn.Close()
			})), &Options{Gzip: &GzipOptions{MinSize: 1}})
			c := dial(t, addr)
			c.send("GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
			all, err := io.ReadAll(c.br)
			if err != nil {
				t.Fatal(err)
			}
			head, rest, ok := strings.Cut(string(all), "\r\n\r\n")
			if !ok || !strings.HasPrefix(head, "HTTP/1.1 201 Created\r\n") || !strings.Contains(head, "\r\nX-A: 1") ||
				!strings.Contains(head, "\r\nTransfer-Encoding: chunked") {
				t.Fatalf("head %q", head)
			}
			raw, ok := strings.CutSuffix(rest, "RAW")
			if !ok {
				t.Fatalf("the hijacker's bytes are not last: %.100q", rest)
			}
			got, err := io.ReadAll(httputil.NewChunkedReader(strings.NewReader(raw + "0\r\n\r\n")))
			if err == nil && strings.Contains(head, "\r\nContent-Encoding: gzip") {
				// The head went out compressed before the hijack: the
				// gzip stream is ended, so that the body decodes.
				var zr *gzip.Reader
				if zr, err = gzip.NewReader(bytes.NewReader(got)); err == nil {
					got, err = io.ReadAll(zr)
				}
			}
			if err != nil || string(got) != body {
				t.Fatalf("body before the hijack: %d bytes (%v), want %d", len(got), err, n)
			}
		})
	}
}

// A ResponseWriter used after its handler returned (a goroutine the handler
// left behind writes and flushes late) cannot touch the response to the
// next request on the connection, which reuses the loop-side writer.
func TestNetHTTPLateWriteDoesNotLeakIntoNextResponse(t *testing.T) {
	late, lateDone := make(chan struct{}), make(chan struct{})
	started2, go2 := make(chan struct{}), make(chan struct{})
	_, addr := start(t, NetHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/first":
			go func() {
				defer close(lateDone)
				<-late
				io.WriteString(w, "LATE")
				w.(http.Flusher).Flush()
			}()
			io.WriteString(w, "first")
		case "/second":
			close(started2)
			<-go2
			io.WriteString(w, "second")
		}
	})), nil)
	c := dial(t, addr)
	c.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, body := c.response("GET"); body != "first" {
		t.Fatalf("first: %q", body)
	}
	c.send("GET /second HTTP/1.1\r\nHost: x\r\n\r\n")
	<-started2
	close(late)
	<-lateDone
	close(go2)
	if resp, body := c.response("GET"); body != "second" || resp.StatusCode != 200 {
		t.Fatalf("second: %v %q", resp.Status, body)
	}
}

// A net/http handler reads its request body on its own goroutine, after
// the loop has moved on: the body must not be a view of the stream's read
// buffer, which goes back to a pool once consumed and then holds what
// another connection sent.
func TestNetHTTPBodyOutlivesReadBuffer(t *testing.T) {
	started, proceed := make(chan struct{}), make(chan struct{})
	_, addr := start(t, NetHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			<-proceed
		}
		io.Copy(w, r.Body)
	})), nil)
	a := dial(t, addr)
	bodyA := strings.Repeat("A", 1000)
	a.send("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + bodyA)
	<-started
	// Other connections on the same loop reuse the pooled read buffers.
	for range 4 {
		b := dial(t, addr)
		b.send("POST /fast HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + strings.Repeat("B", 1000))
		if _, body := b.response("POST"); len(body) != 1000 {
			t.Fatalf("fast: %d bytes", len(body))
		}
	}
	close(proceed)
	if _, body := a.response("POST"); body != bodyA {
		t.Fatalf("the slow handler read %.40q..., want A's body", body)
	}
}

// The adapter's ResponseWriter is an http.CloseNotifier, as net/http's is
// (frameworks such as gin type-assert it, and panic without it): its
// channel gets true when the client goes away.
func TestNetHTTPCloseNotify(t *testing.T) {
	notified := make(chan bool, 1)
	started := make(chan struct{})
	_, addr := start(t, NetHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cn, ok := w.(http.CloseNotifier)
		if !ok {
			close(started)
			notified <- false
			return
		}
		ch := cn.CloseNotify()
		close(started)
		select {
		case v := <-ch:
			notified <- v
		case <-time.After(10 * time.Second):
			notified <- false
		}
	})), nil)
	c := dial(t, addr)
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	<-started
	c.c.Close()
	if !<-notified {
		t.Fatal("no close notification (or not an http.CloseNotifier)")
	}
}

// As under net/http, a HEAD whose handler wrote no body (it set the fields
// and returned, as handlers commonly do for HEAD) gets no Content-Length:
// "Content-Length: 0" would tell the client that GET's body is empty (RFC
// 9110 section 8.6). One that wrote the body gets its length.
func TestNetHTTPHeadWithoutBodyHasNoLength(t *testing.T) {
	_, addr := start(t, NetHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		if r.Method == "HEAD" && r.URL.Path == "/skip" {
			return
		}
		io.WriteString(w, "hello")
	})), nil)
	c := dial(t, addr)
	c.send("HEAD /skip HTTP/1.1\r\nHost: x\r\n\r\nHEAD /write HTTP/1.1\r\nHost: x\r\n\r\nGET /skip HTTP/1.1\r\nHost: x\r\n\r\n")
	head, err := c.br.ReadString('\n')
	for err == nil {
		line, e := c.br.ReadString('\n')
		head, err = head+line, e
		if line == "\r\n" {
			break
		}
	}
	if err != nil || strings.Contains(head, "Content-Length") {
		t.Fatalf("HEAD without a body: %q %v", head, err)
	}
	if resp, _ := c.response("HEAD"); resp.ContentLength != 5 {
		t.Fatalf("HEAD with a body: length %d", resp.ContentLength)
	}
	if _, body := c.response("GET"); body != "hello" {
		t.Fatalf("GET after the HEADs: %q", body)
	}
}

// As under net/http, the fields a handler changes after WriteHeader are not
// sent (trailers aside): the head is the header as it was then.
func TestNetHTTPHeaderChangesAfterWriteHeaderIgnored(t *testing.T) {
	_, addr := start(t, NetHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Early", "1")
		w.WriteHeader(200)
		w.Header().Set("X-Late", "1")
		w.Header().Set("Content-Length", "1")
		io.WriteString(w, "hello")
	})), nil)
	c := dial(t, addr)
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, body := c.response("GET")
	if resp.Header.Get("X-Early") != "1" || resp.Header.Get("X-Late") != "" || body != "hello" {
		t.Fatalf("fields %v, body %q", resp.Header, body)
	}
}

// A hijacked connection honours a deadline set while a Read or Write is
// blocked (net.Conn: a deadline applies to pending I/O too), the usual way
// to stop a reader goroutine: SetReadDeadline(time.Now()) ends its Read.
func TestNetHTTPHijackedDeadlineEndsPendingRead(t *testing.T) {
	result := make(chan error, 1)
	_, addr := start(t, NetHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			result <- err
			return
		}
		defer conn.Close()
		readErr := make(chan error, 1)
		go func() {
			_, err := conn.Read(make([]byte, 10))
			readErr <- err
		}()
		// Once the Read waits (the loop holds it)...
		nc := conn.(*netConn)
		for waiting := false; !waiting; runtime.Gosched() {
			ch := make(chan bool)
			nc.l.Post(func() { ch <- nc.cur != nil })
			waiting = <-ch
		}
		io.WriteString(conn, "reading\n") // the client waits for this
		// ...a deadline ends it: the client sends nothing more.
		conn.SetReadDeadline(time.Now())
		select {
		case err := <-readErr:
			result <- err
		case <-time.After(5 * time.Second):
			conn.Close()
			<-readErr
			result <- errors.New("the pending Read ignored the new deadline")
		}
	})), nil)
	c := dial(t, addr)
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if line, err := c.br.ReadString('\n'); err != nil || line != "reading\n" {
		t.Fatalf("%q %v", line, err)
	}
	if err := <-result; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read ended with %v, want os.ErrDeadlineExceeded", err)
	}
}

// On a hijacked connection, as on any net.Conn, a Read or Write called
// with its deadline already past fails at once (os.ErrDeadlineExceeded)
// and moves no byte, even when bytes are buffered for the Read or the
// kernel would take the Write: net/http itself stops a reader that way
// (SetReadDeadline with a time long ago).
func TestNetHTTPHijackedPastDeadlineMovesNothing(t *testing.T) {
	const tries = 300
	result := make(chan error, 1)
	_, addr := start(t, NetHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			result <- err
			return
		}
		defer conn.Close()
		result <- func() error {
			conn.SetDeadline(time.Now().Add(-time.Second))
			for range tries {
				if n, err := conn.Read(make([]byte, 1)); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
					return fmt.Errorf("Read past its deadline: %d, %v", n, err)
				}
				if n, err := conn.Write([]byte("x")); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
					return fmt.Errorf("Write past its deadline: %d, %v", n, err)
				}
			}
			conn.SetDeadline(time.Time{})
			// Nothing was taken from the input, nothing sent.
			p := make([]byte, 3)
			if _, err := io.ReadFull(conn, p); err != nil || string(p) != "abc" {
				return fmt.Errorf("read %q %v after the deadline was cleared, want the buffered \"abc\"", p, err)
			}
			_, err := io.WriteString(conn, "END")
			return err
		}()
	})), nil)
	c := dial(t, addr)
	c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\nabc")
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(c.br); string(got) != "END" {
		t.Fatalf("the client got %q (%v), want only END", got, err)
	}
}
