package netutil

import (
	"bytes"
	"hash/crc32"
	"net/netip"
)

// Version 2 (section 2.2): a 16-byte fixed part, then a block of the
// length it announces:
//
//	bytes 0-11   signature \r\n\r\n\0\r\nQUIT\n
//	byte 12      version (high nibble, 2) and command (low: 0 LOCAL, 1 PROXY)
//	byte 13      address family (high: 0 UNSPEC, 1 INET, 2 INET6, 3 UNIX)
//	             and transport (low: 0 UNSPEC, 1 STREAM, 2 DGRAM)
//	bytes 14-15  length of the block, big-endian
//	block        addresses (12, 36 or 216 bytes), then TLVs to its end
//
// A receiver uses the addresses only for PROXY with a known family and
// transport; for LOCAL, and for UNSPEC, it skips the whole block and uses the
// connection's real addresses (section 2.2, "the receiver must ... discard
// the protocol block including the family").

const (
	v2FixedLen = 16

	pp2TypeCRC32C = 0x03 // section 2.2.5
)

// v2AddrLen is the size of the address part per family.
var v2AddrLen = [4]int{0, 12, 36, 216}

// v2Network names the transport per family and transport nibble.
var v2Network = [4][3]string{
	1: {"", "tcp4", "udp4"},
	2: {"", "tcp6", "udp6"},
	3: {"", "unix", "unixgram"},
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// zero4 stands for the checksum field while the checksum is computed (a
// package variable: a local one would escape to the heap through crc32).
var zero4 [4]byte

func parseProxyV2(b []byte) (ProxyHeader, int, error) {
	if err := matchSig(b, proxyV2Sig); err != nil {
		return ProxyHeader{}, 0, err
	}
	const sigLen = len(proxyV2Sig)
	if len(b) <= sigLen {
		return ProxyHeader{}, 0, ErrProxyNeedMore
	}
	vc := b[sigLen]
	if vc>>4 != 2 {
		return ProxyHeader{}, 0, proxyErr(ProxyV2, sigLen, "bad version")
	}
	cmd := ProxyCommand(vc & 0x0f)
	if cmd > ProxyCommandProxy {
		return ProxyHeader{}, 0, proxyErr(ProxyV2, sigLen, "bad command")
	}
	if len(b) <= sigLen+1 {
		return ProxyHeader{}, 0, ErrProxyNeedMore
	}
	fam, proto := b[sigLen+1]>>4, b[sigLen+1]&0x0f
	if fam > 3 {
		return ProxyHeader{}, 0, proxyErr(ProxyV2, sigLen+1, "bad address family")
	}
	if proto > 2 {
		return ProxyHeader{}, 0, proxyErr(ProxyV2, sigLen+1, "bad transport protocol")
	}
	if len(b) < v2FixedLen {
		return ProxyHeader{}, 0, ErrProxyNeedMore
	}
	length := int(b[14])<<8 | int(b[15])
	known := cmd == ProxyCommandProxy && fam != 0 && proto != 0
	alen := 0
	if known {
		alen = v2AddrLen[fam]
		if length < alen {
			return ProxyHeader{}, 0, proxyErr(ProxyV2, 14, "address block too short")
		}
	}
	total := v2FixedLen + length
	if len(b) < total {
		return ProxyHeader{}, 0, ErrProxyNeedMore
	}
	h := ProxyHeader{Version: ProxyV2, Command: cmd}
	if !known {
		return h, total, nil
	}
	h.Network = v2Network[fam][proto]
	a := b[v2FixedLen : v2FixedLen+alen]
	switch fam {
	case 1:
		h.Source = netip.AddrPortFrom(netip.AddrFrom4([4]byte(a[0:4])), be16(a[8:]))
		h.Destination = netip.AddrPortFrom(netip.AddrFrom4([4]byte(a[4:8])), be16(a[10:]))
	case 2:
		h.Source = netip.AddrPortFrom(netip.AddrFrom16([16]byte(a[0:16])), be16(a[32:]))
		h.Destination = netip.AddrPortFrom(netip.AddrFrom16([16]byte(a[16:32])), be16(a[34:]))
	case 3:
		h.SourcePath = unixPath(a[:108])
		h.DestinationPath = unixPath(a[108:])
	}
	if off := v2FixedLen + alen; off < total {
		if err := checkTLVs(b[:total], off); err != nil {
			return ProxyHeader{}, 0, err
		}
		h.TLVs = b[off:total]
	}
	return h, total, nil
}

func be16(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }

// unixPath reads a 108-byte sun_path field: a NUL-terminated path, or, when
// it starts with a NUL, a Linux abstract name, written with a leading '@'
// and without the NUL padding after it.
func unixPath(b []byte) string {
	if b[0] == 0 {
		rest := bytes.TrimRight(b[1:], "\x00")
		if len(rest) == 0 {
			return ""
		}
		return "@" + string(rest)
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// checkTLVs checks that hdr[off:] is a sequence of whole TLVs (a type byte,
// a big-endian 16-bit length, the value) and that a CRC32C record, if
// present, is 4 bytes long and matches the header (section 2.2.5: the
// checksum of the whole header with the checksum field zeroed).
func checkTLVs(hdr []byte, off int) error {
	for i := off; i < len(hdr); {
		if len(hdr)-i < 3 {
			return proxyErr(ProxyV2, i, "truncated TLV")
		}
		n := int(hdr[i+1])<<8 | int(hdr[i+2])
		if len(hdr)-i-3 < n {
			return proxyErr(ProxyV2, i, "TLV longer than the header")
		}
		if hdr[i] == pp2TypeCRC32C {
			if n != 4 || !crcMatches(hdr, i+3) {
				return proxyErr(ProxyV2, i, "bad CRC32C")
			}
		}
		i += 3 + n
	}
	return nil
}

// crcMatches checks the CRC32C whose value is at hdr[at:at+4].
func crcMatches(hdr []byte, at int) bool {
	c := crc32.Update(0, castagnoli, hdr[:at])
	c = crc32.Update(c, castagnoli, zero4[:])
	c = crc32.Update(c, castagnoli, hdr[at+4:])
	return c == uint32(hdr[at])<<24|uint32(hdr[at+1])<<16|uint32(hdr[at+2])<<8|uint32(hdr[at+3])
}
