package netutil_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"net"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/gale-io/gale/netutil"
)

// proxyCase is one golden case: an input and what ParseProxyHeader makes of
// it, a header of length n, ErrProxyNeedMore, or a *ProxyError.
type proxyCase struct {
	name string
	in   string
	want *netutil.ProxyHeader // nil for an error
	n    int
	err  error // nil, netutil.ErrProxyNeedMore, or a *ProxyError
	// canonical: AppendProxyHeader(want) gives exactly in.
	canonical bool
}

const v2sig = "\r\n\r\n\x00\r\nQUIT\n"

// v2 builds a version 2 header: the version/command and family/transport
// bytes, then the block (its length is computed).
func v2(verCmd, famProto byte, block ...string) string {
	b := strings.Join(block, "")
	var l [2]byte
	binary.BigEndian.PutUint16(l[:], uint16(len(b)))
	return v2sig + string([]byte{verCmd, famProto}) + string(l[:]) + b
}

func ip4(s string) string { a := netip.MustParseAddr(s).As4(); return string(a[:]) }
func ip6(s string) string { a := netip.MustParseAddr(s).As16(); return string(a[:]) }
func be(p uint16) string  { return string([]byte{byte(p >> 8), byte(p)}) }

func tlv(typ byte, v string) string { return string([]byte{typ}) + be(uint16(len(v))) + v }

func sunPath(p string) string { return p + strings.Repeat("\x00", 108-len(p)) }

// withCRC appends a CRC32C TLV that matches the header (or not).
func withCRC(hdr string, good bool) string {
	b := []byte(hdr)
	binary.BigEndian.PutUint16(b[14:], binary.BigEndian.Uint16(b[14:])+7)
	b = append(b, 0x03, 0, 4, 0, 0, 0, 0)
	sum := crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli))
	if !good {
		sum++
	}
	binary.BigEndian.PutUint32(b[len(b)-4:], sum)
	return string(b)
}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func perr(v netutil.ProxyVersion, off int, reason string) error {
	return &netutil.ProxyError{Version: v, Offset: off, Reason: reason}
}

// at returns the offset of sub in in, for v1 error cases.
func at(in, sub string) int {
	i := strings.Index(in, sub)
	if i < 0 {
		panic("no " + sub + " in " + in)
	}
	return i
}

func v1bad(name, in, sub, reason string) proxyCase {
	return proxyCase{name: name, in: in, err: perr(netutil.ProxyV1, at(in, sub), reason)}
}

func v1badAt(name, in string, off int, reason string) proxyCase {
	return proxyCase{name: name, in: in, err: perr(netutil.ProxyV1, off, reason)}
}

func v2bad(name, in string, off int, reason string) proxyCase {
	return proxyCase{name: name, in: in, err: perr(netutil.ProxyV2, off, reason)}
}

func good(name, in string, h netutil.ProxyHeader, canonical bool) proxyCase {
	return proxyCase{name: name, in: in, want: &h, n: len(in), canonical: canonical}
}

var (
	tcp4Src, tcp4Dst = ap("192.168.0.1:56324"), ap("192.168.0.11:443")
	tcp6Src, tcp6Dst = ap("[2001:db8::1]:1"), ap("[::1]:65535")
	v1Longest        = "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n"
	v1LongestTCP6    = "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe 65535 65535\r\n"
	tlvs             = tlv(0x01, "h2") + tlv(0x02, "example.com") + tlv(0x04, "") + tlv(0x20, "\x01\x00\x00\x00\x00")
)

