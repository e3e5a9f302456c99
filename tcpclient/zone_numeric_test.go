package tcpclient_test

import (
	"net"
	"net/netip"
	"strconv"
	"testing"

	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpclient"
)

// linkLocal returns an interface's IPv6 link-local address, or skips.
func linkLocal(t *testing.T) (netip.Addr, *net.Interface) {
	ifs, err := net.Interfaces()
	if err != nil {
		t.Skip(err)
	}
	for i := range ifs {
		ifi := &ifs[i]
		if ifi.Flags&net.FlagUp == 0 {
			continue
		}
		addrs, _ := ifi.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Is6() && ip.IsLinkLocalUnicast() {
					return ip.WithZone(ifi.Name), ifi
				}
			}
		}
	}
	t.Skip("no IPv6 link-local address")
	panic("unreachable")
}

// An IPv6 zone may be an interface's index as well as its name (RFC 4007
// section 11.2; Go's net accepts both): "fe80::1%2" reaches the link of
// interface 2, as "fe80::1%eth0" does.
func TestConnectLinkLocalWithNumericZone(t *testing.T) {
	ip, ifi := linkLocal(t)
	ln, err := net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		t.Skip("cannot listen on", ip, err)
	}
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		if c, err := ln.Accept(); err == nil {
			c.Close()
		}
	}()
	defer func() { ln.Close(); <-accepted }()
	port := ln.Addr().(*net.TCPAddr).Port

	l := testloop.New(t, nil)
	host := ip.WithZone("").String() + "%" + strconv.Itoa(ifi.Index)
	testloop.Run(t, l, func(done func()) {
		tcpclient.Connect(t.Context(), l, host, port, nil, func(s *stream.Stream, err error) {
			defer done()
			if err != nil {
				t.Errorf("connect to %s: %v", host, err)
				return
			}
			s.Close()
		})
	})
}
