package netutil

import "net/netip"

// Version 1 (section 2.1): one line of US-ASCII, fields separated by
// exactly one space, ending with CRLF, at most 107 bytes:
//
//	"PROXY" SP ( "TCP4" | "TCP6" ) SP src SP dst SP sport SP dport CRLF
//	"PROXY" SP "UNKNOWN" [ SP <anything but CR and LF> ] CRLF
//
// Addresses are IPv4 dotted-decimal for TCP4 and RFC 4291 text for TCP6;
// ports are decimal from 0 to 65535. The parser walks the line left to
// right and reports the first wrong byte, so a malformed line gives the
// same error however it is split.

// Longest field texts: IPv4 "255.255.255.255", IPv6 with a trailing IPv4
// part "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", a port "65535".
const (
	v1MaxIPv4 = 15
	v1MaxIPv6 = 45
	v1MaxPort = 5
)

// v1line is one parse of a version 1 header over the first ProxyV1MaxLen
// bytes of the input.
type v1line struct {
	b    []byte
	full bool // the input reached the limit: running out is fatal
}

// short is the error for running out of bytes before the line ended.
func (p *v1line) short() error {
	if p.full {
		return proxyErr(ProxyV1, ProxyV1MaxLen, "line too long")
	}
	return ErrProxyNeedMore
}

// field scans a field from i up to the space or CR after it, and returns
// the index of that delimiter. Bytes that ok rejects, more than maxLen
// bytes, or an empty field are errors at the offending byte, with reason.
func (p *v1line) field(i, maxLen int, ok func(byte) bool, reason string) (int, error) {
	for j := i; ; j++ {
		if j >= len(p.b) {
			return 0, p.short()
		}
		switch c := p.b[j]; {
		case c == ' ' || c == '\r':
			if j == i {
				return 0, proxyErr(ProxyV1, j, reason)
			}
			return j, nil
		case c == '\n':
			return 0, proxyErr(ProxyV1, j, "missing CRLF")
		case !ok(c) || j-i == maxLen:
			return 0, proxyErr(ProxyV1, j, reason)
		}
	}
}

// expect checks that the byte at i is want.
func (p *v1line) expect(i int, want byte, reason string) error {
	if i >= len(p.b) {
		return p.short()
	}
	if p.b[i] != want {
		return proxyErr(ProxyV1, i, reason)
	}
	return nil
}

// v1Fields describes the fields after the protocol, in order.
var v1Fields = [4]struct {
	reason string // when the field is wrong
	next   string // when the delimiter after it is wrong
	delim  byte
}{
	{"bad source address", "bad destination address", ' '},
	{"bad destination address", "bad source port", ' '},
	{"bad source port", "bad destination port", ' '},
	{"bad destination port", "missing CRLF", '\r'},
}

func isV4Char(c byte) bool    { return c >= '0' && c <= '9' || c == '.' }
func isV6Char(c byte) bool    { return unhex(c) >= 0 || c == ':' || c == '.' }
func isDigit(c byte) bool     { return c >= '0' && c <= '9' }
func isProtoChar(c byte) bool { return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }

func parseProxyV1(in []byte) (ProxyHeader, int, error) {
	if err := matchSig(in, proxyV1Sig); err != nil {
		return ProxyHeader{}, 0, err
	}
	p := v1line{b: in, full: len(in) >= ProxyV1MaxLen}
	if p.full {
		p.b = in[:ProxyV1MaxLen]
	}
	h := ProxyHeader{Version: ProxyV1, Command: ProxyCommandProxy}

	// The protocol: reject it as soon as it cannot become one of the three.
	start := len(proxyV1Sig)
	end, err := p.protocol(start)
	if err != nil {
		return ProxyHeader{}, 0, err
	}
	maxAddr, okChar := v1MaxIPv4, isV4Char
	switch string(p.b[start:end]) {
	case "UNKNOWN":
		n, err := p.unknownRest(end)
		if err != nil {
			return ProxyHeader{}, 0, err
		}
		return h, n, nil
	case "TCP4":
		h.Network = "tcp4"
	case "TCP6":
		h.Network = "tcp6"
		maxAddr, okChar = v1MaxIPv6, isV6Char
	}
	if err := p.expect(end, ' ', "missing addresses"); err != nil {
		return ProxyHeader{}, 0, err
	}

	// The four fields. A wrong delimiter after one is blamed on the part
	// expected next.
	var addrs [2]netip.Addr
	var ports [2]uint16
	i := end + 1
	for k, f := range &v1Fields {
		maxLen, ok := maxAddr, okChar
		if k >= 2 {
			maxLen, ok = v1MaxPort, isDigit
		}
		end, err := p.field(i, maxLen, ok, f.reason)
		if err != nil {
			return ProxyHeader{}, 0, err
		}
		good := false
		if k < 2 {
			addrs[k], good = parseV1Addr(p.b[i:end], h.Network)
		} else {
			ports[k-2], good = parsePort(p.b[i:end])
		}
		if !good {
			return ProxyHeader{}, 0, proxyErr(ProxyV1, i, f.reason)
		}
		if err := p.expect(end, f.delim, f.next); err != nil {
			return ProxyHeader{}, 0, err
		}
		i = end + 1
	}
	if err := p.expect(i, '\n', "missing CRLF"); err != nil {
		return ProxyHeader{}, 0, err
	}
	h.Source = netip.AddrPortFrom(addrs[0], ports[0])
	h.Destination = netip.AddrPortFrom(addrs[1], ports[1])
	return h, i + 1, nil
}

// protocol scans the protocol field from i and returns the index of the
// delimiter after it. A byte that makes the field a prefix of none of
// "TCP4", "TCP6" and "UNKNOWN" is an error at the field's start.
func (p *v1line) protocol(i int) (int, error) {
	for j := i; ; j++ {
		if j >= len(p.b) {
			return 0, p.short()
		}
		if c := p.b[j]; c == ' ' || c == '\r' {
			switch string(p.b[i:j]) {
			case "TCP4", "TCP6", "UNKNOWN":
				return j, nil
			}
			return 0, proxyErr(ProxyV1, i, "bad protocol")
		}
		if !isProtocolPrefix(p.b[i : j+1]) {
			return 0, proxyErr(ProxyV1, i, "bad protocol")
		}
	}
}

func isProtocolPrefix(b []byte) bool {
	for _, name := range [...]string{"TCP4", "TCP6", "UNKNOWN"} {
		if len(b) <= len(name) && string(b) == name[:len(b)] {
			return true
		}
	}
	return false
}

// unknownRest checks the rest of an UNKNOWN line from i (the delimiter
// after "UNKNOWN"): anything but CR and LF up to the CRLF. It returns the
// header's length.
func (p *v1line) unknownRest(i int) (int, error) {
	for j := i; ; j++ {
		if j >= len(p.b) {
			return 0, p.short()
		}
		switch p.b[j] {
		case '\r':
			if err := p.expect(j+1, '\n', "missing CRLF"); err != nil {
				return 0, err
			}
			return j + 2, nil
		case '\n':
			return 0, proxyErr(ProxyV1, j, "missing CRLF")
		}
	}
}

// parseV1Addr parses an address of the family network names.
func parseV1Addr(b []byte, network string) (netip.Addr, bool) {
	if network == "tcp4" {
		ip, ok := parseIPv4(b)
		return netip.AddrFrom4(ip), ok
	}
	return parseIPv6(b)
}
