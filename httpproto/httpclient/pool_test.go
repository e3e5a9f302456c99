package httpclient_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/httpproto/httpclient"
)

func TestPoolReuseRules(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/close" {
			w.Header().Set("Connection", "close")
		}
		io.WriteString(w, "ok")
	})
	e := newEnv(t, nil)
	for range 3 {
		e.mustDo(&httpclient.Request{URL: srv.URL + "/"})
	}
	if n := srv.newConns(); n != 1 {
		t.Fatalf("3 sequential GETs used %d connections, want 1", n)
	}
	if n := e.idle(); n != 1 {
		t.Fatalf("pool holds %d, want 1", n)
	}
	// The server closes after this one: not pooled.
	e.mustDo(&httpclient.Request{URL: srv.URL + "/close"})
	if n := e.idle(); n != 0 {
		t.Fatalf("pool holds %d after Connection: close, want 0", n)
	}
	e.mustDo(&httpclient.Request{URL: srv.URL + "/"})
	if n := srv.newConns(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
	// A different TLS config (irrelevant for http) or a different host
	// spelling is another pool key: "localhost" is not "127.0.0.1".
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	e.mustDo(&httpclient.Request{URL: "http://localhost:" + port + "/"})
	if n := srv.newConns(); n != 3 {
		t.Fatalf("%d connections, want 3 (another host name)", n)
	}
}

// A response that was not read completely (the request failed mid-body)
// never returns its connection to the pool.
func TestPoolNotReusedAfterError(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		w.Write(make([]byte, 1000))
	})
	e := newEnv(t, &httpclient.Options{MaxBodySize: 500})
	_, err := e.do(&httpclient.Request{URL: srv.URL})
	if !errors.Is(err, httpproto.ErrBodyTooLarge) {
		t.Fatalf("err = %v, want body too large", err)
	}
	if n := e.idle(); n != 0 {
		t.Fatalf("pool holds %d, want 0", n)
	}
}

// An idle pooled connection the server closed is dropped; a request that
// races with such a close is retried once on a new connection.
func TestPoolServerClosesIdle(t *testing.T) {
	var conns atomic.Int32
	url := rawServer(t, func(c net.Conn) {
		defer c.Close()
		conns.Add(1)
		if _, err := readHead(c); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
		// Keep-alive promised, but close after the first response, as a
		// server whose idle timeout fires would.
	})
	e := newEnv(t, nil)
	for i := range 4 {
		r := e.mustDo(&httpclient.Request{URL: url})
		if string(r.Body) != "hi" {
			t.Fatalf("request %d: %q", i, r.Body)
		}
	}
	if n := conns.Load(); n != 4 {
		t.Fatalf("%d connections, want 4", n)
	}
}

// The retry: the server closes a pooled connection only when the next
// request arrives, without answering.
func TestPoolRetryOnStaleConnection(t *testing.T) {
	var conns atomic.Int32
	url := rawServer(t, func(c net.Conn) {
		defer c.Close()
		conns.Add(1)
		if _, err := readHead(c); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
		readHead(c) // the next request: dropped unanswered
	})
	e := newEnv(t, nil)
	e.mustDo(&httpclient.Request{URL: url})
	r := e.mustDo(&httpclient.Request{URL: url})
	if string(r.Body) != "hi" || r.Reused {
		t.Fatalf("retried request: %q reused %v", r.Body, r.Reused)
	}
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
	// A POST is not idempotent: it fails on the stale connection, and is
	// not retried.
	_, err := e.do(&httpclient.Request{Method: "POST", URL: url, Body: []byte("x")})
	var he *httpclient.Error
	if !errors.As(err, &he) || he.Op != "read" {
		t.Fatalf("POST on a stale connection: %v, want a read error and no retry", err)
	}
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections, want 2 (no retry)", n)
	}
}

func TestMaxIdlePerHost(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	e := newEnv(t, &httpclient.Options{MaxIdlePerHost: -1})
	e.mustDo(&httpclient.Request{URL: srv.URL})
	e.mustDo(&httpclient.Request{URL: srv.URL})
	if n := srv.newConns(); n != 2 || e.idle() != 0 {
		t.Fatalf("pooling off: %d connections, %d idle", n, e.idle())
	}
}

