package netutil

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// BindOptions configure BindSockets. A nil *BindOptions gives the defaults
// documented on each field.
type BindOptions struct {
	// Network is "tcp" (IPv4 and IPv6, the default), "tcp4" or "tcp6", as
	// Tornado's family argument AF_UNSPEC, AF_INET or AF_INET6.
	Network string
	// Backlog is the listen(2) backlog, the number of connections the
	// kernel queues until they are accepted. Default DefaultBacklog (128).
	// Larger values are passed on; the kernel may cap them (Linux at
	// net.core.somaxconn).
	Backlog int
	// ReusePort sets SO_REUSEPORT, so several sockets (one per loop, or per
	// process) can listen on the same address and port. On Linux and
	// DragonFly the kernel balances new connections across them by a hash
	// of the connection's addresses and ports; on FreeBSD gale also sets
	// SO_REUSEPORT_LB for the same effect. On macOS, NetBSD and OpenBSD
	// the sockets may share the port but the kernel does not balance the
	// connections across them, so one listener shared by the loops is the
	// better design there. Where SO_REUSEPORT does not exist (Solaris,
	// illumos, Windows) BindSockets fails with an error wrapping
	// ErrUnsupported.
	ReusePort bool
}

// maxPortRetries bounds how often BindSockets starts over when port 0 was
// asked for and the port the first socket got is taken in another family.
const maxPortRetries = 5

// BindSockets creates listening TCP sockets for port on address, one per
// address the name stands for, like Tornado's bind_sockets:
//
//   - address "" means every interface: 0.0.0.0 and ::, as two sockets
//     (IPV6_V6ONLY is set on every IPv6 socket, so the two never collide);
//     a family the system does not support (EAFNOSUPPORT) is skipped.
//   - An IP literal ("127.0.0.1", "::1", "fe80::1%eth0", "[::1]") is bound
//     as it is.
//   - Any other address is a host name, looked up with net.DefaultResolver
//     (which reads /etc/hosts first, as getaddrinfo does). The lookup
//     blocks: bind at setup, not from a running loop. Its addresses are
//     bound IPv4 first, without duplicates.
//
// Every socket is non-blocking and close-on-exec, has SO_REUSEADDR (except
// on Windows, where it would let others steal the port) and, with
// opts.ReusePort, SO_REUSEPORT. With port 0 the first socket gets a port
// from the kernel and every later socket asks for that same port; if that
// port is taken in another family, BindSockets starts over (a few times).
// EADDRNOTAVAIL is ignored for ::1 when address is "localhost" (a host
// without IPv6, as in some containers), and nowhere else. On any other
// failure the sockets made so far are closed and the error, a *net.OpError
// wrapping the system call's error, is returned.
func BindSockets(port int, address string, opts *BindOptions) ([]*Listener, error) {
	var o BindOptions
	if opts != nil {
		o = *opts
	}
	if o.Backlog <= 0 {
		o.Backlog = DefaultBacklog
	}
	netw := o.Network
	if netw == "" {
		netw = "tcp"
	}
	o.Network = netw
	if netw != "tcp" && netw != "tcp4" && netw != "tcp6" {
		return nil, &net.OpError{Op: "listen", Net: netw, Err: net.UnknownNetworkError(netw)}
	}
	if port < 0 || port > 65535 {
		return nil, &net.OpError{Op: "listen", Net: netw, Err: &net.AddrError{Err: "invalid port", Addr: strconv.Itoa(port)}}
	}
	if o.ReusePort && !reusePortSupported {
		return nil, unsupported("SO_REUSEPORT")
	}
	addrs, err := bindAddrs(address, netw)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: netw, Err: err}
	}
	for attempt := 0; ; attempt++ {
		lns, err := bindAll(addrs, port, address, &o)
		if err != nil && port == 0 && len(addrs) > 1 && attempt < maxPortRetries && isAddrInUse(err) {
			continue // the port the first socket got is busy in the other family
		}
		return lns, err
	}
}

