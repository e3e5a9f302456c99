package httpclient_test

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gale-io/gale/httpproto/httpclient"
)

// idleServer answers every request with the path of the first request its
// connection served (the connection's name); the first requests to /a,
// /b and /c wait until their gate is opened, so that they hold three
// connections at once.
type idleServer struct {
	url   string
	gates map[string]chan struct{}
	mu    sync.Mutex
	conns map[string]net.Conn
	ends  chan string // names of connections that ended
}

func newIdleServer(t *testing.T) *idleServer {
	s := &idleServer{
		gates: map[string]chan struct{}{"a": make(chan struct{}), "b": make(chan struct{}), "c": make(chan struct{})},
		conns: map[string]net.Conn{},
		ends:  make(chan string, 16),
	}
	s.url = rawServer(t, func(c net.Conn) {
		name := ""
		defer func() { c.Close(); s.ends <- name }()
		for {
			head, err := readHead(c)
			if err != nil {
				return
			}
			path := strings.TrimPrefix(strings.Fields(head)[1], "/")
			if name == "" {
				name = path
				s.mu.Lock()
				s.conns[name] = c
				s.mu.Unlock()
				if g := s.gates[name]; g != nil {
					<-g
				}
			}
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(name), name)
		}
	})
	return s
}

// fill fetches /a, /b and /c at once and lets them finish in that order,
// so that the pool holds a (oldest), b, c (newest).
func (s *idleServer) fill(t *testing.T, e *env) {
	t.Helper()
	res := make(chan string, 3)
	e.onLoop(func() {
		for _, p := range []string{"a", "b", "c"} {
			e.c.Fetch(&httpclient.Request{URL: s.url + "/" + p}, func(r *httpclient.Response, err error) {
				if err != nil {
					res <- err.Error()
					return
				}
				res <- string(r.Body)
			})
		}
	})
	for _, p := range []string{"a", "b", "c"} {
		close(s.gates[p])
		if got := <-res; got != p {
			t.Fatalf("request /%s answered %q", p, got)
		}
	}
}

// The pool's per-key list: the newest connection is reused first, one
// the server closes leaves the list from the middle, and beyond
// MaxIdlePerHost the oldest is closed.
func TestPoolIdleList(t *testing.T) {
	s := newIdleServer(t)
	e := newEnv(t, nil)
	s.fill(t, e)
	if n := e.idle(); n != 3 {
		t.Fatalf("%d idle, want 3", n)
	}
	s.mu.Lock()
	s.conns["b"].Close()
	s.mu.Unlock()
	if got := <-s.ends; got != "b" {
		t.Fatalf("connection %q ended", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.idle() != 2 {
		if time.Now().After(deadline) {
			t.Fatal("the closed connection stayed in the pool")
		}
		time.Sleep(2 * time.Millisecond)
	}
	for range 2 {
		if r := e.mustDo(&httpclient.Request{URL: s.url + "/x"}); string(r.Body) != "c" || !r.Reused {
			t.Fatalf("served by %q (reused %v), want the newest, c", r.Body, r.Reused)
		}
	}
	// Two at once: c, then a; no new connection.
	res := make(chan string, 2)
	e.onLoop(func() {
		for range 2 {
			e.c.Fetch(&httpclient.Request{URL: s.url + "/y"}, func(r *httpclient.Response, err error) {
				if err != nil {
					res <- err.Error()
					return
				}
				res <- string(r.Body)
			})
		}
	})
	if got := <-res + <-res; got != "ca" && got != "ac" {
		t.Fatalf("served by %q, want c and a", got)
	}

	s2 := newIdleServer(t)
	e2 := newEnv(t, &httpclient.Options{MaxIdlePerHost: 2})
	s2.fill(t, e2)
	if got := <-s2.ends; got != "a" {
		t.Fatalf("connection %q closed, want the oldest, a", got)
	}
	if n := e2.idle(); n != 2 {
		t.Fatalf("%d idle, want MaxIdlePerHost 2", n)
	}
	if r := e2.mustDo(&httpclient.Request{URL: s2.url + "/x"}); string(r.Body) != "c" {
		t.Fatalf("served by %q, want c", r.Body)
	}
}
