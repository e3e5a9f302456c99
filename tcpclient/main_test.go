package tcpclient_test

import (
	"context"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gale-io/gale/internal/leakcheck"
	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/netutil"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpclient"
)

func TestMain(m *testing.M) { os.Exit(leakcheck.Main(m)) }

// result is what a Connect delivered, and how long it took.
type result struct {
	s       *stream.Stream
	err     error
	elapsed time.Duration
	calls   int // how many times cb ran
}

// connect runs Connect on l until cb is called and returns what it got; the
// stream is closed at cleanup.
func connect(t testing.TB, l *loop.Loop, ctx context.Context, host string, port int, opts *tcpclient.Options) *result {
	t.Helper()
	r := &result{}
	testloop.Run(t, l, func(done func()) {
		start := time.Now()
		returned := false
		tcpclient.Connect(ctx, l, host, port, opts, func(s *stream.Stream, err error) {
			if !returned {
				t.Error("cb ran inside Connect")
			}
			r.calls++
			if r.calls > 1 {
				t.Errorf("cb called %d times", r.calls)
				return
			}
			r.s, r.err, r.elapsed = s, err, time.Since(start)
			if (s == nil) == (err == nil) {
				t.Errorf("cb(%v, %v): want exactly one of stream and error", s, err)
			}
			done()
		})
		returned = true
	})
	if r.s != nil {
		t.Cleanup(r.s.Close)
	}
	return r
}

// settle runs l for d more, so that a second cb call or a stray timer would
// show; then it checks r.calls.
func settle(t testing.TB, l *loop.Loop, r *result, d time.Duration) {
	t.Helper()
	testloop.Run(t, l, func(done func()) { l.CallLater(d, done) })
	if r.calls != 1 {
		t.Fatalf("cb called %d times", r.calls)
	}
}

// server is a loopback TCP server (package net) that echoes and reports
// the peer address of every connection it accepts.
type server struct {
	ln    net.Listener
	addr  netip.AddrPort
	peers chan netip.AddrPort
}

func newServer(t testing.TB, network, address string) *server {
	t.Helper()
	ln, err := net.Listen(network, address)
	if err != nil {
		t.Fatal(err)
	}
	srv := &server{ln: ln, addr: ln.Addr().(*net.TCPAddr).AddrPort(), peers: make(chan netip.AddrPort, 64)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			select {
			case srv.peers <- c.RemoteAddr().(*net.TCPAddr).AddrPort():
			default:
			}
			go echo(c)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return srv
}

// echo writes back what c reads until the peer closes. (Not io.Copy: on
// Linux it splices through pipes that the runtime pools and closes only
// when collected, which leakcheck would report.)
func echo(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// peer returns the address of the next connection the server accepted.
func (s *server) peer(t testing.TB) netip.AddrPort {
	t.Helper()
	select {
	case p := <-s.peers:
		return p
	case <-time.After(testloop.Timeout):
		t.Fatal("the server accepted no connection")
		return netip.AddrPort{}
	}
}

// closedPort returns a loopback address where nothing listens: connecting
// there is refused.
func closedPort(t testing.TB, network, address string) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen(network, address)
	if err != nil {
		t.Fatal(err)
	}
	ap := ln.Addr().(*net.TCPAddr).AddrPort()
	ln.Close()
	return ap
}

// resolverFor maps host to addrs.
func resolverFor(host string, addrs ...netip.AddrPort) *tcpclient.Options {
	return &tcpclient.Options{Resolver: resolver(host, addrs...)}
}

func resolver(host string, addrs ...netip.AddrPort) *netutil.OverrideResolver {
	return &netutil.OverrideResolver{Hosts: map[string][]netip.AddrPort{host: addrs}}
}

// closeCounter counts the streams closed, through stream.Options.OnClose.
type closeCounter struct{ n atomic.Int32 }

func (c *closeCounter) options() *stream.Options {
	return &stream.Options{OnClose: func(*stream.Stream, error) { c.n.Add(1) }}
}

func newLoop(t testing.TB) *loop.Loop { return testloop.New(t, nil) }
