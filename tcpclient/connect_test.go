package tcpclient_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/netutil"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpclient"
)

// exchange writes msg on s and reads the server's echo.
func exchange(t *testing.T, l *loop.Loop, s *stream.Stream, msg string) {
	t.Helper()
	var got string
	var rerr error
	testloop.Run(t, l, func(done func()) {
		if err := s.Write([]byte(msg), nil); err != nil {
			t.Fatal(err)
		}
		s.ReadBytes(len(msg), false, func(data []byte, err error) {
			got, rerr = string(data), err
			done()
		})
	})
	if got != msg || rerr != nil {
		t.Fatalf("echo: got %q, %v; want %q", got, rerr, msg)
	}
}

func TestConnectIPLiteral(t *testing.T) {
	srv := newServer(t, "tcp4", "127.0.0.1:0")
	l := newLoop(t)
	r := connect(t, l, context.Background(), "127.0.0.1", int(srv.addr.Port()), nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := r.s.RemoteAddr().String(); got != srv.addr.String() {
		t.Fatalf("RemoteAddr %s, want %s", got, srv.addr)
	}
	if p := srv.peer(t); p.String() != r.s.LocalAddr().String() {
		t.Fatalf("server saw %s, client is %s", p, r.s.LocalAddr())
	}
	exchange(t, l, r.s, "hello, gale")
	exchange(t, l, r.s, "and again")
}

// A name goes through the resolver; a bracketed literal does not.
func TestConnectByName(t *testing.T) {
	srv := newServer(t, "tcp4", "127.0.0.1:0")
	l := newLoop(t)
	opts := resolverFor("service.test", netip.AddrPortFrom(srv.addr.Addr(), 0))
	r := connect(t, l, context.Background(), "Service.Test.", int(srv.addr.Port()), opts)
	if r.err != nil {
		t.Fatal(r.err)
	}
	exchange(t, l, r.s, "by name")

	opts.Resolver = netutil.ResolverFunc(func(context.Context, *loop.Loop, string, int, string, func([]netip.AddrPort, error)) {
		t.Error("an IP literal was resolved")
	})
	r = connect(t, l, context.Background(), "[127.0.0.1]", int(srv.addr.Port()), opts)
	if r.err != nil {
		t.Fatal(r.err)
	}
}

// The default resolver (Go's, on a goroutine) finds localhost.
func TestConnectLocalhostDefaultResolver(t *testing.T) {
	if _, err := net.LookupHost("localhost"); err != nil {
		t.Skipf("localhost does not resolve here: %v", err)
	}
	srv := newServer(t, "tcp4", "127.0.0.1:0")
	l := newLoop(t)
	r := connect(t, l, context.Background(), "localhost", int(srv.addr.Port()), &tcpclient.Options{Network: "tcp4"})
	if r.err != nil {
		t.Fatal(r.err)
	}
	exchange(t, l, r.s, "localhost")
}

func TestConnectRefused(t *testing.T) {
	dead := closedPort(t, "tcp4", "127.0.0.1:0")
	l := newLoop(t)
	r := connect(t, l, context.Background(), "127.0.0.1", int(dead.Port()), nil)
	var e *tcpclient.Error
	if !errors.As(r.err, &e) || !errors.Is(r.err, errRefused) {
		t.Fatalf("got %v, want an *Error wrapping ECONNREFUSED", r.err)
	}
	if e.Op != "connect" || e.Addr != dead || e.Host != "127.0.0.1" || e.Port != int(dead.Port()) || e.Timeout() {
		t.Fatalf("error fields %+v", e)
	}
	if errors.Is(r.err, stream.ErrClosed) {
		t.Fatalf("%v: a failed connect is not a closed-stream error", r.err)
	}
	t.Log(r.err)
}

// All addresses fail: the error is the last attempt's.
func TestAllFailLastError(t *testing.T) {
	a := closedPort(t, "tcp4", "127.0.0.1:0")
	b := closedPort(t, "tcp4", "127.0.0.1:0")
	l := newLoop(t)
	var cc closeCounter
	opts := resolverFor("dead.test", a, b)
	opts.Stream = cc.options()
	r := connect(t, l, context.Background(), "dead.test", 80, opts)
	var e *tcpclient.Error
	if !errors.As(r.err, &e) || !errors.Is(r.err, errRefused) || e.Addr != b {
		t.Fatalf("got %v, want ECONNREFUSED from the last address %v", r.err, b)
	}
	if n := cc.n.Load(); n != 2 {
		t.Fatalf("%d streams closed, want both attempts'", n)
	}
}

// A refused attempt starts the next one at once, not after the attempt
// delay.
func TestRefusedStartsNextAtOnce(t *testing.T) {
	dead := closedPort(t, "tcp4", "127.0.0.1:0")
	srv := newServer(t, "tcp4", "127.0.0.1:0")
	l := newLoop(t)
	opts := resolverFor("half.test", dead, srv.addr)
	opts.AttemptDelay = 10 * time.Second
	r := connect(t, l, context.Background(), "half.test", 80, opts)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := r.s.RemoteAddr().String(); got != srv.addr.String() {
		t.Fatalf("connected to %s, want %s", got, srv.addr)
	}
	if r.elapsed >= opts.AttemptDelay/2 {
		t.Fatalf("connected after %v: the refusal did not start the next attempt at once", r.elapsed)
	}
	t.Logf("connected after %v", r.elapsed)
	settle(t, l, r, 50*time.Millisecond)
}

func TestResolveError(t *testing.T) {
	l := newLoop(t)
	dnsErr := &net.DNSError{Err: "no such host", Name: "nowhere.test", IsNotFound: true}
	opts := &tcpclient.Options{Resolver: netutil.ResolverFunc(func(_ context.Context, l *loop.Loop, _ string, _ int, _ string, cb func([]netip.AddrPort, error)) {
		l.Post(func() { cb(nil, dnsErr) })
	})}
	r := connect(t, l, context.Background(), "nowhere.test", 80, opts)
	var e *tcpclient.Error
	var de *net.DNSError
	if !errors.As(r.err, &e) || e.Op != "resolve" || !errors.As(r.err, &de) || !de.IsNotFound {
		t.Fatalf("got %v, want a resolve *Error wrapping the *net.DNSError", r.err)
	}
}

// The deadline covers resolution: a resolver that never answers is
// abandoned (its context cancelled) when Options.Timeout expires.
func TestTimeoutDuringResolve(t *testing.T) {
	l := newLoop(t)
	var rctx context.Context
	opts := &tcpclient.Options{
		Timeout: 50 * time.Millisecond,
		Resolver: netutil.ResolverFunc(func(ctx context.Context, _ *loop.Loop, _ string, _ int, _ string, _ func([]netip.AddrPort, error)) {
			rctx = ctx // and never answer
		}),
	}
	r := connect(t, l, context.Background(), "slow.test", 80, opts)
	var e *tcpclient.Error
	if !errors.As(r.err, &e) || !errors.Is(r.err, context.DeadlineExceeded) || !e.Timeout() || e.Op != "resolve" {
		t.Fatalf("got %v, want a timeout with Op resolve", r.err)
	}
	if r.elapsed < opts.Timeout {
		t.Fatalf("timed out after %v, before the %v timeout", r.elapsed, opts.Timeout)
	}
	if rctx == nil || rctx.Err() == nil {
		t.Fatal("the resolver's context was not cancelled")
	}
}

func TestContextAlreadyCancelled(t *testing.T) {
	srv := newServer(t, "tcp4", "127.0.0.1:0")
	l := newLoop(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := connect(t, l, ctx, "127.0.0.1", int(srv.addr.Port()), nil)
	if !errors.Is(r.err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", r.err)
	}
}

func TestBadArguments(t *testing.T) {
	l := newLoop(t)
	for _, tc := range []struct {
		name string
		port int
		opts *tcpclient.Options
		want func(error) bool
	}{
		{"network", 80, &tcpclient.Options{Network: "udp"}, func(err error) bool {
			var ne net.UnknownNetworkError
			return errors.As(err, &ne)
		}},
		{"port 0", 0, nil, isAddrError},
		{"port 65536", 65536, nil, isAddrError},
		{"local port", 80, &tcpclient.Options{LocalPort: -1}, isAddrError},
		{"tcp4 with an IPv6 literal", 80, &tcpclient.Options{Network: "tcp4"}, isAddrError},
		{"IPv6 literal from an IPv4 local address", 80, &tcpclient.Options{LocalAddr: netip.MustParseAddr("127.0.0.1")}, isAddrError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host := "127.0.0.1"
			if tc.name == "tcp4 with an IPv6 literal" || tc.name == "IPv6 literal from an IPv4 local address" {
				host = "::1"
			}
			r := connect(t, l, context.Background(), host, tc.port, tc.opts)
			var e *tcpclient.Error
			if !errors.As(r.err, &e) || !tc.want(r.err) {
				t.Fatalf("got %v (%T)", r.err, errors.Unwrap(r.err))
			}
		})
	}
}

func isAddrError(err error) bool {
	var ae *net.AddrError
	return errors.As(err, &ae)
}

// Network "tcp6" skips IPv4 answers; "tcp4" skips IPv6 ones.
func TestNetworkFiltersFamilies(t *testing.T) {
	srv := newServer(t, "tcp4", "127.0.0.1:0")
	l := newLoop(t)
	six := netip.MustParseAddrPort("[::1]:1")
	var cc closeCounter
	opts := resolverFor("both.test", six, srv.addr)
	opts.Network = "tcp4"
	opts.Stream = cc.options()
	r := connect(t, l, context.Background(), "both.test", 80, opts)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if n := cc.n.Load(); n != 0 {
		t.Fatalf("%d attempts failed: the IPv6 address was tried", n)
	}
	opts.Network = "tcp6"
	opts.Resolver = resolver("v4only.test", srv.addr)
	r = connect(t, l, context.Background(), "v4only.test", 80, opts)
	if r.err == nil {
		t.Fatal("tcp6 connected to an IPv4 address")
	}
}

// A local address restricts the attempts to its family.
func TestLocalAddrFiltersFamilies(t *testing.T) {
	srv := newServer(t, "tcp4", "127.0.0.1:0")
	l := newLoop(t)
	var cc closeCounter
	opts := resolverFor("both.test", netip.MustParseAddrPort("[::1]:1"), srv.addr)
	opts.LocalAddr = netip.MustParseAddr("127.0.0.1")
	opts.Stream = cc.options()
	r := connect(t, l, context.Background(), "both.test", 80, opts)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if n := cc.n.Load(); n != 0 {
		t.Fatalf("%d attempts failed: the IPv6 address was tried", n)
	}
	if p := srv.peer(t); p.Addr() != opts.LocalAddr {
		t.Fatalf("server saw %v", p)
	}
}

// Source address binding: the server sees the address and port bound.
func TestLocalAddrAndPort(t *testing.T) {
	srv := newServer(t, "tcp4", "0.0.0.0:0")
	port := int(srv.addr.Port())
	l := newLoop(t)

	t.Run("address", func(t *testing.T) {
		// 127.0.0.0/8 is all loopback on Linux; elsewhere only 127.0.0.1 may be.
		local := netip.MustParseAddr("127.0.0.2")
		r := connect(t, l, context.Background(), "127.0.0.1", port, &tcpclient.Options{LocalAddr: local})
		if r.err != nil {
			if errors.Is(r.err, errAddrNotAvail) {
				t.Skipf("127.0.0.2 is not a local address here: %v", r.err)
			}
			t.Fatal(r.err)
		}
		if p := srv.peer(t); p.Addr() != local {
			t.Fatalf("server saw %v, want %v", p, local)
		}
	})
	t.Run("port", func(t *testing.T) {
		free := connectFromFreePort(t, l, port, netip.Addr{})
		if p := srv.peer(t); p.Port() != free || p.Addr() != netip.MustParseAddr("127.0.0.1") {
			t.Fatalf("server saw %v, want port %d", p, free)
		}
	})
	t.Run("address and port", func(t *testing.T) {
		local := netip.MustParseAddr("127.0.0.1")
		free := connectFromFreePort(t, l, port, local)
		if p := srv.peer(t); p != netip.AddrPortFrom(local, free) {
			t.Fatalf("server saw %v", p)
		}
	})
}

// connectFromFreePort connects to 127.0.0.1:port from a port that was
// free a moment ago. Another process may take it meanwhile, so a bind
// that finds it in use is tried again with another.
func connectFromFreePort(t *testing.T, l *loop.Loop, port int, local netip.Addr) uint16 {
	t.Helper()
	for try := 0; ; try++ {
		// Found free on every address, as a wildcard bind needs.
		free := closedPort(t, "tcp4", "0.0.0.0:0").Port()
		r := connect(t, l, context.Background(), "127.0.0.1", port, &tcpclient.Options{LocalAddr: local, LocalPort: int(free)})
		if r.err == nil {
			return free
		}
		if !errors.Is(r.err, errAddrInUse) || try == 4 {
			t.Fatal(r.err)
		}
		t.Logf("retrying with another port: %v", r.err)
	}
}

func TestIPv6(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	ln.Close()
	srv6 := newServer(t, "tcp6", "[::1]:0")
	l := newLoop(t)

	r := connect(t, l, context.Background(), "::1", int(srv6.addr.Port()), nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	exchange(t, l, r.s, "over IPv6")

	// Mixed families, IPv4 first: interleaved, the IPv6 address is tried
	// second, not after the other IPv4 one, and at once when the first is
	// refused.
	dead4 := closedPort(t, "tcp4", "127.0.0.1:0")
	dead4b := closedPort(t, "tcp4", "127.0.0.1:0")
	var cc closeCounter
	opts := resolverFor("dual.test", dead4, dead4b, srv6.addr)
	opts.AttemptDelay = 10 * time.Second
	opts.Stream = cc.options()
	r = connect(t, l, context.Background(), "dual.test", 80, opts)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := r.s.RemoteAddr().String(); got != srv6.addr.String() {
		t.Fatalf("connected to %s", got)
	}
	if n := cc.n.Load(); n != 1 {
		t.Fatalf("%d attempts failed before the IPv6 one, want 1", n)
	}
	if p := srv6.peer(t); p.Addr() != netip.IPv6Loopback() {
		t.Fatalf("server saw %v", p)
	}
}

// NoDelay sets TCP_NODELAY on the winner.
func TestNoDelay(t *testing.T) {
	srv := newServer(t, "tcp4", "127.0.0.1:0")
	l := newLoop(t)
	for _, on := range []bool{false, true} {
		r := connect(t, l, context.Background(), "127.0.0.1", int(srv.addr.Port()), &tcpclient.Options{NoDelay: on})
		if r.err != nil {
			t.Fatal(r.err)
		}
		if got := noDelay(t, r.s); got != on {
			t.Fatalf("NoDelay %v: TCP_NODELAY is %v", on, got)
		}
	}
}

// Connect's errors name host:port, even for port 0 with another bad
// argument: such an error must not read as ConnectUnix's ("connect unix
// HOST"), whose errors carry port 0.
func TestBadArgumentsWithPortZeroMessage(t *testing.T) {
	l := newLoop(t)
	r := connect(t, l, context.Background(), "example.com", 0, &tcpclient.Options{Network: "udp"})
	var e *tcpclient.Error
	if !errors.As(r.err, &e) {
		t.Fatalf("got %v, want a *tcpclient.Error", r.err)
	}
	if msg := r.err.Error(); !strings.HasPrefix(msg, "tcpclient: connect example.com:0: ") {
		t.Fatalf("error %q, want it to name example.com:0", msg)
	}
}
