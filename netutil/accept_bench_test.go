//go:build unix

package netutil_test

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gale-io/gale/netutil"
	"github.com/gale-io/gale/poller"
)

// BenchmarkAccept measures connections accepted per second on loopback,
// one op per connection: a client connects and waits for the server's end
// of file; the acceptor closes each connection at once; the client then
// resets its end (no TIME_WAIT). The client side's work is part of the
// cost, so compare runs of this benchmark, not absolute numbers.
func BenchmarkAccept(b *testing.B) {
	for _, clients := range []int{1, 8} {
		b.Run("clients="+itoa(clients), func(b *testing.B) {
			l := newLoop(b)
			ln := bind1(b)
			a, err := netutil.AddAcceptHandler(l, ln, func(fd poller.FD, _ net.Addr) { closeFD(fd) }, nil)
			if err != nil {
				b.Fatal(err)
			}
			start(b, l)
			addr := ln.Addr().String()
			want := int64(b.N)
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ReportAllocs()
			b.ResetTimer()
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var buf [1]byte
					for next.Add(1) <= want {
						c, err := net.Dial("tcp", addr)
						if err != nil {
							b.Error(err)
							return
						}
						if _, err := c.Read(buf[:]); err != io.EOF {
							b.Errorf("client read: %v, want end of file", err)
						}
						c.(*net.TCPConn).SetLinger(0)
						c.Close()
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "conns/s")
			onLoop(b, l, func() error {
				if got := a.Stats().Accepted; got != uint64(b.N) {
					b.Errorf("accepted %d of %d", got, b.N)
				}
				a.Stop()
				return nil
			})
		})
	}
}
