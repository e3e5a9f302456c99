package httpproto

import (
	"errors"
	"slices"
	"testing"
)

func TestHeadersBasics(t *testing.T) {
	var h Headers
	h.Add("content-type", "text/plain")
	h.Add("X-MULTI", "a")
	h.Add("x-multi", "b")
	h.Add("x-empty", "")
	if got := h.GetString("Content-Type"); got != "text/plain" {
		t.Errorf("Get Content-Type = %q", got)
	}
	if f := h.At(0); string(f.Name) != "Content-Type" {
		t.Errorf("name not canonical: %q", f.Name)
	}
	if f := h.At(1); string(f.Name) != "X-Multi" {
		t.Errorf("name not canonical: %q", f.Name)
	}
	if got := h.Values("X-Multi"); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Values = %q", got)
	}
	if v := h.Get("x-empty"); v == nil || len(v) != 0 {
		t.Errorf("empty value: %v", v)
	}
	if h.Get("absent") != nil || h.Has("absent") {
		t.Error("absent field found")
	}
	if h.Count("X-Multi") != 2 {
		t.Error("Count")
	}
	h.Set("x-multi", "c")
	if got := h.Values("X-Multi"); !slices.Equal(got, []string{"c"}) {
		t.Errorf("after Set: %q", got)
	}
	if string(h.At(1).Name) != "X-Multi" {
		t.Errorf("Set moved the field: %s", h.String())
	}
	h.Del("CONTENT-TYPE")
	if h.Has("Content-Type") || h.Len() != 2 {
		t.Errorf("after Del: %s", h.String())
	}
	if got, want := h.String(), "X-Multi: c\r\nX-Empty: \r\n"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	h.Reset()
	if h.Len() != 0 {
		t.Error("Reset")
	}
}

func TestHeadersArenaGrowthKeepsViews(t *testing.T) {
	var h Headers
	for i := range 200 {
		h.Add("X-N", string(rune('a'+i%26)))
	}
	for i := range 200 {
		if got := string(h.At(i).Value); got != string(rune('a'+i%26)) {
			t.Fatalf("field %d = %q", i, got)
		}
	}
}

func TestHeadersTokenList(t *testing.T) {
	var h Headers
	h.Add("Connection", "keep-alive ,\tUpgrade")
	h.Add("Connection", "close")
	for _, tok := range []string{"keep-alive", "upgrade", "CLOSE"} {
		if !h.HasToken("connection", tok) {
			t.Errorf("HasToken %q false", tok)
		}
	}
	if h.HasToken("Connection", "keep") || h.HasToken("Connection", "") {
		t.Error("HasToken matched a partial token")
	}
}

func TestHeadersRetainAndClone(t *testing.T) {
	in := []byte("Host: a\r\nX-Y: b\r\n")
	var h Headers
	h.addView(in[0:4], in[6:7])
	h.addView(in[9:12], in[14:15])
	c := h.Clone()
	h.Retain()
	for i := range in {
		in[i] = '!'
	}
	for _, x := range []*Headers{&h, &c} {
		if x.GetString("host") != "a" || x.GetString("x-y") != "b" {
			t.Errorf("views not retained: %s", x.String())
		}
	}
}

func TestHeadersValidate(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		ok          bool
	}{
		{"X-A", "plain value", true},
		{"X-A", "tab\tinside", true},
		{"X-A", "caf\xc3\xa9", true},
		{"X-A", "", true},
		{"X-A", "split\r\nX-Evil: 1", false},
		{"X-A", "bare\nlf", false},
		{"X-A", "nul\x00", false},
		{"X-A", "del\x7f", false},
		{"X-A", " leading", false},
		{"X-A", "trailing\t", false},
		{"X A", "v", false},
		{"X:A", "v", false},
		{"", "v", false},
	} {
		var h Headers
		h.Add(tc.name, tc.value)
		err := h.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%q: %q: Validate = %v", tc.name, tc.value, err)
		}
		if err != nil && !errors.Is(err, ErrInvalidOutput) {
			t.Errorf("%q: error %v is not ErrInvalidOutput", tc.name, err)
		}
	}
}

func TestCanonicalName(t *testing.T) {
	for in, want := range map[string]string{
		"content-type": "Content-Type", "CONTENT-LENGTH": "Content-Length", "x-forwarded-for": "X-Forwarded-For",
		"Host": "Host", "www-authenticate": "Www-Authenticate", "not a token": "not a token", "-x": "-X",
	} {
		if got := CanonicalName(in); got != want {
			t.Errorf("CanonicalName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAddCanonical: Add stores a token name canonically and any other name
// unchanged (the case fix must not leave a half-converted name behind when
// the invalid byte comes late); Validate then refuses the latter.
func TestAddCanonical(t *testing.T) {
	var h Headers
	h.Add("x-REQUEST-id", "1")
	h.Add("x-Mixed case", "2")
	h.AddBytes([]byte("content-md5"), []byte("3"))
	if got, want := h.String(), "X-Request-Id: 1\r\nx-Mixed case: 2\r\nContent-Md5: 3\r\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if err := h.Validate(); !errors.Is(err, ErrInvalidOutput) {
		t.Fatalf("Validate = %v, want ErrInvalidOutput", err)
	}
}

func TestHeadersAllocs(t *testing.T) {
	var h Headers
	get := func() {
		h.Reset()
		h.Add("Content-Type", "text/plain")
		h.Add("Server", "gale")
		_ = h.Get("server")
	}
	get()
	if n := testing.AllocsPerRun(100, get); n != 0 {
		t.Errorf("reused Headers allocates %v times", n)
	}
}

func TestHeadersAddInt(t *testing.T) {
	var h Headers
	h.AddInt("content-length", 1234567890123)
	h.AddInt("X-Zero", 0)
	if got := h.String(); got != "Content-Length: 1234567890123\r\nX-Zero: 0\r\n" {
		t.Fatalf("got %q", got)
	}
}
