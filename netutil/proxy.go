package netutil

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// The PROXY protocol, versions 1 and 2, as HAProxy specifies it
// (doc/proxy-protocol.txt, "The PROXY protocol, Versions 1 & 2"): a proxy
// that accepted a client's connection opens its own to the server and
// sends, before any other byte, a header naming the client's address (the
// source) and the address the client connected to (the destination).

const (
	// ProxyV1MaxLen is the longest version 1 header, CRLF included
	// (section 2.1).
	ProxyV1MaxLen = 107
	// ProxyV2MaxLen is the longest version 2 header: 16 fixed bytes and a
	// 16-bit length (section 2.2).
	ProxyV2MaxLen = 16 + 65535
)

// The two signatures. A version 1 header is a line of text; the version 2
// signature contains a NUL and "\r\n\r\n", so no HTTP, SMTP or other line
// protocol can start with it by accident (section 2.2).
const (
	proxyV1Sig = "PROXY "
	proxyV2Sig = "\r\n\r\n\x00\r\nQUIT\n"
)

// ErrProxyNeedMore is returned by ParseProxyHeader when the input is the
// beginning of a header that is not complete yet: call again with more
// bytes.
var ErrProxyNeedMore = errors.New("netutil: PROXY header incomplete")

// ProxyVersion is the version of the PROXY protocol a header uses.
type ProxyVersion uint8

const (
	// ProxyV1 is the text format: "PROXY TCP4 src dst sport dport\r\n".
	ProxyV1 ProxyVersion = 1
	// ProxyV2 is the binary format, with a 12-byte signature.
	ProxyV2 ProxyVersion = 2
)

// String returns "v1", "v2", or "v?" for anything else (ProxyError uses 0
// when neither signature matched).
func (v ProxyVersion) String() string {
	switch v {
	case ProxyV1:
		return "v1"
	case ProxyV2:
		return "v2"
	}
	return "v?"
}

// ProxyCommand says whether a header carries a proxied connection's
// addresses. Its values are the command nibble of version 2.
type ProxyCommand uint8

const (
	// ProxyCommandLocal: the proxy opened the connection on its own
	// behalf (a health check, say); the receiver uses the connection's real
	// addresses. Version 2 only.
	ProxyCommandLocal ProxyCommand = 0
	// ProxyCommandProxy: the connection is relayed for a client whose
	// addresses the header gives (when it knows them). Every version 1
	// header has this command.
	ProxyCommandProxy ProxyCommand = 1
)

// String returns "LOCAL" or "PROXY".
func (c ProxyCommand) String() string {
	switch c {
	case ProxyCommandLocal:
		return "LOCAL"
	case ProxyCommandProxy:
		return "PROXY"
	}
	return fmt.Sprintf("ProxyCommand(%d)", uint8(c))
}

// ProxyHeader is a parsed PROXY protocol header.
type ProxyHeader struct {
	Version ProxyVersion
	Command ProxyCommand
	// Network is the proxied connection's transport: "tcp4", "tcp6",
	// "udp4", "udp6", "unix" (stream) or "unixgram", or "" when the header
	// does not say: version 1 "UNKNOWN", version 2 AF_UNSPEC or an
	// unspecified transport, and every LOCAL header. Then Unknown reports
	// true and the receiver uses the connection's real addresses.
	Network string
	// Source and Destination are the client's address and the address it
	// connected to, for the "tcp" and "udp" networks.
	Source, Destination netip.AddrPort
	// SourcePath and DestinationPath are the socket paths for the "unix"
	// networks (an abstract name starts with '@').
	SourcePath, DestinationPath string
	// TLVs holds a version 2 header's type-length-value records, checked
	// for well-formedness (and for a matching CRC32C when one is present)
	// but not interpreted; see TLV. It aliases the input given to
	// ParseProxyHeader and is valid only as long as that is. Nil for LOCAL
	// and unknown-address headers, whose blocks are skipped unread.
	TLVs []byte
}

// Unknown reports whether the header leaves the addresses unknown (see
// Network): the connection's own addresses apply.
func (h *ProxyHeader) Unknown() bool { return h.Network == "" }

