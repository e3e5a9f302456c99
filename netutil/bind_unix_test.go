//go:build unix

package netutil_test

import (
	"errors"
	"net"
	"testing"

	"github.com/gale-io/gale/netutil"
	"golang.org/x/sys/unix"
)

// Every IPv6 listener has IPV6_V6ONLY, so the IPv4 and IPv6 sockets of a
// dual bind never collide; every listener has SO_REUSEADDR and is
// non-blocking and close-on-exec.
func TestBindSocketOptions(t *testing.T) {
	lns := bind(t, 0, "", nil)
	for _, ln := range lns {
		checkFlags(t, ln.FD())
		if v, err := unix.GetsockoptInt(ln.FD(), unix.SOL_SOCKET, unix.SO_REUSEADDR); err != nil || v == 0 {
			t.Errorf("%v: SO_REUSEADDR = %d, %v", ln.Addr(), v, err)
		}
		if tcpAddr(t, ln).AddrPort().Addr().Is4() {
			continue
		}
		v, err := unix.GetsockoptInt(ln.FD(), unix.IPPROTO_IPV6, unix.IPV6_V6ONLY)
		if err != nil || v != 1 {
			t.Errorf("%v: IPV6_V6ONLY = %d, %v; want 1", ln.Addr(), v, err)
		}
	}
}

func TestBindV6OnlyLiteral(t *testing.T) {
	needIPv6(t)
	ln := bind(t, 0, "::", nil)[0]
	if v, err := unix.GetsockoptInt(ln.FD(), unix.IPPROTO_IPV6, unix.IPV6_V6ONLY); err != nil || v != 1 {
		t.Fatalf("IPV6_V6ONLY = %d, %v; want 1", v, err)
	}
	// The IPv6 wildcard does not take the IPv4 port: an IPv4 socket binds it.
	port := tcpAddr(t, ln).Port
	bind(t, port, "0.0.0.0", nil)
}

// EADDRNOTAVAIL is ignored only for ::1 under "localhost": an address this
// host does not have is an error.
func TestBindAddrNotAvail(t *testing.T) {
	_, err := netutil.BindSockets(0, "192.0.2.1", nil) // TEST-NET-1, RFC 5737
	if !errors.Is(err, unix.EADDRNOTAVAIL) {
		t.Fatalf("bind 192.0.2.1: %v, want EADDRNOTAVAIL", err)
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Addr.String() != "192.0.2.1:0" {
		t.Fatalf("error %v does not name the address", err)
	}
}
