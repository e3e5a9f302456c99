package httpclient_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/httpproto/httpclient"
	"github.com/gale-io/gale/internal/leakcheck"
	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/loop"
)

func TestMain(m *testing.M) { os.Exit(leakcheck.Main(m)) }

// env is a Client on a loop running on its own goroutine; tests call Do.
type env struct {
	t *testing.T
	l *loop.Loop
	c *httpclient.Client
}

func newEnv(t *testing.T, opts *httpclient.Options) *env {
	t.Helper()
	l := testloop.New(t, nil)
	c := httpclient.New(l, opts)
	stop := testloop.Start(t, l)
	e := &env{t: t, l: l, c: c}
	t.Cleanup(func() {
		e.onLoop(c.Close)
		stop()
	})
	return e
}

// onLoop runs f on the loop and waits for it.
func (e *env) onLoop(f func()) {
	e.t.Helper()
	_, err := loop.Call(context.Background(), e.l, func() (struct{}, error) { f(); return struct{}{}, nil })
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) do(req *httpclient.Request) (*httpclient.Response, error) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testloop.Timeout)
	defer cancel()
	return e.c.Do(ctx, req)
}

// mustDo is do for a request that must succeed.
func (e *env) mustDo(req *httpclient.Request) *httpclient.Response {
	e.t.Helper()
	r, err := e.do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	return r
}

func (e *env) idle() int {
	var n int
	e.onLoop(func() { n = e.c.IdleConns() })
	return n
}

// server is an httptest server that counts the connections it accepted.
type server struct {
	*httptest.Server
	mu    sync.Mutex
	conns int
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewUnstartedServer(h)
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func newTLSServer(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewUnstartedServer(h)
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func (s *server) newConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

func headers(kv ...string) *httpproto.Headers {
	h := &httpproto.Headers{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// rawServer accepts connections and hands each to handle, on its own
// goroutine; it closes everything at cleanup.
func rawServer(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); handle(c) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "http://" + ln.Addr().String()
}

// readHead reads a request head from c (up to the empty line).
func readHead(c net.Conn) (string, error) {
	var b []byte
	one := make([]byte, 1)
	for {
		if _, err := c.Read(one); err != nil {
			return string(b), err
		}
		b = append(b, one[0])
		if n := len(b); n >= 4 && string(b[n-4:]) == "\r\n\r\n" {
			return string(b), nil
		}
	}
}

var _ = time.Second
