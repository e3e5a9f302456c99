package httpclient

import (
	"bufio"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/stream"
)

// The allocation-free builders give what the httpproto methods they
// stand for give.
func TestAppendersMatchURLMethods(t *testing.T) {
	for _, raw := range []string{
		"http://example.com",
		"http://example.com/",
		"http://example.com:80/a",
		"https://example.com:443/a?b=c",
		"http://example.com:8080/a/b?c=d&e#frag",
		"http://u:p@example.com:81/x?y",
		"http://[::1]:8080/v6?q",
		"https://[fe80::1]/",
		"http://h/?",
		"http://h/p#",
		"HTTP://Example.COM/Caps",
		"http://h/caf%C3%A9?x=%20",
	} {
		u, err := httpproto.ParseURL(raw)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if got := string(appendAuthority(nil, &u)); got != u.Authority() {
			t.Errorf("%s: authority %q, want %q", raw, got, u.Authority())
		}
		f := &fetch{url: u, rawURL: raw}
		if got, want := f.effectiveURL(), f.urlString(); got != want {
			t.Errorf("%s: effective URL %q, want %q", raw, got, want)
		}
		if got, want := f.requestTarget(), u.RequestURI(); got != want {
			t.Errorf("%s: request target %q, want %q", raw, got, want)
		}
	}
}

func TestAppendBasicAuth(t *testing.T) {
	for _, c := range [][2]string{{"", ""}, {"u", "p"}, {"Aladdin", "open sesame"}, {"ü", "p:w"}} {
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte(c[0]+":"+c[1]))
		dst := []byte("prefix")
		got := appendBasicAuth(dst, c[0], c[1])
		if string(got) != "prefix"+want {
			t.Errorf("%q: %q, want %q", c, got, want)
		}
		for _, b := range got[len(got):cap(got)] {
			if b != 0 {
				t.Errorf("%q: credentials left past the value", c)
				break
			}
		}
	}
}

// A pooled connection keeps its request-building buffer for the next
// request, but not one grown to a large body's size: an upload's bytes are
// copied by the stream, and ten idle connections that once sent 8 MiB each
// must not hold 80 MiB between requests (or for as long as they live).
func TestPooledConn_KeepsNoBodySizedBuffer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	const size = 8 << 20
	for _, c := range []struct {
		name string
		req  Request
	}{
		{"bytes", Request{Method: "POST", URL: srv.URL, Body: make([]byte, size)}},
		{"produced", Request{Method: "POST", URL: srv.URL, BodyProducer: func(w *BodyWriter) {
			w.Write(make([]byte, size), func(err error) { w.End(err) })
		}}},
	} {
		l := testloop.New(t, nil)
		cl := New(l, nil)
		testloop.Run(t, l, func(done func()) {
			cl.Fetch(&c.req, func(r *Response, err error) {
				defer done()
				defer cl.Close()
				if err != nil {
					t.Errorf("%s: %v", c.name, err)
					return
				}
				pooled := 0
				for _, idle := range cl.idle {
					for pc := idle.newest; pc != nil; pc = pc.older {
						pooled++
						if cap(pc.out) > maxKeptScratch {
							t.Errorf("%s: an idle connection holds a %d-byte request buffer", c.name, cap(pc.out))
						}
					}
				}
				if pooled != 1 {
					t.Errorf("%s: %d pooled connections, want 1", c.name, pooled)
				}
			})
		})
	}
}

// halfCloseServer answers each request on a connection with "hi" and then
// shuts its write side down (a FIN right behind the response), counting
// connections; requests after that are read and left unanswered.
func halfCloseServer(t *testing.T) (url string, conns *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns = new(atomic.Int32)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				br := bufio.NewReader(c)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
				c.(*net.TCPConn).CloseWrite()
				io.Copy(io.Discard, br) // until the client closes
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "http://" + ln.Addr().String() + "/", conns
}

// With Options.Stream allowing half-open connections, a server's FIN does
// not close the stream, so the pool's close watch never fires. A pooled
// connection whose peer has ended its side must still not hang the next
// request until its timeout: it is not reused (a POST, which is never
// retried, must get a fresh connection too), or the request is retried.
// The idle connection's read sees the FIN and closes it.
func TestPoolHalfOpenPeerClosedIdle(t *testing.T) {
	for _, second := range []Request{
		{},
		{Method: "POST", Body: []byte("x")},
	} {
		url, conns := halfCloseServer(t)
		second.URL = url
		l := testloop.New(t, nil)
		cl := New(l, &Options{
			Stream:         &stream.Options{AllowHalfOpen: true, WriteHighWater: -1},
			RequestTimeout: 5 * time.Second,
		})
		testloop.Run(t, l, func(done func()) {
			cl.Fetch(&Request{URL: url}, func(r *Response, err error) {
				if err != nil {
					t.Errorf("first request: %v", err)
					cl.Close()
					done()
					return
				}
				var pc *pconn
				for _, idle := range cl.idle {
					pc = idle.newest
				}
				// Wait until the client has seen the FIN: its idle read
				// ends then, and closes the connection (at once, if the FIN
				// came with the response: it is not pooled then).
				next := func(_ []byte, _ error) {
					cl.Fetch(&second, func(r *Response, err error) {
						defer done()
						defer cl.Close()
						if err != nil {
							t.Errorf("%q after the server's FIN: %v", second.Method, err)
							return
						}
						if string(r.Body) != "hi" {
							t.Errorf("%s after the server's FIN: body %q", second.Method, r.Body)
						}
					})
				}
				if pc == nil {
					next(nil, nil)
					return
				}
				pc.s.SetCloseCallback(func(err error) {
					pc.onClose(err)
					next(nil, err)
				})
			})
		})
		if n := conns.Load(); n != 2 {
			t.Errorf("%s: %d connections, want 2", second.Method, n)
		}
	}
}
