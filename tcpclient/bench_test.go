package tcpclient_test

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpclient"
)

// acceptAndClose is a loopback listener (package net) that closes every
// connection it accepts.
func acceptAndClose(b *testing.B) netip.AddrPort {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	b.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().(*net.TCPAddr).AddrPort()
}

// Connect and close, one connection after another, to a local listener:
// the cost of a connection's setup on the loop side.
func BenchmarkConnectClose(b *testing.B) {
	addr := acceptAndClose(b)
	for _, bc := range []struct {
		name string
		host string
		opts *tcpclient.Options
	}{
		{"literal", addr.Addr().String(), nil},
		{"resolved", "bench.test", resolverFor("bench.test", addr)},
		{"timeout", addr.Addr().String(), &tcpclient.Options{Timeout: time.Minute}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			l := newLoop(b)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			testloop.Run(b, l, func(done func()) {
				n := 0
				var next func()
				next = func() {
					if n == b.N {
						done()
						return
					}
					n++
					tcpclient.Connect(ctx, l, bc.host, int(addr.Port()), bc.opts, func(s *stream.Stream, err error) {
						if err != nil {
							b.Fatal(err)
						}
						s.Close()
						next()
					})
				}
				next()
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "conns/s")
		})
	}
}

// The same with package net's Dial, for comparison (a goroutine blocks on
// each connect there, where gale's loop waits on its poller).
func BenchmarkNetDialClose(b *testing.B) {
	addr := acceptAndClose(b)
	b.ReportAllocs()
	start := time.Now()
	for range b.N {
		c, err := net.Dial("tcp4", addr.String())
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "conns/s")
}
