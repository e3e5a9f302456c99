package netutil

import (
	"errors"
	"net/netip"
	"strconv"
)

// AppendProxyHeader appends h, encoded in h.Version's format, to dst and
// returns the extended slice; it is what a proxy (or a test standing in for
// one) sends first on a connection. Version 1 carries PROXY headers for
// "tcp4", "tcp6" and unknown networks only; version 2 carries every network,
// the LOCAL command, and h.TLVs, which it copies as they are (a CRC32C record
// in them is not recomputed). Addresses must fit their network and have no
// zone. On error dst is returned unchanged.
func AppendProxyHeader(dst []byte, h *ProxyHeader) ([]byte, error) {
	switch h.Version {
	case ProxyV1:
		return appendProxyV1(dst, h)
	case ProxyV2:
		return appendProxyV2(dst, h)
	}
	return dst, errors.New("netutil: PROXY header version must be 1 or 2")
}

func appendProxyV1(dst []byte, h *ProxyHeader) ([]byte, error) {
	if h.Command != ProxyCommandProxy {
		return dst, errors.New("netutil: PROXY v1 has no LOCAL command")
	}
	if h.Unknown() {
		return append(dst, "PROXY UNKNOWN\r\n"...), nil
	}
	var proto string
	switch h.Network {
	case "tcp4":
		proto = "TCP4"
	case "tcp6":
		proto = "TCP6"
	default:
		return dst, errors.New("netutil: PROXY v1 carries TCP only, not " + h.Network)
	}
	if !addrFits(h.Source.Addr(), h.Network) || !addrFits(h.Destination.Addr(), h.Network) {
		return dst, errors.New("netutil: PROXY header addresses do not fit " + h.Network)
	}
	out := append(dst, "PROXY "...)
	out = append(out, proto...)
	out = append(out, ' ')
	out = h.Source.Addr().AppendTo(out)
	out = append(out, ' ')
	out = h.Destination.Addr().AppendTo(out)
	out = append(out, ' ')
	out = strconv.AppendUint(out, uint64(h.Source.Port()), 10)
	out = append(out, ' ')
	out = strconv.AppendUint(out, uint64(h.Destination.Port()), 10)
	return append(out, '\r', '\n'), nil
}

// addrFits reports whether a can be written for network: an IPv4 address
// for the "4" networks, an IPv6 one for the "6" networks, and no zone.
func addrFits(a netip.Addr, network string) bool {
	if !a.IsValid() || a.Zone() != "" {
		return false
	}
	if network[len(network)-1] == '4' {
		return a.Is4()
	}
	return a.Is6()
}

func appendProxyV2(dst []byte, h *ProxyHeader) ([]byte, error) {
	if h.Command > ProxyCommandProxy {
		return dst, errors.New("netutil: PROXY header command must be LOCAL or PROXY")
	}
	var famProto byte
	var addrs []byte
	var buf [216]byte
	if h.Command == ProxyCommandProxy && !h.Unknown() {
		switch h.Network {
		case "tcp4", "udp4", "tcp6", "udp6":
			if !addrFits(h.Source.Addr(), h.Network) || !addrFits(h.Destination.Addr(), h.Network) {
				return dst, errors.New("netutil: PROXY header addresses do not fit " + h.Network)
			}
			famProto = 0x11
			if h.Network[len(h.Network)-1] == '6' {
				famProto = 0x21
			}
			if h.Network[0] == 'u' {
				famProto++ // DGRAM
			}
			s, d := h.Source.Addr().AsSlice(), h.Destination.Addr().AsSlice()
			n := copy(buf[:], s)
			n += copy(buf[n:], d)
			buf[n], buf[n+1] = byte(h.Source.Port()>>8), byte(h.Source.Port())
			buf[n+2], buf[n+3] = byte(h.Destination.Port()>>8), byte(h.Destination.Port())
			addrs = buf[:n+4]
		case "unix", "unixgram":
			famProto = 0x31
			if h.Network == "unixgram" {
				famProto = 0x32
			}
			if !putUnixPath(buf[:108], h.SourcePath) || !putUnixPath(buf[108:], h.DestinationPath) {
				return dst, errors.New("netutil: PROXY header socket path longer than 108 bytes")
			}
			addrs = buf[:]
		default:
			return dst, errors.New("netutil: PROXY header has an unknown network " + strconv.Quote(h.Network))
		}
	}
	length := len(addrs) + len(h.TLVs)
	if length > 65535 {
		return dst, errors.New("netutil: PROXY v2 header longer than 65535 bytes")
	}
	out := append(dst, proxyV2Sig...)
	out = append(out, 0x20|byte(h.Command), famProto, byte(length>>8), byte(length))
	out = append(out, addrs...)
	return append(out, h.TLVs...), nil
}

// putUnixPath writes a socket path into a zeroed sun_path field, an
// abstract name ('@') as a leading NUL. A lone "@" is the file of that
// name, as ParseProxyHeader reads it: an empty abstract name would be all
// NULs, which reads back as an unnamed socket ("").
func putUnixPath(field []byte, path string) bool {
	if len(path) > 1 && path[0] == '@' {
		path = "\x00" + path[1:]
	}
	if len(path) > len(field) {
		return false
	}
	copy(field, path)
	return true
}
