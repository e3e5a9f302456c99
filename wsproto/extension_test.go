package wsproto_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/gale-io/gale/wsproto"
)

type xp = wsproto.ExtensionParam

var extensionCases = []struct {
	in   string
	want []wsproto.Extension
}{
	{"", nil},
	{" , ,\t", nil},
	{"permessage-deflate", []wsproto.Extension{{Name: "permessage-deflate"}}},
	{"permessage-deflate; client_max_window_bits", []wsproto.Extension{{Name: "permessage-deflate",
		Params: []xp{{Name: "client_max_window_bits"}}}}},
	{"permessage-deflate; client_max_window_bits=10;server_no_context_takeover, permessage-deflate",
		[]wsproto.Extension{{Name: "permessage-deflate", Params: []xp{{Name: "client_max_window_bits", Value: "10", HasValue: true},
			{Name: "server_no_context_takeover"}}}, {Name: "permessage-deflate"}}},
	{`permessage-deflate; client_max_window_bits="10"`, []wsproto.Extension{{Name: "permessage-deflate",
		Params: []xp{{Name: "client_max_window_bits", Value: "10", HasValue: true}}}}},
	{`x; a="1\0"`, []wsproto.Extension{{Name: "x", Params: []xp{{Name: "a", Value: "10", HasValue: true}}}}},
	{" foo ;bar = baz\t, qux\t", []wsproto.Extension{{Name: "foo", Params: []xp{{Name: "bar", Value: "baz", HasValue: true}}}, {Name: "qux"}}},
	{",,foo,,", []wsproto.Extension{{Name: "foo"}}},
	{"Foo; A; B=c", []wsproto.Extension{{Name: "Foo", Params: []xp{{Name: "A"}, {Name: "B", Value: "c", HasValue: true}}}}},
}

var extensionErrors = []string{
	";", "foo;", "foo; =1", "foo; a=", `foo; a="x`, `foo; a="x y"`, `foo; a=""`, "foo bar", "foo; a=b c",
	"foo,;", `foo; a="\"`, "foo; a=é", "fo\x00o", "foo; a==b", `foo; a="x"y`, "foo;;a", "(foo)",
}

