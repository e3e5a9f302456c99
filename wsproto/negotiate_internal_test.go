package wsproto

import (
	"strings"
	"testing"
)

// TestDeflateValueTable checks that the answers made once for full windows
// are exactly what formatting would give, and that every other one is
// formatted: the whole space of flags and window sizes.
func TestDeflateValueTable(t *testing.T) {
	for i := range 16 {
		for sb := 8; sb <= 15; sb++ {
			for cb := 8; cb <= 15; cb++ {
				p := DeflateParams{ServerNoContextTakeover: i&1 != 0, ClientNoContextTakeover: i&2 != 0,
					ServerMaxWindowBits: sb, ClientMaxWindowBits: cb}
				serverBits := i&4 != 0
				got, want := p.value(serverBits), p.format(serverBits)
				if got != want {
					t.Fatalf("%+v serverBits=%v: value %q, format %q", p, serverBits, got, want)
				}
				if !strings.HasPrefix(got, DeflateExtensionName) {
					t.Fatalf("%q", got)
				}
			}
		}
	}
	p := DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}
	if got := p.value(true); got != "permessage-deflate; server_no_context_takeover; server_max_window_bits=15" {
		t.Fatalf("value %q", got)
	}
	if n := testing.AllocsPerRun(10, func() { _ = p.value(false) }); n != 0 {
		t.Fatalf("full-window answer allocates %v times", n)
	}
}