// bindAll binds one socket per address, sharing the first socket's port
// when port is 0.
func bindAll(addrs []netip.Addr, port int, address string, o *BindOptions) ([]*Listener, error) {
	var lns []*Listener
	fail := func(err error) ([]*Listener, error) {
		for _, ln := range lns {
			ln.Close()
		}
		return nil, err
	}
	var skipped error
	for _, a := range addrs {
		ap := netip.AddrPortFrom(a, uint16(port))
		fd, bound, err := listenTCP(ap, o.ReusePort, o.Backlog)
		if err != nil {
			if isAFNoSupport(err) || (isAddrNotAvail(err) && address == "localhost" && a == netip.IPv6Loopback()) {
				skipped = opError(ap, err)
				continue
			}
			return fail(opError(ap, err))
		}
		if port == 0 {
			port = int(bound.Port())
		}
		lns = append(lns, newListener(fd, net.TCPAddrFromAddrPort(bound)))
	}
	if len(lns) == 0 {
		if skipped == nil {
			skipped = &net.OpError{Op: "listen", Net: o.Network, Err: errors.New("no address to bind")}
		}
		return nil, skipped
	}
	return lns, nil
}

func opError(ap netip.AddrPort, err error) error {
	netw := "tcp4"
	if ap.Addr().Is6() {
		netw = "tcp6"
	}
	return &net.OpError{Op: "listen", Net: netw, Addr: net.TCPAddrFromAddrPort(ap), Err: err}
}

// bindAddrs lists the addresses to bind for address and network, IPv4
// first, without duplicates.
func bindAddrs(address, network string) ([]netip.Addr, error) {
	var addrs []netip.Addr
	switch {
	case address == "":
		addrs = []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified()}
	default:
		if a, ok := parseLiteral(address); ok {
			addrs = []netip.Addr{a}
			break
		}
		// A setup step, documented to block, as getaddrinfo does.
		ips, err := net.DefaultResolver.LookupNetIP(context.Background(), lookupNetwork(network), address)
		if err != nil {
			return nil, err
		}
		for _, a := range ips {
			a = a.Unmap()
			// macOS lists fe80::1%lo0 for localhost; Tornado skips scoped
			// addresses there, and so do we everywhere.
			if address == "localhost" && a.Zone() != "" {
				continue
			}
			addrs = append(addrs, a)
		}
	}
	addrs = slices.DeleteFunc(addrs, func(a netip.Addr) bool { return !familyMatches(a, network) })
	if len(addrs) == 0 {
		return nil, &net.AddrError{Err: "no suitable address", Addr: address}
	}
	// Without duplicates (a resolver may repeat an address anywhere in its
	// answer; Tornado takes a set), then IPv4 first, in the answer's order.
	seen := make(map[netip.Addr]bool, len(addrs))
	addrs = slices.DeleteFunc(addrs, func(a netip.Addr) bool {
		dup := seen[a]
		seen[a] = true
		return dup
	})
	slices.SortStableFunc(addrs, func(a, b netip.Addr) int { return cmp.Compare(familyRank(a), familyRank(b)) })
	return addrs, nil
}

// parseLiteral parses an IP literal, with an optional zone and optional
// brackets around an IPv6 address, as an IPv4 address when it is an
// IPv4-mapped one.
func parseLiteral(s string) (netip.Addr, bool) {
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	if a.Is4In6() && a.Zone() == "" {
		a = a.Unmap()
	}
	return a, true
}

func familyRank(a netip.Addr) int {
	if a.Is4() {
		return 0
	}
	return 1
}

// familyMatches reports whether a belongs to network's family: "tcp4"
// (IPv4), "tcp6" (IPv6), or anything else (both). The same goes for the
// "udp" and "ip" variants.
func familyMatches(a netip.Addr, network string) bool {
	switch {
	case strings.HasSuffix(network, "4"):
		return a.Is4()
	case strings.HasSuffix(network, "6"):
		return a.Is6()
	}
	return true
}

// lookupNetwork is the network argument LookupNetIP wants for network.
func lookupNetwork(network string) string {
	switch {
	case strings.HasSuffix(network, "4"):
		return "ip4"
	case strings.HasSuffix(network, "6"):
		return "ip6"
	}
	return "ip"
}

// zoneIndex turns an IPv6 zone (an interface name or number) into the
// interface index a sockaddr carries.
func zoneIndex(zone string) (uint32, error) {
	if zone == "" {
		return 0, nil
	}
	if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return uint32(n), nil
	}
	ifi, err := net.InterfaceByName(zone)
	if err != nil {
		return 0, fmt.Errorf("netutil: zone %q: %w", zone, err)
	}
	return uint32(ifi.Index), nil
}

// zoneName turns an interface index into a zone, the interface's name when
// it has one.
func zoneName(index uint32) string {
	if index == 0 {
		return ""
	}
	if ifi, err := net.InterfaceByIndex(int(index)); err == nil {
		return ifi.Name
	}
	return strconv.FormatUint(uint64(index), 10)
}