func TestParseExtensions(t *testing.T) {
	for _, c := range extensionCases {
		got, err := wsproto.ParseExtensions(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseExtensions(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
			continue
		}
		// Formatting and parsing again gives the same extensions.
		var parts []string
		for _, e := range got {
			parts = append(parts, e.String())
		}
		again, err := wsproto.ParseExtensions(strings.Join(parts, ", "))
		if err != nil || !reflect.DeepEqual(again, c.want) {
			t.Errorf("round trip of %q via %q: %+v, %v", c.in, strings.Join(parts, ", "), again, err)
		}
	}
	for _, in := range extensionErrors {
		got, err := wsproto.ParseExtensions(in)
		var e *wsproto.Error
		if !errors.Is(err, wsproto.ErrHandshake) || !errors.As(err, &e) || e.Fault != wsproto.PeerFault || got != nil {
			t.Errorf("ParseExtensions(%q) = %+v, %v; want an ErrHandshake error", in, got, err)
		}
	}
	e := wsproto.Extension{Name: "x", Params: []xp{{Name: "a", Value: "two words", HasValue: true}}}
	if got := e.String(); got != `x; a="two words"` {
		t.Errorf("String with a non-token value = %q", got)
	}
}

func TestAppendExtensionsReuses(t *testing.T) {
	// One scratch slice through every case, in order and reversed: the
	// results match ParseExtensions' (an empty Params may be non-nil).
	norm := func(es []wsproto.Extension) string { return fmt.Sprintf("%d %s", len(es), fmt.Sprint(es)) }
	var scratch []wsproto.Extension
	for round := range 2 {
		for k := range extensionCases {
			c := extensionCases[k]
			if round == 1 {
				c = extensionCases[len(extensionCases)-1-k]
			}
			got, err := wsproto.AppendExtensions(scratch, c.in)
			if err != nil || norm(got) != norm(c.want) {
				t.Fatalf("AppendExtensions(scratch, %q) = %+v, %v; want %+v", c.in, got, err, c.want)
			}
			scratch = got
		}
	}
	for _, in := range extensionErrors {
		if got, err := wsproto.AppendExtensions(scratch, in); err == nil || got != nil {
			t.Errorf("AppendExtensions(%q) = %+v, %v; want nil and an error", in, got, err)
		}
	}
	const offer = "permessage-deflate; client_max_window_bits, permessage-deflate"
	scratch, _ = wsproto.AppendExtensions(scratch, offer)
	if n := testing.AllocsPerRun(100, func() { scratch, _ = wsproto.AppendExtensions(scratch, offer) }); n != 0 {
		t.Fatalf("AppendExtensions with a grown scratch allocates %v times", n)
	}
}

// A long header (2,000 offers, about 90 KiB) parses in one pass.
func TestParseExtensionsLong(t *testing.T) {
	in := strings.Repeat("permessage-deflate; client_max_window_bits=15, ", 2000)
	exts, err := wsproto.ParseExtensions(in)
	if err != nil || len(exts) != 2000 {
		t.Fatalf("%d extensions, %v", len(exts), err)
	}
}

var negotiationCases = []struct {
	name     string
	offer    string
	cfg      *wsproto.DeflateConfig
	want     wsproto.DeflateParams
	response string // "" for no acceptable offer
}{
	{"plain", "permessage-deflate", nil, params(false, false, 15, 15), "permessage-deflate"},
	{"client bits without value", "permessage-deflate; client_max_window_bits", nil, params(false, false, 15, 15), "permessage-deflate"},
	{"server limits client", "permessage-deflate; client_max_window_bits", &wsproto.DeflateConfig{ClientMaxWindowBits: 10},
		params(false, false, 15, 10), "permessage-deflate; client_max_window_bits=10"},
	{"client limits itself", "permessage-deflate; client_max_window_bits=9", nil,
		params(false, false, 15, 9), "permessage-deflate; client_max_window_bits=9"},
	{"smaller of both", "permessage-deflate; client_max_window_bits=12", &wsproto.DeflateConfig{ClientMaxWindowBits: 10},
		params(false, false, 15, 10), "permessage-deflate; client_max_window_bits=10"},
	{"cannot limit client", "permessage-deflate", &wsproto.DeflateConfig{ClientMaxWindowBits: 10}, params(false, false, 15, 15), "permessage-deflate"},
	{"server window asked", "permessage-deflate; server_max_window_bits=10", nil,
		params(false, false, 10, 15), "permessage-deflate; server_max_window_bits=10"},
	{"server window 8", "permessage-deflate; server_max_window_bits=8", nil,
		params(false, false, 8, 15), "permessage-deflate; server_max_window_bits=8"},
	{"server window 15 echoed", "permessage-deflate; server_max_window_bits=15", nil,
		params(false, false, 15, 15), "permessage-deflate; server_max_window_bits=15"},
	{"server window smaller than asked", "permessage-deflate; server_max_window_bits=14", &wsproto.DeflateConfig{ServerMaxWindowBits: 12},
		params(false, false, 12, 15), "permessage-deflate; server_max_window_bits=12"},
	{"server window unasked", "permessage-deflate", &wsproto.DeflateConfig{ServerMaxWindowBits: 12},
		params(false, false, 12, 15), "permessage-deflate; server_max_window_bits=12"},
	{"server no context takeover", "permessage-deflate; server_no_context_takeover", nil,
		params(true, false, 15, 15), "permessage-deflate; server_no_context_takeover"},
	{"server no context takeover by config", "permessage-deflate", &wsproto.DeflateConfig{ServerNoContextTakeover: true},
		params(true, false, 15, 15), "permessage-deflate; server_no_context_takeover"},
	{"client no context takeover echoed", "permessage-deflate; client_no_context_takeover", nil,
		params(false, true, 15, 15), "permessage-deflate; client_no_context_takeover"},
	{"client no context takeover by config", "permessage-deflate", &wsproto.DeflateConfig{ClientNoContextTakeover: true},
		params(false, true, 15, 15), "permessage-deflate; client_no_context_takeover"},
	{"everything", "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=8", nil,
		params(true, true, 9, 8), "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=8"},
	{"case-insensitive", "PerMessage-Deflate; Server_No_Context_Takeover", nil, params(true, false, 15, 15), "permessage-deflate; server_no_context_takeover"},
	{"other extension first", "x-webkit-deflate-frame, permessage-deflate; client_max_window_bits", nil, params(false, false, 15, 15), "permessage-deflate"},
	{"first offer declined", "permessage-deflate; foo, permessage-deflate; server_no_context_takeover", nil,
		params(true, false, 15, 15), "permessage-deflate; server_no_context_takeover"},
	{"unknown param", "permessage-deflate; foo", nil, wsproto.DeflateParams{}, ""},
	{"server bits without value", "permessage-deflate; server_max_window_bits", nil, wsproto.DeflateParams{}, ""},
	{"server bits 7", "permessage-deflate; server_max_window_bits=7", nil, wsproto.DeflateParams{}, ""},
	{"server bits 16", "permessage-deflate; server_max_window_bits=16", nil, wsproto.DeflateParams{}, ""},
	{"leading zero", "permessage-deflate; server_max_window_bits=09", nil, wsproto.DeflateParams{}, ""},
	{"client bits 16", "permessage-deflate; client_max_window_bits=16", nil, wsproto.DeflateParams{}, ""},
	{"client bits junk", "permessage-deflate; client_max_window_bits=x", nil, wsproto.DeflateParams{}, ""},
	{"repeated", "permessage-deflate; server_no_context_takeover; server_no_context_takeover", nil, wsproto.DeflateParams{}, ""},
	{"repeated bits", "permessage-deflate; client_max_window_bits; client_max_window_bits=10", nil, wsproto.DeflateParams{}, ""},
	{"value on flag", "permessage-deflate; client_no_context_takeover=1", nil, wsproto.DeflateParams{}, ""},
	{"no offer", "x-webkit-deflate-frame", nil, wsproto.DeflateParams{}, ""},
	{"nothing", "", nil, wsproto.DeflateParams{}, ""},
}

func params(snct, cnct bool, sbits, cbits int) wsproto.DeflateParams {
	return wsproto.DeflateParams{ServerNoContextTakeover: snct, ClientNoContextTakeover: cnct,
		ServerMaxWindowBits: sbits, ClientMaxWindowBits: cbits}
}

func TestNegotiateDeflateServer(t *testing.T) {
	for _, c := range negotiationCases {
		offers, err := wsproto.ParseExtensions(c.offer)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		p, resp, ok := wsproto.NegotiateDeflateServer(offers, c.cfg)
		if ok != (c.response != "") || p != c.want || resp != c.response {
			t.Errorf("%s: got %+v %q %v, want %+v %q", c.name, p, resp, ok, c.want, c.response)
		}
	}
}

func TestOfferValue(t *testing.T) {
	if got := wsproto.OfferValue(nil); got != "permessage-deflate; client_max_window_bits" {
		t.Errorf("OfferValue(nil) = %q", got)
	}
	cfg := &wsproto.DeflateConfig{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 10, ClientMaxWindowBits: 9}
	if got := wsproto.OfferValue(cfg); got != "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9" {
		t.Errorf("OfferValue(all) = %q", got)
	}
}

func TestAcceptDeflateResponse(t *testing.T) {
	strict := &wsproto.DeflateConfig{ServerNoContextTakeover: true, ServerMaxWindowBits: 10, ClientMaxWindowBits: 12}
	ok := []struct {
		resp string
		cfg  *wsproto.DeflateConfig
		want wsproto.DeflateParams
	}{
		{"permessage-deflate", nil, params(false, false, 15, 15)},
		{"permessage-deflate; server_no_context_takeover", nil, params(true, false, 15, 15)},
		{"permessage-deflate; client_no_context_takeover", nil, params(false, true, 15, 15)},
		{"permessage-deflate", &wsproto.DeflateConfig{ClientNoContextTakeover: true}, params(false, true, 15, 15)},
		{"permessage-deflate; server_max_window_bits=8", nil, params(false, false, 8, 15)},
		{"permessage-deflate; client_max_window_bits=9", nil, params(false, false, 15, 9)},
		{"permessage-deflate; client_max_window_bits=\"9\"", nil, params(false, false, 15, 9)},
		{"permessage-deflate; server_no_context_takeover; server_max_window_bits=10", strict, params(true, false, 10, 12)},
		{"permessage-deflate; server_no_context_takeover; server_max_window_bits=9; client_max_window_bits=11", strict, params(true, false, 9, 11)},
	}
	for _, c := range ok {
		p, err := wsproto.AcceptDeflateResponse(c.resp, c.cfg)
		if err != nil || p != c.want {
			t.Errorf("AcceptDeflateResponse(%q) = %+v, %v; want %+v", c.resp, p, err, c.want)
		}
	}
	bad := []struct {
		resp string
		cfg  *wsproto.DeflateConfig
	}{
		{"", nil},
		{"x-other", nil},
		{"permessage-deflate, permessage-deflate", nil},
		{"permessage-deflate, x-other", nil},
		{"permessage-deflate; foo", nil},
		{"permessage-deflate; client_max_window_bits", nil}, // a response needs the value
		{"permessage-deflate; server_max_window_bits", nil},
		{"permessage-deflate; server_max_window_bits=16", nil},
		{"permessage-deflate; server_no_context_takeover; server_no_context_takeover", nil},
		{"permessage-deflate; server_no_context_takeover=x", nil},
		{"permessage-deflate; ;", nil},
		{"permessage-deflate; server_max_window_bits=10", strict},                             // no server_no_context_takeover
		{"permessage-deflate; server_no_context_takeover", strict},                            // no server_max_window_bits
		{"permessage-deflate; server_no_context_takeover; server_max_window_bits=11", strict}, // window larger than asked
		{"permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=13", strict},
	}
	for _, c := range bad {
		p, err := wsproto.AcceptDeflateResponse(c.resp, c.cfg)
		if !errors.Is(err, wsproto.ErrHandshake) || p != (wsproto.DeflateParams{}) {
			t.Errorf("AcceptDeflateResponse(%q) = %+v, %v; want an ErrHandshake error", c.resp, p, err)
		}
	}
}

// deflateConfigs is a grid of configurations for both sides.
func deflateConfigs() []*wsproto.DeflateConfig {
	var cfgs []*wsproto.DeflateConfig
	for _, snct := range []bool{false, true} {
		for _, cnct := range []bool{false, true} {
			for _, sb := range []int{0, 10} {
				for _, cb := range []int{0, 9} {
					cfgs = append(cfgs, &wsproto.DeflateConfig{ServerNoContextTakeover: snct, ClientNoContextTakeover: cnct,
						ServerMaxWindowBits: sb, ClientMaxWindowBits: cb})
				}
			}
		}
	}
	return cfgs
}

// Every client configuration against every server configuration: the
// negotiation succeeds, both sides agree, and every limit either side asked
// for holds.
func TestNegotiationGrid(t *testing.T) {
	for _, cc := range deflateConfigs() {
		for _, sc := range deflateConfigs() {
			name := fmt.Sprintf("client %+v server %+v", *cc, *sc)
			offers, err := wsproto.ParseExtensions(wsproto.OfferValue(cc))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			sp, resp, ok := wsproto.NegotiateDeflateServer(offers, sc)
			if !ok {
				t.Fatalf("%s: declined", name)
			}
			cp, err := wsproto.AcceptDeflateResponse(resp, cc)
			if err != nil {
				t.Fatalf("%s: client rejects %q: %v", name, resp, err)
			}
			if cp != sp {
				t.Fatalf("%s: client %+v, server %+v", name, cp, sp)
			}
			limit := func(v int) int {
				if v == 0 {
					return 15
				}
				return v
			}
			if cp.ServerMaxWindowBits > min(limit(cc.ServerMaxWindowBits), limit(sc.ServerMaxWindowBits)) ||
				cp.ClientMaxWindowBits > min(limit(cc.ClientMaxWindowBits), limit(sc.ClientMaxWindowBits)) ||
				(cc.ServerNoContextTakeover || sc.ServerNoContextTakeover) != cp.ServerNoContextTakeover ||
				(cc.ClientNoContextTakeover || sc.ClientNoContextTakeover) != cp.ClientNoContextTakeover {
				t.Fatalf("%s: agreed %+v", name, cp)
			}
		}
	}
}

func TestDeflateConfigPanics(t *testing.T) {
	for _, cfg := range []*wsproto.DeflateConfig{{Level: 10}, {Level: -1}, {ServerMaxWindowBits: 7}, {ClientMaxWindowBits: 16}, {Threshold: -1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("OfferValue(%+v) did not panic", *cfg)
				}
			}()
			wsproto.OfferValue(cfg)
		}()
	}
}

