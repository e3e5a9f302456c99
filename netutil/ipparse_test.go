package netutil

import (
	"net/netip"
	"strings"
	"testing"
)

var ipSeeds = []string{
	"0.0.0.0", "255.255.255.255", "1.2.3.4", "01.2.3.4", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3",
	"::", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
	"1::2::3", ":1", "1:", "::ffff:1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4",
	"::1.2.3.4", "::1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:8::", "12345::", "fe80::1%eth0",
	"FFFF::", "g::", "1.2.3.4::", "::ffff:01.2.3.4", ":::", "1:::2", "", ".", ":",
}

// parseIPv4 and parseIPv6 accept exactly what netip.ParseAddr accepts
// (without zones) and give the same address.
func checkIPParsers(t *testing.T, s string) {
	want, err := netip.ParseAddr(s)
	ok4, ok6 := err == nil && want.Is4(), err == nil && want.Is6() && want.Zone() == ""
	got4, g4 := parseIPv4([]byte(s))
	if g4 != ok4 || (g4 && netip.AddrFrom4(got4) != want) {
		t.Errorf("parseIPv4(%q) = %v, %v; netip: %v, %v", s, got4, g4, want, err)
	}
	got6, g6 := parseIPv6([]byte(s))
	if g6 != ok6 || (g6 && got6 != want) {
		t.Errorf("parseIPv6(%q) = %v, %v; netip: %v, %v", s, got6, g6, want, err)
	}
}

func TestIPParsers(t *testing.T) {
	for _, s := range ipSeeds {
		checkIPParsers(t, s)
	}
}

func FuzzIPParsers(f *testing.F) {
	for _, s := range ipSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsRune(s, '%') {
			return // zones are netip's business only
		}
		checkIPParsers(t, s)
	})
}

func TestParsePort(t *testing.T) {
	for s, want := range map[string]int{"0": 0, "1": 1, "65535": 65535, "80": 80,
		"": -1, "00": -1, "08": -1, "65536": -1, "123456": -1, "1a": -1, "-1": -1, "+1": -1} {
		p, ok := parsePort([]byte(s))
		if (want < 0) == ok || (ok && int(p) != want) {
			t.Errorf("parsePort(%q) = %d, %v", s, p, ok)
		}
	}
}