var proxyCases = []proxyCase{
	// Version 1.
	good("v1 TCP4", "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
		netutil.ProxyHeader{Version: 1, Command: 1, Network: "tcp4", Source: tcp4Src, Destination: tcp4Dst}, true),
	good("v1 TCP6", "PROXY TCP6 2001:db8::1 ::1 1 65535\r\n",
		netutil.ProxyHeader{Version: 1, Command: 1, Network: "tcp6", Source: tcp6Src, Destination: tcp6Dst}, true),
	good("v1 TCP6 upper case, IPv4 suffix", "PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::ffff:10.0.0.1 0 80\r\n",
		netutil.ProxyHeader{Version: 1, Command: 1, Network: "tcp6", Source: ap("[2001:db8::1]:0"), Destination: ap("[::ffff:10.0.0.1]:80")}, false),
	good("v1 TCP6 longest", v1LongestTCP6,
		netutil.ProxyHeader{Version: 1, Command: 1, Network: "tcp6",
			Source:      ap("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"),
			Destination: ap("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe]:65535")}, true),
	good("v1 UNKNOWN", "PROXY UNKNOWN\r\n", netutil.ProxyHeader{Version: 1, Command: 1}, true),
	good("v1 UNKNOWN longest (107 bytes)", v1Longest, netutil.ProxyHeader{Version: 1, Command: 1}, false),

	v1badAt("v1 too long", "PROXY UNKNOWN "+strings.Repeat("a", 93)+"\r\n", 107, "line too long"),
	v1badAt("v1 TCP6 too long", "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 65535 65535\r\n",
		107, "line too long"),
	v1bad("v1 source port too big", "PROXY TCP4 1.2.3.4 5.6.7.8 65536 80\r\n", "65536", "bad source port"),
	v1bad("v1 port leading zero", "PROXY TCP4 1.2.3.4 5.6.7.8 80 080\r\n", "080", "bad destination port"),
	v1bad("v1 port not a number", "PROXY TCP4 1.2.3.4 5.6.7.8 8a 80\r\n", "a 80", "bad source port"),
	v1bad("v1 port too many digits", "PROXY TCP4 1.2.3.4 5.6.7.8 1 000001\r\n", "1\r", "bad destination port"),
	v1bad("v1 port negative", "PROXY TCP4 1.2.3.4 5.6.7.8 -1 80\r\n", "-1", "bad source port"),
	v1bad("v1 LF without CR", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "\n", "missing CRLF"),
	v1badAt("v1 CR without LF", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", 31, "missing CRLF"),
	v1bad("v1 extra field", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", " 3", "missing CRLF"),
	v1bad("v1 missing port", "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "\r", "bad destination port"),
	v1bad("v1 missing addresses", "PROXY TCP4\r\n", "\r", "missing addresses"),
	v1bad("v1 bad protocol", "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", "TCP5", "bad protocol"),
	v1bad("v1 UDP", "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", "UDP4", "bad protocol"),
	v1bad("v1 protocol too long", "PROXY TCP44 1.2.3.4 5.6.7.8 1 2\r\n", "TCP44", "bad protocol"),
	v1bad("v1 lower-case protocol", "PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", "tcp4", "bad protocol"),
	v1bad("v1 IPv6 under TCP4", "PROXY TCP4 ::1 ::1 1 2\r\n", "::1", "bad source address"),
	v1bad("v1 IPv4 under TCP6", "PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n", "1.2.3.4", "bad source address"),
	v1bad("v1 bad octet", "PROXY TCP4 1.2.3.4 5.6.7.256 1 2\r\n", "5.6", "bad destination address"),
	v1bad("v1 leading zero octet", "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", "01.", "bad source address"),
	v1bad("v1 zone", "PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", "%", "bad source address"),
	v1bad("v1 two spaces", "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", " 1.2", "bad source address"),
	v1bad("v1 tab", "PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n", "\t", "bad source address"),
	v1bad("v1 address cut short", "PROXY TCP4 1.2.3.4\r\n", "\r", "bad destination address"),
	v1bad("v1 UNKNOWN LF", "PROXY UNKNOWN whatever\n", "\n", "missing CRLF"),
	v1badAt("v1 UNKNOWN CR X", "PROXY UNKNOWN\rX", 14, "missing CRLF"),
	{name: "not PROXY: HTTP", in: "GET / HTTP/1.1\r\n", err: perr(0, 0, "bad signature")},
	{name: "not PROXY: lower case", in: "proxy TCP4", err: perr(0, 0, "bad signature")},
	{name: "not PROXY: PROXX", in: "PROXX TCP4", err: perr(0, 4, "bad signature")},
	{name: "not PROXY: PROXY without space", in: "PROXY\r\n", err: perr(0, 5, "bad signature")},

	// Version 2.
	good("v2 TCP4", v2(0x21, 0x11, ip4("192.168.0.1"), ip4("192.168.0.11"), be(56324), be(443)),
		netutil.ProxyHeader{Version: 2, Command: 1, Network: "tcp4", Source: tcp4Src, Destination: tcp4Dst}, true),
	good("v2 TCP6", v2(0x21, 0x21, ip6("2001:db8::1"), ip6("::1"), be(1), be(65535)),
		netutil.ProxyHeader{Version: 2, Command: 1, Network: "tcp6", Source: tcp6Src, Destination: tcp6Dst}, true),
	good("v2 UDP4", v2(0x21, 0x12, ip4("10.0.0.1"), ip4("10.0.0.2"), be(53), be(5353)),
		netutil.ProxyHeader{Version: 2, Command: 1, Network: "udp4", Source: ap("10.0.0.1:53"), Destination: ap("10.0.0.2:5353")}, true),
	good("v2 UDP6", v2(0x21, 0x22, ip6("::2"), ip6("::3"), be(1), be(2)),
		netutil.ProxyHeader{Version: 2, Command: 1, Network: "udp6", Source: ap("[::2]:1"), Destination: ap("[::3]:2")}, true),
	good("v2 UNIX", v2(0x21, 0x31, sunPath("/run/client.sock"), sunPath("\x00abstract")),
		netutil.ProxyHeader{Version: 2, Command: 1, Network: "unix", SourcePath: "/run/client.sock", DestinationPath: "@abstract"}, true),
	good("v2 UNIX datagram, full-length path", v2(0x21, 0x32, strings.Repeat("p", 108), sunPath("")),
		netutil.ProxyHeader{Version: 2, Command: 1, Network: "unixgram", SourcePath: strings.Repeat("p", 108)}, true),
	// A file named "@" (not an abstract name: an empty abstract name is
	// all NULs, an unnamed socket) must be written back as that file.
	good("v2 UNIX path named @", v2(0x21, 0x31, sunPath("@"), sunPath("/run/s")),
		netutil.ProxyHeader{Version: 2, Command: 1, Network: "unix", SourcePath: "@", DestinationPath: "/run/s"}, true),
	good("v2 LOCAL", v2(0x20, 0x00), netutil.ProxyHeader{Version: 2, Command: 0}, true),
	good("v2 LOCAL skips its block", v2(0x20, 0x11, "anything at all"), netutil.ProxyHeader{Version: 2, Command: 0}, false),
	good("v2 PROXY UNSPEC", v2(0x21, 0x00, "\x00\x01"), netutil.ProxyHeader{Version: 2, Command: 1}, false),
	good("v2 PROXY INET, unspecified transport", v2(0x21, 0x10, ip4("1.1.1.1")), netutil.ProxyHeader{Version: 2, Command: 1}, false),
	good("v2 TLVs", v2(0x21, 0x11, ip4("192.168.0.1"), ip4("192.168.0.11"), be(56324), be(443), tlvs),
		netutil.ProxyHeader{Version: 2, Command: 1, Network: "tcp4", Source: tcp4Src, Destination: tcp4Dst, TLVs: []byte(tlvs)}, true),
	good("v2 CRC32C", withCRC(v2(0x21, 0x11, ip4("192.168.0.1"), ip4("192.168.0.11"), be(56324), be(443)), true),
		netutil.ProxyHeader{Version: 2, Command: 1, Network: "tcp4", Source: tcp4Src, Destination: tcp4Dst,
			TLVs: []byte(withCRC(v2(0x21, 0x11, ip4("192.168.0.1"), ip4("192.168.0.11"), be(56324), be(443)), true)[28:])}, true),

	{name: "v2 bad signature", in: "\r\n\r\n\x00\n", err: perr(0, 5, "bad signature")},
	{name: "v2 signature then text", in: "\r\n\r\nQUIT", err: perr(0, 4, "bad signature")},
	v2bad("v2 version 1", v2sig+"\x11\x11", 12, "bad version"),
	v2bad("v2 version 3", v2sig+"\x31\x11", 12, "bad version"),
	v2bad("v2 command 2", v2sig+"\x22\x11", 12, "bad command"),
	v2bad("v2 family 4", v2sig+"\x21\x41", 13, "bad address family"),
	v2bad("v2 transport 3", v2sig+"\x21\x13", 13, "bad transport protocol"),
	v2bad("v2 TCP4 addresses truncated", v2(0x21, 0x11, ip4("1.1.1.1"), ip4("2.2.2.2"), be(1)), 14, "address block too short"),
	v2bad("v2 TCP6 with TCP4's length", v2(0x21, 0x21, ip4("1.1.1.1"), ip4("2.2.2.2"), be(1), be(2)), 14, "address block too short"),
	v2bad("v2 UNIX truncated", v2(0x21, 0x31, sunPath("/a")), 14, "address block too short"),
	v2bad("v2 truncated TLV", v2(0x21, 0x11, ip4("1.1.1.1"), ip4("2.2.2.2"), be(1), be(2), "\x01\x00"), 28, "truncated TLV"),
	v2bad("v2 TLV too long", v2(0x21, 0x11, ip4("1.1.1.1"), ip4("2.2.2.2"), be(1), be(2), "\x01\x00\x05abc"), 28, "TLV longer than the header"),
	v2bad("v2 bad CRC32C", withCRC(v2(0x21, 0x11, ip4("1.1.1.1"), ip4("2.2.2.2"), be(1), be(2)), false), 28, "bad CRC32C"),
	v2bad("v2 CRC32C of 2 bytes", v2(0x21, 0x11, ip4("1.1.1.1"), ip4("2.2.2.2"), be(1), be(2), tlv(0x03, "ab")), 28, "bad CRC32C"),

	// Incomplete.
	{name: "empty", in: "", err: netutil.ErrProxyNeedMore},
	{name: "v1 prefix", in: "PROXY TCP4 192.168.0.1 192.16", err: netutil.ErrProxyNeedMore},
	{name: "v1 protocol prefix", in: "PROXY UNK", err: netutil.ErrProxyNeedMore},
	{name: "v1 without LF", in: "PROXY UNKNOWN\r", err: netutil.ErrProxyNeedMore},
	{name: "v2 prefix", in: v2sig[:7], err: netutil.ErrProxyNeedMore},
	{name: "v2 fixed part only", in: v2(0x21, 0x11, ip4("1.1.1.1"), ip4("2.2.2.2"), be(1), be(2))[:16], err: netutil.ErrProxyNeedMore},
	{name: "v2 largest announced", in: v2sig + "\x21\x00\xff\xff" + "x", err: netutil.ErrProxyNeedMore},
}

// feed gives ParseProxyHeader the input chunk by chunk, as a connection
// would, re-parsing what has arrived after each chunk, and returns the first
// answer that is not ErrProxyNeedMore (or the last one).
func feed(chunks [][]byte) (netutil.ProxyHeader, int, error) {
	var buf []byte
	for i, c := range chunks {
		buf = append(buf, c...)
		h, n, err := netutil.ParseProxyHeader(buf)
		if err != netutil.ErrProxyNeedMore || i == len(chunks)-1 {
			return h, n, err
		}
	}
	return netutil.ParseProxyHeader(buf)
}

func checkResult(t *testing.T, how string, c proxyCase, h netutil.ProxyHeader, n int, err error) {
	t.Helper()
	if !reflect.DeepEqual(err, c.err) {
		t.Fatalf("%s: error %#v (%v), want %#v", how, err, err, c.err)
	}
	if c.want == nil {
		if n != 0 || !reflect.DeepEqual(h, netutil.ProxyHeader{}) {
			t.Fatalf("%s: %+v, %d with an error", how, h, n)
		}
		return
	}
	if n != c.n {
		t.Fatalf("%s: length %d, want %d", how, n, c.n)
	}
	got, want := h, *c.want
	if !bytes.Equal(got.TLVs, want.TLVs) {
		t.Fatalf("%s: TLVs %q, want %q", how, got.TLVs, want.TLVs)
	}
	got.TLVs, want.TLVs = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: header %+v, want %+v", how, got, want)
	}
}

// Every case fed whole, with data after it, one byte at a time, and split
// in two at every index gives the same answer.
func TestParseProxyHeader(t *testing.T) {
	for _, c := range proxyCases {
		t.Run(c.name, func(t *testing.T) {
			in := []byte(c.in)
			h, n, err := netutil.ParseProxyHeader(in)
			checkResult(t, "whole", c, h, n, err)
			if c.err != netutil.ErrProxyNeedMore {
				h, n, err = netutil.ParseProxyHeader(append(in[:len(in):len(in)], "GET / HTTP/1.1\r\n\r\n"...))
				checkResult(t, "with data after", c, h, n, err)
			}
			var bytewise [][]byte
			for i := range in {
				bytewise = append(bytewise, in[i:i+1])
			}
			if len(in) > 0 {
				h, n, err = feed(bytewise)
				checkResult(t, "byte by byte", c, h, n, err)
			}
			for i := 0; i <= len(in); i++ {
				h, n, err = feed([][]byte{in[:i], in[i:]})
				checkResult(t, "split at "+itoa(i), c, h, n, err)
			}
		})
	}
}

// AppendProxyHeader writes the canonical cases back exactly, and every
// valid header it can write parses back to itself.
func TestAppendProxyHeader(t *testing.T) {
	for _, c := range proxyCases {
		if c.want == nil {
			continue
		}
		b, err := netutil.AppendProxyHeader([]byte("prefix"), c.want)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !bytes.HasPrefix(b, []byte("prefix")) {
			t.Fatalf("%s: dst not kept", c.name)
		}
		b = b[len("prefix"):]
		if c.canonical && string(b) != c.in {
			t.Errorf("%s: wrote %q, want %q", c.name, b, c.in)
		}
		h, n, err := netutil.ParseProxyHeader(b)
		if err != nil || n != len(b) {
			t.Errorf("%s: wrote %q, which parses as %v, %d", c.name, b, err, n)
			continue
		}
		if c.canonical {
			checkResult(t, "round trip", c, h, n, err)
		}
	}
	for _, h := range []netutil.ProxyHeader{
		{Version: 3},
		{Version: 1, Command: netutil.ProxyCommandLocal},
		{Version: 1, Command: 1, Network: "udp4", Source: ap("1.1.1.1:1"), Destination: ap("1.1.1.1:1")},
		{Version: 1, Command: 1, Network: "tcp4", Source: ap("[::1]:1"), Destination: ap("1.1.1.1:1")},
		{Version: 2, Command: 1, Network: "tcp6", Source: ap("1.1.1.1:1"), Destination: ap("[::1]:1")},
		{Version: 2, Command: 1, Network: "tcp4"},
		{Version: 2, Command: 1, Network: "sctp"},
		{Version: 2, Command: 1, Network: "unix", SourcePath: strings.Repeat("x", 109)},
		{Version: 2, Command: 2},
		{Version: 2, Command: 1, TLVs: make([]byte, 65536)},
	} {
		if b, err := netutil.AppendProxyHeader(nil, &h); err == nil {
			t.Errorf("%+v encoded as %q", h, b)
		}
	}
}

func TestProxyHeaderAccessors(t *testing.T) {
	h, _, err := netutil.ParseProxyHeader([]byte(proxyCaseByName("v2 TLVs").in))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := h.TLV(0x02); !ok || string(v) != "example.com" {
		t.Errorf("TLV(AUTHORITY) = %q, %v", v, ok)
	}
	if v, ok := h.TLV(0x04); !ok || len(v) != 0 {
		t.Errorf("TLV(NOOP) = %q, %v", v, ok)
	}
	if _, ok := h.TLV(0x30); ok {
		t.Error("TLV(0x30) found")
	}
	src, dst := h.Addrs()
	if src.String() != "192.168.0.1:56324" || dst.String() != "192.168.0.11:443" || src.Network() != "tcp" {
		t.Errorf("Addrs() = %v, %v", src, dst)
	}
	if h.Unknown() {
		t.Error("Unknown() for a TCP4 header")
	}
	u := netutil.ProxyHeader{Version: 2, Command: 1, Network: "unix", SourcePath: "/a", DestinationPath: "@b"}
	if src, dst := u.Addrs(); src.(*net.UnixAddr).Name != "/a" || dst.(*net.UnixAddr).Name != "@b" {
		t.Errorf("unix Addrs() = %v, %v", src, dst)
	}
	d := netutil.ProxyHeader{Version: 2, Command: 1, Network: "udp6", Source: ap("[::1]:1"), Destination: ap("[::1]:2")}
	if src, _ := d.Addrs(); src.Network() != "udp" {
		t.Errorf("udp Addrs() = %v", src)
	}
	local := netutil.ProxyHeader{Version: 2}
	if src, dst := local.Addrs(); src != nil || dst != nil || !local.Unknown() {
		t.Errorf("LOCAL: %v, %v, %v", src, dst, local.Unknown())
	}
	if s := netutil.ProxyCommandLocal.String() + netutil.ProxyCommandProxy.String() + netutil.ProxyV1.String() + netutil.ProxyV2.String(); s != "LOCALPROXYv1v2" {
		t.Errorf("names: %s", s)
	}
	var pe *netutil.ProxyError
	_, _, err = netutil.ParseProxyHeader([]byte("PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n"))
	if !errors.As(err, &pe) || err.Error() != "netutil: malformed PROXY v1 header: bad destination port at byte 29" {
		t.Errorf("error text: %v", err)
	}
	_, _, err = netutil.ParseProxyHeader([]byte("SSH-2.0"))
	if !errors.As(err, &pe) || pe.Version != 0 || !strings.Contains(err.Error(), "not a PROXY protocol header") {
		t.Errorf("error text: %v", err)
	}
}

func proxyCaseByName(name string) proxyCase {
	for _, c := range proxyCases {
		if c.name == name {
			return c
		}
	}
	panic("no case " + name)
}

// The common headers parse without allocating.
func TestParseProxyHeaderAllocs(t *testing.T) {
	for _, name := range []string{"v1 TCP4", "v1 TCP6", "v1 UNKNOWN", "v2 TCP4", "v2 TCP6", "v2 TLVs", "v2 CRC32C", "v2 LOCAL"} {
		in := []byte(proxyCaseByName(name).in)
		if n := testing.AllocsPerRun(100, func() { netutil.ParseProxyHeader(in) }); n != 0 {
			t.Errorf("%s: %v allocations per parse", name, n)
		}
	}
}

func BenchmarkParseProxyHeader(b *testing.B) {
	for _, name := range []string{"v1 TCP4", "v1 TCP6", "v2 TCP4", "v2 TCP6", "v2 TLVs"} {
		in := []byte(proxyCaseByName(name).in)
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, _, err := netutil.ParseProxyHeader(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
