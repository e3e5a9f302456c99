package netutil_test

import (
	"errors"
	"net"
	"net/netip"
	"runtime"
	"testing"

	"github.com/gale-io/gale/netutil"
)

func families(t testing.TB, lns []*netutil.Listener) (v4, v6 int) {
	t.Helper()
	for _, ln := range lns {
		if tcpAddr(t, ln).AddrPort().Addr().Unmap().Is4() {
			v4++
		} else {
			v6++
		}
	}
	return v4, v6
}

// dial connects to ln's address with package net, proving it listens.
func dial(t testing.TB, ln *netutil.Listener) {
	t.Helper()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial %v: %v", ln.Addr(), err)
	}
	c.Close()
}

func TestBindIPv4Literal(t *testing.T) {
	lns := bind(t, 0, "127.0.0.1", nil)
	if len(lns) != 1 {
		t.Fatalf("%d listeners, want 1", len(lns))
	}
	a := tcpAddr(t, lns[0])
	if a.AddrPort().Addr().Unmap() != netip.MustParseAddr("127.0.0.1") || a.Port == 0 {
		t.Fatalf("bound to %v", a)
	}
	dial(t, lns[0])
}

func TestBindIPv6Literal(t *testing.T) {
	needIPv6(t)
	for _, addr := range []string{"::1", "[::1]"} {
		lns := bind(t, 0, addr, nil)
		if len(lns) != 1 || tcpAddr(t, lns[0]).AddrPort().Addr() != netip.IPv6Loopback() {
			t.Fatalf("%q: bound to %v", addr, lns[0].Addr())
		}
		dial(t, lns[0])
	}
}

// "" binds every interface: one IPv4 and (where IPv6 works) one IPv6
// socket, on the same port.
func TestBindAllAddresses(t *testing.T) {
	lns := bind(t, 0, "", nil)
	v4, v6 := families(t, lns)
	want6 := 0
	if hasIPv6() {
		want6 = 1
	}
	if v4 != 1 || v6 != want6 {
		t.Fatalf("%d IPv4 and %d IPv6 listeners, want 1 and %d", v4, v6, want6)
	}
	if !tcpAddr(t, lns[0]).AddrPort().Addr().Unmap().Is4() {
		t.Fatalf("first listener %v: want IPv4 first", lns[0].Addr())
	}
	port := tcpAddr(t, lns[0]).Port
	for _, ln := range lns {
		if got := tcpAddr(t, ln).Port; got != port {
			t.Fatalf("ports %d and %d: port 0 must be reused across families", port, got)
		}
		if !tcpAddr(t, ln).AddrPort().Addr().IsUnspecified() {
			t.Fatalf("bound to %v, want an unspecified address", ln.Addr())
		}
	}
	c, err := net.Dial("tcp4", net.JoinHostPort("127.0.0.1", itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if hasIPv6() {
		c, err := net.Dial("tcp6", net.JoinHostPort("::1", itoa(port)))
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
}

func TestBindNetworkFilter(t *testing.T) {
	lns := bind(t, 0, "", &netutil.BindOptions{Network: "tcp4"})
	if v4, v6 := families(t, lns); v4 != 1 || v6 != 0 {
		t.Fatalf("tcp4: %d IPv4, %d IPv6", v4, v6)
	}
	if hasIPv6() {
		lns := bind(t, 0, "", &netutil.BindOptions{Network: "tcp6"})
		if v4, v6 := families(t, lns); v4 != 0 || v6 != 1 {
			t.Fatalf("tcp6: %d IPv4, %d IPv6", v4, v6)
		}
	}
	if _, err := netutil.BindSockets(0, "127.0.0.1", &netutil.BindOptions{Network: "tcp6"}); err == nil {
		t.Fatal("an IPv4 literal bound for tcp6")
	}
}

// localhost binds every address it resolves to; where ::1 cannot be bound
// (no IPv6), EADDRNOTAVAIL for it is ignored.
func TestBindLocalhost(t *testing.T) {
	lns := bind(t, 0, "localhost", nil)
	port := tcpAddr(t, lns[0]).Port
	for _, ln := range lns {
		a := tcpAddr(t, ln)
		if !a.AddrPort().Addr().IsLoopback() || a.Port != port {
			t.Fatalf("localhost bound to %v", a)
		}
		dial(t, ln)
	}
}

// A fixed port taken by another socket is an error that keeps its cause,
// and nothing stays open.
func TestBindAddrInUse(t *testing.T) {
	ln := bind1(t)
	port := tcpAddr(t, ln).Port
	_, err := netutil.BindSockets(port, "127.0.0.1", nil)
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "listen" {
		t.Fatalf("second bind: %v, want a *net.OpError", err)
	}
	if runtime.GOOS != "windows" && !isAddrInUse(err) {
		t.Fatalf("second bind: %v, want EADDRINUSE", err)
	}
}

func TestBindBadArguments(t *testing.T) {
	for _, c := range []struct {
		port int
		addr string
		opts *netutil.BindOptions
	}{
		{-1, "127.0.0.1", nil},
		{65536, "127.0.0.1", nil},
		{0, "127.0.0.1", &netutil.BindOptions{Network: "udp"}},
		{0, "not an address or a name!", nil},
	} {
		if lns, err := netutil.BindSockets(c.port, c.addr, c.opts); err == nil {
			for _, ln := range lns {
				ln.Close()
			}
			t.Errorf("BindSockets(%d, %q, %+v) succeeded", c.port, c.addr, c.opts)
		}
	}
}

func TestListenerCloseIdempotent(t *testing.T) {
	lns, err := netutil.BindSockets(0, "127.0.0.1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := lns[0].Close(); err != nil {
		t.Fatal(err)
	}
	if err := lns[0].Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestReusePortUnsupported(t *testing.T) {
	switch runtime.GOOS {
	case "windows", "solaris", "illumos":
	default:
		t.Skip("SO_REUSEPORT exists here")
	}
	_, err := netutil.BindSockets(0, "127.0.0.1", &netutil.BindOptions{ReusePort: true})
	if !errors.Is(err, netutil.ErrUnsupported) || !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("ReusePort: %v, want ErrUnsupported", err)
	}
}
