package netutil

import (
	"net"
	"net/netip"
	"time"
)

// DefaultProxyHeaderTimeout is how long a server waits for a trusted peer's
// PROXY header when ProxyPolicy.HeaderTimeout is 0.
const DefaultProxyHeaderTimeout = 10 * time.Second

// ProxyPolicy says whose PROXY protocol headers a server believes. The zero
// value, like a nil *ProxyPolicy, trusts nobody: the PROXY protocol is off.
//
// A connection from a trusted peer (inside Trusted, or on a Unix-domain
// listener with TrustUnix) must start with a header, version 1 or 2, as
// HAProxy's accept-proxy requires: a missing, malformed or late header
// (HeaderTimeout) closes the connection. A PROXY header gives the client's
// addresses; LOCAL and unknown-address headers keep the connection's own.
//
// A connection from any other peer is served as it is, with its real
// address, and none of its bytes is ever parsed as a header: a "PROXY ..."
// line it sends is payload (an HTTP server answers it 400). This is the
// safe choice of the two possible: a peer outside the trusted networks can
// never choose the address the server sees, and the server never waits for
// or peeks at an untrusted peer's first bytes, so protocols in which the
// server speaks first (SMTP, FTP, SSH) work for those peers, and direct
// clients (health checks, internal callers) can share the proxy's listener.
// Rejecting untrusted peers that send a header would buy nothing: their
// header is not believed either way.
//
// Trust networks narrowly: a trusted peer can claim any address. A
// ProxyPolicy is read-only once in use, and then safe from any goroutine.
type ProxyPolicy struct {
	// Trusted lists the networks of the proxies, for example the load
	// balancer's subnet. IPv4-mapped IPv6 peers match IPv4 prefixes.
	Trusted []netip.Prefix
	// TrustUnix trusts every connection on a Unix-domain listener, which
	// has no peer address to check (a proxy on the same host). Default
	// false.
	TrustUnix bool
	// HeaderTimeout bounds the wait for a trusted peer's header. Default
	// DefaultProxyHeaderTimeout (10 s).
	HeaderTimeout time.Duration
}

// Enabled reports whether the policy trusts anyone at all.
func (p *ProxyPolicy) Enabled() bool {
	return p != nil && (len(p.Trusted) > 0 || p.TrustUnix)
}

// Trusts reports whether a connection from peer (as an accept callback
// gets it: *net.TCPAddr, *net.UnixAddr) must carry a header that will be
// believed. Any other kind of address, or nil, is not trusted.
func (p *ProxyPolicy) Trusts(peer net.Addr) bool {
	if p == nil {
		return false
	}
	switch a := peer.(type) {
	case *net.TCPAddr:
		return a != nil && p.TrustsIP(a.AddrPort().Addr())
	case *net.UnixAddr:
		return a != nil && p.TrustUnix
	}
	return false
}

// TrustsIP reports whether ip is inside a trusted network. The zone is
// ignored, and an IPv4-mapped IPv6 address is taken as the IPv4 address,
// in ip and in a trusted network written in that form (::ffff:10.0.0.0/104
// is 10.0.0.0/8).
func (p *ProxyPolicy) TrustsIP(ip netip.Addr) bool {
	if p == nil || !ip.IsValid() {
		return false
	}
	ip = ip.WithZone("")
	if ip.Is4In6() {
		ip = ip.Unmap()
	}
	for _, pfx := range p.Trusted {
		if pfx.Contains(ip) {
			return true
		}
		if a := pfx.Addr(); a.Is4In6() && pfx.Bits() >= 96 {
			// Written IPv4-mapped: as the IPv4 network it names.
			if netip.PrefixFrom(a.Unmap(), pfx.Bits()-96).Contains(ip) {
				return true
			}
		}
	}
	return false
}

// Timeout returns HeaderTimeout, or its default.
func (p *ProxyPolicy) Timeout() time.Duration {
	if p == nil || p.HeaderTimeout <= 0 {
		return DefaultProxyHeaderTimeout
	}
	return p.HeaderTimeout
}
