package tcpclient

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestInterleave(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"1.0.0.1", "1.0.0.1"},
		{"::1", "::1"},
		{"1.0.0.1 1.0.0.2 1.0.0.3", "1.0.0.1 1.0.0.2 1.0.0.3"},
		{"::1 ::2", "::1 ::2"},
		// RFC 8305 section 4: start with the first answer's family, then alternate.
		{"::1 ::2 ::3 1.0.0.1 1.0.0.2 1.0.0.3", "::1 1.0.0.1 ::2 1.0.0.2 ::3 1.0.0.3"},
		{"1.0.0.1 1.0.0.2 ::1 ::2", "1.0.0.1 ::1 1.0.0.2 ::2"},
		// One family runs out: the rest of the other, in order.
		{"::1 ::2 ::3 ::4 1.0.0.1", "::1 1.0.0.1 ::2 ::3 ::4"},
		{"::1 1.0.0.1 1.0.0.2 1.0.0.3", "::1 1.0.0.1 1.0.0.2 1.0.0.3"},
		{"1.0.0.1 ::1 ::2 ::3", "1.0.0.1 ::1 ::2 ::3"},
		// Already interleaved, or mixed: order within a family is kept.
		{"::1 1.0.0.1 ::2 1.0.0.2", "::1 1.0.0.1 ::2 1.0.0.2"},
		{"1.0.0.1 1.0.0.2 ::1 1.0.0.3 ::2 ::3 1.0.0.4", "1.0.0.1 ::1 1.0.0.2 ::2 1.0.0.3 ::3 1.0.0.4"},
		// An IPv4-mapped IPv6 address counts as IPv4.
		{"::ffff:1.0.0.1 ::1 1.0.0.2", "::ffff:1.0.0.1 ::1 1.0.0.2"},
		{"::1 ::2 ::ffff:1.0.0.1", "::1 ::ffff:1.0.0.1 ::2"},
		// Zones do not change the family.
		{"fe80::1%eth0 fe80::2%eth0 10.0.0.1", "fe80::1%eth0 10.0.0.1 fe80::2%eth0"},
	} {
		in := parseList(t, tc.in)
		orig := slices.Clone(in)
		got := format(interleave(in))
		if got != tc.want {
			t.Errorf("interleave(%s) = %s, want %s", tc.in, got, tc.want)
		}
		if !slices.Equal(in, orig) {
			t.Errorf("interleave(%s) changed its input", tc.in)
		}
	}
}

// Every address comes out once, and the result alternates while both
// families last.
func TestInterleaveProperties(t *testing.T) {
	v4 := netip.MustParseAddrPort("1.0.0.1:80")
	v6 := netip.MustParseAddrPort("[::1]:80")
	for mask := 0; mask < 1<<10; mask++ {
		for n := 1; n <= 10; n++ {
			var in []netip.AddrPort
			n4, n6 := 0, 0
			for i := 0; i < n; i++ {
				a := v4
				if mask>>i&1 == 1 {
					a = v6
					n6++
				} else {
					n4++
				}
				ap := netip.AddrPortFrom(a.Addr(), uint16(i+1)) // distinct by port
				in = append(in, ap)
			}
			out := interleave(in)
			if len(out) != n {
				t.Fatalf("%v -> %v: length", in, out)
			}
			sorted := func(s []netip.AddrPort) []netip.AddrPort {
				s = slices.Clone(s)
				slices.SortFunc(s, func(a, b netip.AddrPort) int { return a.Compare(b) })
				return s
			}
			if !slices.Equal(sorted(in), sorted(out)) {
				t.Fatalf("%v -> %v: not a permutation", in, out)
			}
			if out[0] != in[0] {
				t.Fatalf("%v -> %v: the first answer is not first", in, out)
			}
			for i := 1; i < 2*min(n4, n6); i++ {
				if is4(out[i]) == is4(out[i-1]) {
					t.Fatalf("%v -> %v: does not alternate at %d", in, out, i)
				}
			}
		}
	}
}

func parseList(t *testing.T, s string) []netip.AddrPort {
	var out []netip.AddrPort
	for _, f := range strings.Fields(s) {
		out = append(out, netip.AddrPortFrom(netip.MustParseAddr(f), 80))
	}
	return out
}

func format(addrs []netip.AddrPort) string {
	var b []string
	for _, a := range addrs {
		b = append(b, a.Addr().String())
	}
	return strings.Join(b, " ")
}
