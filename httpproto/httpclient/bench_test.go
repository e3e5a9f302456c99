package httpclient_test

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/gale-io/gale/httpproto/httpclient"
	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/loop"
)

// BenchmarkKeepAliveGet fetches sequentially over one pooled connection
// from an httptest server; the client runs on the benchmark's goroutine.
func BenchmarkKeepAliveGet(b *testing.B) {
	srv := newServerB(b)
	l := testloop.New(b, nil)
	c := httpclient.New(l, nil)
	defer c.Close()
	req := &httpclient.Request{URL: srv + "/plaintext"}
	b.ReportAllocs()
	b.ResetTimer()
	_, err := loop.RunSync(l, time.Minute, func(done func(struct{}, error)) {
		n := 0
		var cb func(*httpclient.Response, error)
		cb = func(r *httpclient.Response, err error) {
			if err != nil || len(r.Body) != 13 {
				done(struct{}{}, err)
				return
			}
			n++
			if n == b.N {
				done(struct{}{}, nil)
				return
			}
			c.Fetch(req, cb)
		}
		c.Fetch(req, cb)
	})
	if err != nil {
		b.Fatal(err)
	}
}

// newServerB is a minimal keep-alive server on a goroutine: it answers
// every request head with a fixed response, allocating nothing per
// request, so that the benchmark's allocations are the client's.
func newServerB(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	conns := make(chan net.Conn, 1)
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		conns <- c
		resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!")
		buf := make([]byte, 4096)
		have := 0
		for {
			n, err := c.Read(buf[have:])
			if err != nil {
				return
			}
			have += n
			for {
				i := bytes.Index(buf[:have], []byte("\r\n\r\n"))
				if i < 0 {
					break
				}
				copy(buf, buf[i+4:have])
				have -= i + 4
				if _, err := c.Write(resp); err != nil {
					return
				}
			}
		}
	}()
	b.Cleanup(func() {
		ln.Close()
		select {
		case c := <-conns:
			c.Close()
		default:
		}
		<-done
	})
	return "http://" + ln.Addr().String()
}
