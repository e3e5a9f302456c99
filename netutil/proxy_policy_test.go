package netutil_test

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/gale-io/gale/netutil"
)

func TestProxyPolicy(t *testing.T) {
	var off *netutil.ProxyPolicy
	if off.Enabled() || off.Trusts(&net.TCPAddr{IP: net.IPv4(10, 0, 0, 1)}) || off.Timeout() != netutil.DefaultProxyHeaderTimeout {
		t.Fatal("a nil policy trusts")
	}
	if (&netutil.ProxyPolicy{}).Enabled() {
		t.Fatal("the zero policy is enabled")
	}
	p := &netutil.ProxyPolicy{
		Trusted:       []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")},
		HeaderTimeout: time.Second,
	}
	if !p.Enabled() || p.Timeout() != time.Second {
		t.Fatal("policy not enabled")
	}
	for _, c := range []struct {
		peer net.Addr
		want bool
	}{
		{&net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 5}, true},
		{&net.TCPAddr{IP: net.ParseIP("10.1.2.3").To4(), Port: 5}, true},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:10.1.2.3"), Port: 5}, true},
		{&net.TCPAddr{IP: net.ParseIP("fd00::1"), Zone: "eth0"}, true},
		{&net.TCPAddr{IP: net.ParseIP("11.0.0.1")}, false},
		{&net.TCPAddr{IP: net.ParseIP("127.0.0.1")}, false},
		{&net.TCPAddr{IP: net.ParseIP("fe80::1")}, false},
		{&net.UnixAddr{Name: "", Net: "unix"}, false},
		{&net.UDPAddr{IP: net.ParseIP("10.1.2.3")}, false},
		{nil, false},
		{(*net.TCPAddr)(nil), false},
	} {
		if got := p.Trusts(c.peer); got != c.want {
			t.Errorf("Trusts(%v) = %v", c.peer, got)
		}
	}
	if p.TrustsIP(netip.Addr{}) {
		t.Error("the zero address is trusted")
	}
	// A trusted network written IPv4-mapped names the IPv4 network.
	m := &netutil.ProxyPolicy{Trusted: []netip.Prefix{netip.MustParsePrefix("::ffff:10.0.0.0/104")}}
	for ip, want := range map[string]bool{"10.9.8.7": true, "::ffff:10.9.8.7": true, "11.0.0.1": false, "::1": false} {
		if got := m.TrustsIP(netip.MustParseAddr(ip)); got != want {
			t.Errorf("TrustsIP(%s) with ::ffff:10.0.0.0/104 = %v, want %v", ip, got, want)
		}
	}
	u := &netutil.ProxyPolicy{TrustUnix: true}
	if !u.Enabled() || !u.Trusts(&net.UnixAddr{Net: "unix"}) || u.Trusts(&net.TCPAddr{IP: net.IPv4(10, 0, 0, 1)}) {
		t.Error("TrustUnix")
	}
}