// Addrs returns the source and destination as net.Addr values (*net.TCPAddr,
// *net.UDPAddr or *net.UnixAddr), or nils when Unknown.
func (h *ProxyHeader) Addrs() (src, dst net.Addr) {
	switch h.Network {
	case "tcp4", "tcp6":
		return net.TCPAddrFromAddrPort(h.Source), net.TCPAddrFromAddrPort(h.Destination)
	case "udp4", "udp6":
		return net.UDPAddrFromAddrPort(h.Source), net.UDPAddrFromAddrPort(h.Destination)
	case "unix", "unixgram":
		return &net.UnixAddr{Name: h.SourcePath, Net: h.Network}, &net.UnixAddr{Name: h.DestinationPath, Net: h.Network}
	}
	return nil, nil
}

// TLV returns the value of the first record of type typ (PP2_TYPE_ALPN is
// 0x01, PP2_TYPE_AUTHORITY 0x02, ...; section 2.2.1), aliasing TLVs.
func (h *ProxyHeader) TLV(typ byte) ([]byte, bool) {
	b := h.TLVs
	for len(b) >= 3 {
		n := int(b[1])<<8 | int(b[2])
		if len(b) < 3+n {
			break
		}
		if b[0] == typ {
			return b[3 : 3+n], true
		}
		b = b[3+n:]
	}
	return nil, false
}

// ProxyError reports a malformed PROXY header: where the parser stopped and
// why. Version is 0 when the input starts with neither signature, so the
// peer did not send a header at all.
type ProxyError struct {
	Version ProxyVersion
	// Offset is the index, in the input, of the byte found wrong (for a
	// field that is wrong as a whole, its first byte).
	Offset int
	// Reason says what is wrong, such as "bad source port".
	Reason string
}

func (e *ProxyError) Error() string {
	if e.Version == 0 {
		return fmt.Sprintf("netutil: not a PROXY protocol header (byte %d)", e.Offset)
	}
	return fmt.Sprintf("netutil: malformed PROXY %v header: %s at byte %d", e.Version, e.Reason, e.Offset)
}

func proxyErr(v ProxyVersion, off int, reason string) error {
	return &ProxyError{Version: v, Offset: off, Reason: reason}
}

// ParseProxyHeader parses the PROXY protocol header, version 1 or 2, at the
// start of b. It returns the header and its length n in bytes (the data
// that follows, b[n:], belongs to the connection), or:
//
//   - ErrProxyNeedMore when b is the start of a header that needs more
//     bytes, including when b is empty;
//   - a *ProxyError when b cannot start a valid header, including when it
//     starts with neither signature (Version 0).
//
// It is pure and incremental: called again with the same bytes and more,
// it returns what it would have returned for all of them at once, and a
// malformed header is reported as soon as its first wrong byte is seen, at
// the latest once the limit is reached (ProxyV1MaxLen bytes, or the length
// a version 2 header announces, at most ProxyV2MaxLen). It never reads past
// those limits, never panics, and allocates nothing for TCP and UDP over
// IPv4 and IPv6 (a Unix path costs a string). TLVs in the result alias b.
func ParseProxyHeader(b []byte) (ProxyHeader, int, error) {
	if len(b) == 0 {
		return ProxyHeader{}, 0, ErrProxyNeedMore
	}
	switch b[0] {
	case proxyV1Sig[0]:
		return parseProxyV1(b)
	case proxyV2Sig[0]:
		return parseProxyV2(b)
	}
	return ProxyHeader{}, 0, proxyErr(0, 0, "bad signature")
}

// matchSig compares the start of b with sig: nil if b holds all of sig, a
// *ProxyError at the first difference, ErrProxyNeedMore if b is a shorter
// prefix of it.
func matchSig(b []byte, sig string) error {
	for i := 0; i < len(sig); i++ {
		if i >= len(b) {
			return ErrProxyNeedMore
		}
		if b[i] != sig[i] {
			return proxyErr(0, i, "bad signature")
		}
	}
	return nil
}