func TestIdleTimeout(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	e := newEnv(t, &httpclient.Options{IdleTimeout: 30 * time.Millisecond})
	e.mustDo(&httpclient.Request{URL: srv.URL})
	deadline := time.Now().Add(5 * time.Second)
	for e.idle() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("idle connection not closed after IdleTimeout")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Close-delimited responses (no length, HTTP/1.0 style) are read to the
// close, and the connection is not pooled.
func TestCloseDelimited(t *testing.T) {
	url := rawServer(t, func(c net.Conn) {
		defer c.Close()
		br := bufio.NewReader(c)
		for {
			l, err := br.ReadString('\n')
			if err != nil || l == "\r\n" {
				break
			}
		}
		fmt.Fprintf(c, "HTTP/1.0 200 OK\r\nX: y\r\n\r\nuntil the end")
	})
	e := newEnv(t, nil)
	r := e.mustDo(&httpclient.Request{URL: url})
	if string(r.Body) != "until the end" || r.Proto != httpproto.HTTP10 {
		t.Fatalf("%q %v", r.Body, r.Proto)
	}
	if e.idle() != 0 {
		t.Fatal("close-delimited connection pooled")
	}
}

// Each redirect hop is a request of its own for the stale-connection
// retry (net/http retries per round trip): a chain whose first hop was
// retried still retries a later hop whose pooled connection went stale,
// instead of failing it.
func TestPoolRetry_EachRedirectHopRetriesOnce(t *testing.T) {
	var conns atomic.Int32
	url := rawServer(t, func(c net.Conn) {
		defer c.Close()
		conns.Add(1)
		_, port, _ := net.SplitHostPort(c.LocalAddr().String())
		for n := 0; ; n++ {
			head, err := readHead(c)
			if err != nil {
				return
			}
			path := strings.Fields(head)[1]
			if n > 0 && path != "/warm" {
				return // a pooled connection that went stale: dropped unanswered
			}
			if path == "/redir" {
				io.WriteString(c, "HTTP/1.1 302 Found\r\nLocation: http://localhost:"+port+"/final\r\nContent-Length: 0\r\n\r\n")
				continue
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
		}
	})
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(url, "http://"))
	e := newEnv(t, nil)
	// One pooled connection per host name (two pool keys).
	e.mustDo(&httpclient.Request{URL: url + "/warm"})
	e.mustDo(&httpclient.Request{URL: "http://localhost:" + port + "/warm"})
	if n := e.idle(); n != 2 {
		t.Fatalf("%d idle connections, want 2", n)
	}
	// /redir goes out on the stale 127.0.0.1 connection (retried on a new
	// one, which answers 302), /final on the stale localhost one.
	r, err := e.do(&httpclient.Request{URL: url + "/redir"})
	if err != nil {
		t.Fatalf("redirect chain with a stale connection at each hop: %v", err)
	}
	if string(r.Body) != "hi" || r.Redirects != 1 {
		t.Fatalf("%q after %d redirects", r.Body, r.Redirects)
	}
	if n := conns.Load(); n != 4 {
		t.Fatalf("%d connections, want 4", n)
	}
}

// A request whose BodyProducer has not been called yet has no body to
// replay: when its pooled connection turns out stale before any response
// byte (here while it waits for 100 Continue), it is retried on a new
// connection like a request without a body, as net/http retries a request
// whose body was never read, instead of failing.
func TestPoolRetry_UnstartedProducer(t *testing.T) {
	var conns atomic.Int32
	url := rawServer(t, func(c net.Conn) {
		defer c.Close()
		n := conns.Add(1)
		head, err := readHead(c)
		if err != nil {
			return
		}
		if n == 1 {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
			readHead(c) // the PUT: the connection went stale, dropped unanswered
			return
		}
		if !strings.Contains(head, "Expect: 100-continue") {
			return
		}
		io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n")
		body := make([]byte, len("produced"))
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	})
	e := newEnv(t, &httpclient.Options{ContinueTimeout: time.Minute})
	e.mustDo(&httpclient.Request{URL: url})
	var calls atomic.Int32
	r, err := e.do(&httpclient.Request{Method: "PUT", URL: url, ExpectContinue: true, BodyLength: int64(len("produced")),
		BodyProducer: func(w *httpclient.BodyWriter) {
			calls.Add(1)
			w.Write([]byte("produced"), nil)
			w.End(nil)
		}})
	if err != nil {
		t.Fatalf("PUT with an unstarted producer on a stale connection: %v, want a retry", err)
	}
	if string(r.Body) != "produced" || r.Reused || calls.Load() != 1 || conns.Load() != 2 {
		t.Fatalf("body %q, reused %v, producer called %d times, %d connections", r.Body, r.Reused, calls.Load(), conns.Load())
	}
}

// With pooling off (Tornado's simple client: one connection per request)
// each request says "Connection: close", as Tornado's does, so that the
// server closes after its response (and keeps the TIME_WAIT state) rather
// than holding the connection open for a next request that never comes.
func TestPoolingOffSendsConnectionClose(t *testing.T) {
	heads := make(chan string, 2)
	url := rawServer(t, func(c net.Conn) {
		defer c.Close()
		head, err := readHead(c)
		if err != nil {
			return
		}
		heads <- head
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		readHead(c) // a server keeping the connection alive, as promised
	})
	e := newEnv(t, &httpclient.Options{MaxIdlePerHost: -1})
	e.mustDo(&httpclient.Request{URL: url})
	e.mustDo(&httpclient.Request{URL: url, Header: headers("Connection", "close")})
	for i := range 2 {
		if head := <-heads; strings.Count(strings.ToLower(head), "connection: close") != 1 {
			t.Fatalf("request %d with pooling off: head %q, want one Connection: close", i, head)
		}
	}
}

// A request carrying an Idempotency-Key (or X-Idempotency-Key) field is
// idempotent whatever its method: on a pooled connection that turns out
// stale it is retried like a GET, as net/http retries it, instead of
// failing.
func TestPoolRetry_IdempotencyKey(t *testing.T) {
	var conns atomic.Int32
	url := rawServer(t, func(c net.Conn) {
		defer c.Close()
		conns.Add(1)
		for n := 0; ; n++ {
			head, err := readHead(c)
			if err != nil {
				return
			}
			if n > 0 {
				return // the pooled connection went stale: dropped unanswered
			}
			if strings.HasPrefix(head, "POST ") {
				io.ReadFull(c, make([]byte, 1))
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
		}
	})
	e := newEnv(t, nil)
	for i, name := range []string{"Idempotency-Key", "X-Idempotency-Key"} {
		e.mustDo(&httpclient.Request{URL: url})
		r, err := e.do(&httpclient.Request{Method: "POST", URL: url, Body: []byte("x"), Header: headers(name, "k1")})
		if err != nil {
			t.Fatalf("POST with %s on a stale connection: %v, want a retry", name, err)
		}
		if string(r.Body) != "hi" || r.Reused {
			t.Fatalf("POST with %s: %q, reused %v", name, r.Body, r.Reused)
		}
		if n := conns.Load(); n != int32(2*(i+1)) {
			t.Fatalf("%d connections, want %d", n, 2*(i+1))
		}
	}
}

// A pooled connection that the server reset while it was idle, before the
// loop saw the reset, fails the next request's write at once: nothing of
// the request reached the server, so even a POST goes again on a new
// connection, as net/http retries it (its nothingWrittenError). It failed
// with "write: connection reset by peer".
func TestPoolRetry_NothingWritten(t *testing.T) {
	// The reset must reach the client's kernel before the request is
	// written; when it comes late (a loaded machine), the request fails
	// reading, as it should, and the attempt is made again.
	for attempt := 0; attempt < 10; attempt++ {
		if poolRetryNothingWritten(t) {
			return
		}
	}
	t.Fatal("the reset never came before the request was written")
}

// poolRetryNothingWritten makes one attempt; false when it proved nothing.
func poolRetryNothingWritten(t *testing.T) bool {
	var conns atomic.Int32
	reset, resetDone, stop := make(chan struct{}, 1), make(chan struct{}, 1), make(chan struct{})
	url := rawServer(t, func(c net.Conn) {
		defer c.Close()
		first := conns.Add(1) == 1
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			io.Copy(io.Discard, req.Body)
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			if first {
				select {
				case <-reset:
				case <-stop:
					return
				}
				c.(*net.TCPConn).SetLinger(0) // close with a reset
				c.Close()
				resetDone <- struct{}{}
				return
			}
		}
	})
	t.Cleanup(func() { close(stop) }) // runs before rawServer's cleanup
	e := newEnv(t, nil)
	e.mustDo(&httpclient.Request{URL: url})
	type result struct {
		r   *httpclient.Response
		err error
	}
	done := make(chan result, 1)
	// The loop waits for the reset, so that it has not seen it when the
	// POST takes the pooled connection.
	e.onLoop(func() {
		reset <- struct{}{}
		<-resetDone
		e.c.Fetch(&httpclient.Request{Method: "POST", URL: url, Body: []byte("x")}, func(r *httpclient.Response, err error) {
			done <- result{r, err}
		})
	})
	var res result
	select {
	case res = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("POST: no answer")
	}
	if res.err != nil {
		var se *os.SyscallError
		if errors.As(res.err, &se) && strings.HasPrefix(se.Syscall, "write") {
			t.Fatalf("POST on a pooled connection reset before the request: %v, want it sent again on a new connection", res.err)
		}
		t.Logf("the reset came late: %v", res.err)
		return false
	}
	if string(res.r.Body) != "ok" || res.r.Reused || conns.Load() != 2 {
		t.Fatalf("POST: %q, reused %v, %d connections; want it answered on a second connection", res.r.Body, res.r.Reused, conns.Load())
	}
	return true
}

// A pooled connection on which bytes nobody asked for arrive (a second
// response, garbage) is closed at once, as net/http closes it: it was kept,
// holding them (and no longer watched for its close), until a request took
// it or it had been idle for IdleTimeout (90 s).
func TestPoolUnsolicitedBytesWhileIdle(t *testing.T) {
	pooled := make(chan struct{})
	closed := make(chan error, 1)
	url := rawServer(t, func(c net.Conn) {
		if _, err := readHead(c); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		<-pooled
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nextra")
		// The client's close ends this read; a kept connection, the
		// deadline.
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err := c.Read(make([]byte, 1))
		closed <- err
	})
	e := newEnv(t, nil)
	e.mustDo(&httpclient.Request{URL: url})
	if n := e.idle(); n != 1 {
		t.Fatalf("%d idle connections after the first response, want 1", n)
	}
	close(pooled)
	if err := <-closed; err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("server's read after the unsolicited bytes: %v, want the client's close", err)
	}
	if n := e.idle(); n != 0 {
		t.Fatalf("%d idle connections, want 0", n)
	}
}
