package netutil

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gale-io/gale/loop"
)

// Resolver looks up the addresses of a host name for a loop, the
// counterpart of Tornado's Resolver.
//
// Resolve looks up host for network ("tcp", "tcp4" or "tcp6"; "" means
// "tcp"; "udp", "udp4" and "udp6" are accepted too) and calls cb on l's
// goroutine exactly once with the addresses, each with port, or an error;
// the addresses are those of network's family only, without duplicates, in
// the order the source gave them (for DNS, the RFC 6724 preference order
// that Happy Eyeballs starts from). cb is never called before Resolve
// returns, not even for an IP literal or an error in the arguments, so the
// caller may finish setting up after Resolve. When ctx ends first, cb gets
// an error matching ctx.Err() (lookups already under way may take a moment
// to notice). If l is closed before the answer is delivered, cb is not
// called.
//
// Implementations must allow Resolve from any goroutine.
type Resolver interface {
	Resolve(ctx context.Context, l *loop.Loop, host string, port int, network string, cb func([]netip.AddrPort, error))
}

// ResolverFunc adapts a function to Resolver.
type ResolverFunc func(ctx context.Context, l *loop.Loop, host string, port int, network string, cb func([]netip.AddrPort, error))

// Resolve calls f.
func (f ResolverFunc) Resolve(ctx context.Context, l *loop.Loop, host string, port int, network string, cb func([]netip.AddrPort, error)) {
	f(ctx, l, host, port, network, cb)
}

// NetResolver is the default Resolver: it runs a *net.Resolver (Go's own,
// which reads /etc/hosts and then asks DNS, or the system's getaddrinfo when
// Go is built to use cgo) on another goroutine through loop.Offload, so the
// loop never waits, as Tornado's DefaultLoopResolver runs getaddrinfo in an
// executor. An IP literal is answered without a goroutine. The zero value is
// ready to use.
type NetResolver struct {
	// Resolver does the lookups. Default net.DefaultResolver.
	Resolver *net.Resolver
	// Timeout bounds each lookup, besides ctx. Default 0: none.
	Timeout time.Duration
}

// Resolve implements Resolver.
func (r NetResolver) Resolve(ctx context.Context, l *loop.Loop, host string, port int, network string, cb func([]netip.AddrPort, error)) {
	if err := checkQuery(ctx, port, network); err != nil {
		post(l, cb, nil, err)
		return
	}
	if a, ok := parseLiteral(host); ok {
		answer(l, cb, host, []netip.Addr{a}, port, network)
		return
	}
	if host == "" {
		post(l, cb, nil, &net.DNSError{Err: "empty host name", Name: host, IsNotFound: true})
		return
	}
	res := r.Resolver
	if res == nil {
		res = net.DefaultResolver
	}
	timeout := r.Timeout
	loop.Offload(l, func() ([]netip.Addr, error) {
		lctx := ctx
		if timeout > 0 {
			var cancel context.CancelFunc
			lctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		return res.LookupNetIP(lctx, lookupNetwork(network), host)
	}, func(ips []netip.Addr, err error) {
		if err != nil {
			cb(nil, err)
			return
		}
		addrs, err := filterAddrs(host, ips, port, network)
		cb(addrs, err)
	})
}

// OverrideResolver answers from a fixed table and asks Fallback about every
// other host, like Tornado's OverrideResolver: tests point names at local
// servers with it. Lookups in the table answer without a goroutine.
//
// Do not change its fields while it is in use; Resolve is then safe from
// any goroutine.
type OverrideResolver struct {
	// Hosts maps a host name, or a "host:port" pair written as
	// net.JoinHostPort does, to the addresses it stands for. Write names in
	// lower case without a trailing dot: lookups fold the name they are
	// given that way. A "host:port" entry wins over a "host" entry. An
	// address with port 0 takes the port asked for, so one entry serves
	// every port; any other port replaces it.
	Hosts map[string][]netip.AddrPort
	// Fallback resolves what Hosts does not list. Default NetResolver{}.
	Fallback Resolver
}

// Resolve implements Resolver.
func (r *OverrideResolver) Resolve(ctx context.Context, l *loop.Loop, host string, port int, network string, cb func([]netip.AddrPort, error)) {
	if err := checkQuery(ctx, port, network); err != nil {
		post(l, cb, nil, err)
		return
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	entry, ok := r.Hosts[net.JoinHostPort(name, strconv.Itoa(port))]
	if !ok {
		entry, ok = r.Hosts[name]
	}
	if !ok {
		fb := r.Fallback
		if fb == nil {
			fb = NetResolver{}
		}
		fb.Resolve(ctx, l, host, port, network, cb)
		return
	}
	addrs := make([]netip.AddrPort, 0, len(entry))
	for _, ap := range entry {
		p := ap.Port()
		if p == 0 {
			p = uint16(port)
		}
		addrs = append(addrs, netip.AddrPortFrom(ap.Addr().Unmap(), p))
	}
	addrs = filterAddrPorts(addrs, network)
	var err error
	if len(addrs) == 0 {
		err = noSuitableAddress(host)
	}
	post(l, cb, addrs, err)
}

// checkQuery validates the arguments every resolver shares.
func checkQuery(ctx context.Context, port int, network string) error {
	switch network {
	case "", "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6":
	default:
		return net.UnknownNetworkError(network)
	}
	if port < 0 || port > 65535 {
		return &net.AddrError{Err: "invalid port", Addr: strconv.Itoa(port)}
	}
	return ctx.Err()
}

// answer delivers ips for an IP literal.
func answer(l *loop.Loop, cb func([]netip.AddrPort, error), host string, ips []netip.Addr, port int, network string) {
	addrs, err := filterAddrs(host, ips, port, network)
	post(l, cb, addrs, err)
}

// post delivers a result on l's goroutine. If l is closed, cb is dropped,
// as loop.Offload drops results.
func post(l *loop.Loop, cb func([]netip.AddrPort, error), addrs []netip.AddrPort, err error) {
	l.Post(func() { cb(addrs, err) })
}

// filterAddrs pairs ips with port, keeping network's family, without
// duplicates, in their order.
func filterAddrs(host string, ips []netip.Addr, port int, network string) ([]netip.AddrPort, error) {
	addrs := make([]netip.AddrPort, 0, len(ips))
	for _, a := range ips {
		addrs = append(addrs, netip.AddrPortFrom(a.Unmap(), uint16(port)))
	}
	addrs = filterAddrPorts(addrs, network)
	if len(addrs) == 0 {
		return nil, noSuitableAddress(host)
	}
	return addrs, nil
}

// filterAddrPorts keeps network's family and drops repeats, in place.
func filterAddrPorts(addrs []netip.AddrPort, network string) []netip.AddrPort {
	out := addrs[:0]
	for _, ap := range addrs {
		if !familyMatches(ap.Addr(), network) || slices.Contains(out, ap) {
			continue
		}
		out = append(out, ap)
	}
	return out
}

func noSuitableAddress(host string) error {
	return &net.DNSError{Err: "no suitable address found", Name: host, IsNotFound: true}
}
