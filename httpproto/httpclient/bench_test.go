package httpclient_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gale-io/gale/httpproto/httpclient"
	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/loop"
)

// BenchmarkKeepAliveGet fetches sequentially over one pooled connection
// from a minimal server; the client runs on the benchmark's goroutine.
// cpu-ns/op is the process's CPU time (client and server) per request.
func BenchmarkKeepAliveGet(b *testing.B) {
	srv := newServerB(b)
	l := testloop.New(b, nil)
	c := httpclient.New(l, nil)
	defer c.Close()
	req := &httpclient.Request{URL: srv + "/plaintext"}
	b.ReportAllocs()
	cpu := startCPU()
	b.ResetTimer()
	if err := fetchN(l, c, req, b.N); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	cpu.report(b)
}

// BenchmarkKeepAliveGetNetHTTP is BenchmarkKeepAliveGet with net/http's
// Client (one keep-alive connection, the body read and closed) against
// the same server, for comparison.
func BenchmarkKeepAliveGetNetHTTP(b *testing.B) {
	srv := newServerB(b)
	tr := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	url := srv + "/plaintext"
	buf := make([]byte, 64)
	b.ReportAllocs()
	cpu := startCPU()
	b.ResetTimer()
	for range b.N {
		r, err := hc.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.ReadFull(r.Body, buf[:13])
		r.Body.Close()
		if err != nil || n != 13 {
			b.Fatal(n, err)
		}
	}
	b.StopTimer()
	cpu.report(b)
}

// TestKeepAliveGetAllocs: in steady state a keep-alive GET with a small
// body costs four allocations, all of them the caller's: the Response,
// its Header (its fields and their bytes) and its Body.
func TestKeepAliveGetAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates; run without -race")
	}
	srv := newServerB(t)
	l := testloop.New(t, nil)
	c := httpclient.New(l, nil)
	defer c.Close()
	req := &httpclient.Request{URL: srv + "/plaintext?q=1"}
	if err := fetchN(l, c, req, 100); err != nil {
		t.Fatal(err)
	}
	const perRun = 200 // requests per measured run: RunSync's own cost spreads thin
	var err error
	a := testing.AllocsPerRun(20, func() {
		if e := fetchN(l, c, req, perRun); e != nil {
			err = e
		}
	}) / perRun
	if err != nil {
		t.Fatal(err)
	}
	if a > 4.1 {
		t.Errorf("%.2f allocations per request, want 4", a)
	}
}

// fetchN runs l until n sequential fetches of req succeeded with the
// server's 13-byte body.
func fetchN(l *loop.Loop, c *httpclient.Client, req *httpclient.Request, n int) error {
	_, err := loop.RunSync(l, time.Minute, func(done func(struct{}, error)) {
		i := 0
		var cb func(*httpclient.Response, error)
		cb = func(r *httpclient.Response, err error) {
			if err == nil && (r.Status != 200 || len(r.Body) != 13) {
				err = r.Err()
				if err == nil {
					err = io.ErrUnexpectedEOF
				}
			}
			if err != nil {
				done(struct{}{}, err)
				return
			}
			if i++; i == n {
				done(struct{}{}, nil)
				return
			}
			c.Fetch(req, cb)
		}
		c.Fetch(req, cb)
	})
	return err
}

// newServerB is a minimal keep-alive server on a goroutine: it answers
// every request head with a fixed response, allocating nothing per
// request, so that the allocations measured are the client's. It serves
// one connection.
func newServerB(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
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
	tb.Cleanup(func() {
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

// BenchmarkGzipBody fetches a 1 MiB text body sent gzip-compressed, from
// an httptest server on the same process: decoded whole at the end
// (buffered, into Response.Body) or as it arrives (streamed, to OnChunk,
// on the request's decoding goroutine). MB/s counts decompressed bytes.
func BenchmarkGzipBody(b *testing.B) {
	plain := bytes.Repeat([]byte("gale streams gzip bodies as they arrive\n"), (1<<20)/40)
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write(plain)
	zw.Close()
	body := zb.Bytes()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(body)
	}))
	defer srv.Close()
	for _, streamed := range []bool{false, true} {
		name := "buffered"
		if streamed {
			name = "streamed"
		}
		b.Run(name, func(b *testing.B) {
			l := testloop.New(b, nil)
			c := httpclient.New(l, nil)
			defer c.Close()
			got := 0
			req := &httpclient.Request{URL: srv.URL}
			if streamed {
				req.OnChunk = func(p []byte) { got += len(p) }
			}
			b.SetBytes(int64(len(plain)))
			b.ReportAllocs()
			for range b.N {
				got = 0
				r, err := loop.RunSync(l, time.Minute, func(done func(*httpclient.Response, error)) { c.Fetch(req, done) })
				if err != nil {
					b.Fatal(err)
				}
				if n := got + len(r.Body); n != len(plain) {
					b.Fatalf("%d bytes, want %d", n, len(plain))
				}
			}
		})
	}
}
