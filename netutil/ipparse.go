package netutil

import "net/netip"

// The PROXY v1 parser reads addresses from a byte slice without converting
// it to a string (netip.ParseAddr takes a string, and the conversion would
// allocate). These parsers accept exactly what netip.ParseAddr accepts for
// addresses without a zone; a test checks them against it.

// parseIPv4 parses dotted-decimal IPv4: four decimal numbers from 0 to 255,
// without leading zeros.
func parseIPv4(s []byte) (ip [4]byte, ok bool) {
	i, v, digits := 0, 0, 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			if digits == 1 && v == 0 {
				return ip, false // leading zero
			}
			v = v*10 + int(c-'0')
			digits++
			if v > 255 {
				return ip, false
			}
		case c == '.':
			if digits == 0 || i == 3 {
				return ip, false
			}
			ip[i] = byte(v)
			i, v, digits = i+1, 0, 0
		default:
			return ip, false
		}
	}
	if i != 3 || digits == 0 {
		return ip, false
	}
	ip[3] = byte(v)
	return ip, true
}

// parseIPv6 parses an IPv6 address in the text forms of RFC 4291 section
// 2.2: eight groups of one to four hex digits, one "::" standing for one or
// more zero groups, and an optional dotted IPv4 address as the last 32
// bits. Zones are not accepted.
func parseIPv6(s []byte) (netip.Addr, bool) {
	var ip [16]byte
	ellipsis := -1 // where "::" stands, as a byte index into ip
	if len(s) >= 2 && s[0] == ':' && s[1] == ':' {
		ellipsis = 0
		s = s[2:]
		if len(s) == 0 {
			return netip.IPv6Unspecified(), true
		}
	}
	i := 0
	for i < 16 {
		v, n := 0, 0
		for n < len(s) {
			d := unhex(s[n])
			if d < 0 {
				break
			}
			if n == 4 {
				return netip.Addr{}, false // more than four digits
			}
			v = v<<4 | d
			n++
		}
		if n < len(s) && s[n] == '.' {
			// The trailing IPv4 part: only where 32 bits are left.
			if (ellipsis < 0 && i != 12) || i > 12 {
				return netip.Addr{}, false
			}
			v4, ok := parseIPv4(s)
			if !ok {
				return netip.Addr{}, false
			}
			copy(ip[i:], v4[:])
			i += 4
			s = nil
			break
		}
		if n == 0 {
			return netip.Addr{}, false
		}
		ip[i], ip[i+1] = byte(v>>8), byte(v)
		i += 2
		s = s[n:]
		if len(s) == 0 {
			break
		}
		if s[0] != ':' || len(s) == 1 {
			return netip.Addr{}, false
		}
		s = s[1:]
		if s[0] == ':' {
			if ellipsis >= 0 {
				return netip.Addr{}, false // a second "::"
			}
			ellipsis = i
			s = s[1:]
			if len(s) == 0 {
				break
			}
		}
	}
	if len(s) != 0 {
		return netip.Addr{}, false
	}
	switch {
	case i < 16:
		if ellipsis < 0 {
			return netip.Addr{}, false // too few groups
		}
		n := 16 - i
		copy(ip[ellipsis+n:], ip[ellipsis:i])
		clear(ip[ellipsis : ellipsis+n])
	case ellipsis >= 0:
		return netip.Addr{}, false // "::" must stand for at least one group
	}
	return netip.AddrFrom16(ip), true
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// parsePort parses a decimal port from 0 to 65535 without leading zeros.
func parsePort(s []byte) (uint16, bool) {
	if len(s) == 0 || len(s) > 5 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	v := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	if v > 65535 {
		return 0, false
	}
	return uint16(v), true
}
