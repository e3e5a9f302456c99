package wsproto_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/gale-io/gale/wsproto"
)

func TestAcceptKey(t *testing.T) {
	// RFC 6455 sections 1.3 and 4.2.2.
	if got := wsproto.AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Errorf("AcceptKey(RFC example) = %q", got)
	}
	if got := wsproto.AcceptKey("x3JJHMbDL1EzLkh9GBhXDw=="); got != "HSmrc0sMlYUkAGmm5OPpG2HaGWk=" {
		t.Errorf("AcceptKey(second example) = %q", got)
	}
	var buf [wsproto.AcceptKeyLen]byte
	if got := wsproto.AppendAcceptKey(buf[:0], "dGhlIHNhbXBsZSBub25jZQ=="); string(got) != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Errorf("AppendAcceptKey(RFC example) = %q", got)
	}
	if got := wsproto.AppendAcceptKey([]byte("x: "), "x3JJHMbDL1EzLkh9GBhXDw=="); string(got) != "x: HSmrc0sMlYUkAGmm5OPpG2HaGWk=" {
		t.Errorf("AppendAcceptKey after a prefix = %q", got)
	}
}

func TestAppendAcceptKeyAllocs(t *testing.T) {
	var buf [wsproto.AcceptKeyLen]byte
	if n := testing.AllocsPerRun(100, func() { wsproto.AppendAcceptKey(buf[:0], "dGhlIHNhbXBsZSBub25jZQ==") }); n != 0 {
		t.Fatalf("AppendAcceptKey allocates %v times with room in dst", n)
	}
}

func TestValidClientKey(t *testing.T) {
	for key, want := range map[string]bool{
		"dGhlIHNhbXBsZSBub25jZQ==":     true,
		"AAAAAAAAAAAAAAAAAAAAAA==":     true,
		"dGhlIHNhbXBsZSBub25jZQ":       false, // no padding
		"dGhlIHNhbXBsZSBub25jZR==":     false, // non-zero padding bits
		"dGhlIHNhbXBsZSBub25jZQ=":      false,
		"dGhlIHNhbXBsZSBub25jZQ==x":    false,
		"dGhlIHNhbXBsZSBub25jZSE=":     false, // 17 bytes
		"dGhlIHNhbXBsZSBub25j":         false, // 15 bytes
		"dGhlIHNhbXBsZSBub25jZQ=!":     false,
		"":                             false,
		"dGhlIHNhbXBsZSBub25jZQ==\r\n": false,
	} {
		if got := wsproto.ValidClientKey(key); got != want {
			t.Errorf("ValidClientKey(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestParseTokenList(t *testing.T) {
	for in, want := range map[string][]string{
		"chat, superchat":     {"chat", "superchat"},
		" a ,, b\t":           {"a", "b"},
		"":                    nil,
		",":                   nil,
		"Upgrade":             {"Upgrade"},
		"keep-alive, Upgrade": {"keep-alive", "Upgrade"},
		"v1.json.example":     {"v1.json.example"},
	} {
		got, err := wsproto.ParseTokenList(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseTokenList(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"a b", "a;b", "\"a\"", "a,b c", "é", "a/b"} {
		got, err := wsproto.ParseTokenList(in)
		var e *wsproto.Error
		if !errors.Is(err, wsproto.ErrHandshake) || !errors.As(err, &e) || got != nil {
			t.Errorf("ParseTokenList(%q) = %q, %v; want an error", in, got, err)
			continue
		}
		if len(e.Reason) < 20 || e.Reason[:20] != "malformed token list" {
			t.Errorf("ParseTokenList(%q): reason %q", in, e.Reason)
		}
	}
}

func TestSelectSubprotocol(t *testing.T) {
	cases := []struct {
		offered, supported []string
		want               string
		ok                 bool
	}{
		{[]string{"a", "b"}, []string{"b", "a"}, "a", true}, // the client's preference wins
		{[]string{"x", "b"}, []string{"a", "b"}, "b", true},
		{[]string{"A"}, []string{"a"}, "", false}, // case-sensitive
		{nil, []string{"a"}, "", false},
		{[]string{"a"}, nil, "", false},
	}
	for _, c := range cases {
		got, ok := wsproto.SelectSubprotocol(c.offered, c.supported)
		if got != c.want || ok != c.ok {
			t.Errorf("SelectSubprotocol(%q, %q) = %q, %v", c.offered, c.supported, got, ok)
		}
	}
}
