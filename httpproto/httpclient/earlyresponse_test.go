package httpclient_test

import (
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gale-io/gale/httpproto/httpclient"
)

// A server may answer before it has read the body (RFC 9112 section 9.3:
// a client ought to watch for a response while sending; Tornado's simple
// client and net/http read it). The client's streams do not pause reading
// while a body waits to be written (a 16 MiB body is far over the stream's
// default high-water mark), so the early 413 arrives instead of a timeout.
func TestEarlyResponseDuringLargeBody(t *testing.T) {
	stop := make(chan struct{})
	url := rawServer(t, func(c net.Conn) {
		if _, err := readHead(c); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 413 Content Too Large\r\nContent-Length: 2\r\n\r\nno")
		<-stop // never read the body
	})
	t.Cleanup(func() { close(stop) }) // runs before rawServer's cleanup
	e := newEnv(t, &httpclient.Options{RequestTimeout: 5 * time.Second})
	r, err := e.do(&httpclient.Request{Method: "POST", URL: url, Body: make([]byte, 16<<20)})
	if err != nil {
		t.Fatalf("early 413 not seen: %v", err)
	}
	if r.Status != 413 {
		t.Fatalf("status %d", r.Status)
	}
}

// A connection returns to the pool only when the request body was sent in
// full: a server that answers early (keep-alive) without reading a large
// body leaves most of it queued, and a request reusing the connection
// would go out behind it and time out.
func TestUnsentBodyNotPooled(t *testing.T) {
	stop := make(chan struct{})
	var conns atomic.Int32
	url := rawServer(t, func(c net.Conn) {
		conns.Add(1)
		if _, err := readHead(c); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		<-stop // never read the body
	})
	t.Cleanup(func() { close(stop) }) // runs before rawServer's cleanup
	e := newEnv(t, &httpclient.Options{RequestTimeout: 10 * time.Second})
	r := e.mustDo(&httpclient.Request{Method: "POST", URL: url, Body: make([]byte, 16<<20)})
	if string(r.Body) != "ok" {
		t.Fatalf("body %q", r.Body)
	}
	if n := e.idle(); n != 0 {
		t.Errorf("pool holds %d connection(s) whose request body was not sent in full, want 0", n)
	}
	_, err := e.do(&httpclient.Request{Method: "POST", URL: url, Body: []byte("x"), RequestTimeout: 2 * time.Second})
	if err != nil {
		t.Errorf("second request (connections opened: %d): %v", conns.Load(), err)
	}
}

// RFC 9112 section 9.6: a client that sends "Connection: close" must not
// send further requests on that connection, even if the server's response
// does not say close.
func TestRequestConnectionCloseNotPooled(t *testing.T) {
	var mu sync.Mutex
	var heads []string
	url := rawServer(t, func(c net.Conn) {
		for {
			h, err := readHead(c)
			if err != nil {
				return
			}
			mu.Lock()
			heads = append(heads, fmt.Sprintf("%p %s", c, strings.SplitN(h, "\r\n", 2)[0]))
			mu.Unlock()
			// A server that does not echo "Connection: close" (RFC 9112
			// makes it the client's duty not to reuse the connection).
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	e := newEnv(t, nil)
	e.mustDo(&httpclient.Request{URL: url + "/first", Header: headers("Connection", "close")})
	if n := e.idle(); n != 0 {
		t.Errorf("after a request sent with Connection: close the pool holds %d, want 0", n)
	}
	e.mustDo(&httpclient.Request{URL: url + "/second"})
	mu.Lock()
	defer mu.Unlock()
	if len(heads) != 2 {
		t.Fatalf("server saw %q, want two requests", heads)
	}
	if strings.Fields(heads[0])[0] == strings.Fields(heads[1])[0] {
		t.Errorf("second request sent on the connection the first closed: %q", heads)
	}
}