// Autobahn 13.1-13.7: the offers its client makes (our server answers) and
// the answers its server gives to our client's default offer, as Autobahn
// writes them; then messages go both ways under what was agreed.
func TestNegotiationAutobahn13(t *testing.T) {
	const (
		o1 = "permessage-deflate; client_no_context_takeover; client_max_window_bits"
		o2 = o1 + "; server_no_context_takeover"
		o3 = o1 + "; server_max_window_bits=8"
		o4 = o1 + "; server_max_window_bits=15"
		o5 = o2 + "; server_max_window_bits=8"
		o6 = o2 + "; server_max_window_bits=15"
	)
	server := []struct {
		offer, response string
		want            wsproto.DeflateParams
	}{
		{o1, "permessage-deflate; client_no_context_takeover", params(false, true, 15, 15)},
		{o2, "permessage-deflate; server_no_context_takeover; client_no_context_takeover", params(true, true, 15, 15)},
		{o3, "permessage-deflate; client_no_context_takeover; server_max_window_bits=8", params(false, true, 8, 15)},
		{o4, "permessage-deflate; client_no_context_takeover; server_max_window_bits=15", params(false, true, 15, 15)},
		{o5, "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8", params(true, true, 8, 15)},
		{o6, "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15", params(true, true, 15, 15)},
		{o5 + ", " + o2 + ", " + o1, "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8", params(true, true, 8, 15)},
	}
	agreed := map[wsproto.DeflateParams]bool{}
	for i, c := range server {
		offers, err := wsproto.ParseExtensions(c.offer)
		if err != nil {
			t.Fatalf("13.%d: %v", i+1, err)
		}
		p, resp, ok := wsproto.NegotiateDeflateServer(offers, nil)
		if !ok || resp != c.response || p != c.want {
			t.Errorf("13.%d server: %+v %q %v, want %+v %q", i+1, p, resp, ok, c.want, c.response)
		}
		agreed[p] = true
	}
	client := []struct {
		response string
		want     wsproto.DeflateParams
	}{
		{"permessage-deflate", params(false, false, 15, 15)},
		{"permessage-deflate; client_no_context_takeover", params(false, true, 15, 15)},
		{"permessage-deflate; client_max_window_bits=8", params(false, false, 15, 8)},
		{"permessage-deflate; client_max_window_bits=15", params(false, false, 15, 15)},
		{"permessage-deflate; client_no_context_takeover; client_max_window_bits=8", params(false, true, 15, 8)},
		{"permessage-deflate; client_no_context_takeover; client_max_window_bits=15", params(false, true, 15, 15)},
	}
	for i, c := range client {
		p, err := wsproto.AcceptDeflateResponse(c.response, nil)
		if err != nil || p != c.want {
			t.Errorf("13.%d client: %+v, %v; want %+v", i+1, p, err, c.want)
		}
		agreed[p] = true
	}
	for p := range agreed {
		for _, sender := range []wsproto.Role{wsproto.Server, wsproto.Client} {
			converse(t, fmt.Sprintf("%v sends, %+v", sender, p), sender, p, nil, 13)
		}
	}
}
