package httpproto

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func cookieStrings(cs []Cookie) [][2]string {
	var out [][2]string
	for _, c := range cs {
		out = append(out, [2]string{string(c.Name), string(c.Value)})
	}
	return out
}

func TestParseCookies(t *testing.T) {
	tests := []struct {
		in   string
		want [][2]string
	}{
		{"", nil},
		{"a=1", [][2]string{{"a", "1"}}},
		{"chips=ahoy; vienna=finger", [][2]string{{"chips", "ahoy"}, {"vienna", "finger"}}},
		{" \ta = 1 ;b=2;  ", [][2]string{{"a", "1"}, {"b", "2"}}},
		{`a="quoted"; b=""; c="`, [][2]string{{"a", "quoted"}, {"b", ""}, {"c", `"`}}},
		{"nameless; a=1", [][2]string{{"", "nameless"}, {"a", "1"}}},
		{";;; ; =; = ;", nil},
		{"keebler=E=mc2", [][2]string{{"keebler", "E=mc2"}}},
		{"key:term=value:term", [][2]string{{"key:term", "value:term"}}},
		{"a=b; c=[; d=r; f=h", [][2]string{{"a", "b"}, {"c", "["}, {"d", "r"}, {"f", "h"}}},
		// Tornado's (Django's) test: quotes do not protect ';'.
		{`keebler="E=mc2; L=\"Loves\"; fudge=\012;"`, [][2]string{{"keebler", `"E=mc2`}, {"L", `\"Loves\"`}, {"fudge", `\012`}, {"", `"`}}},
		{"a=x y; b=\u00e9", [][2]string{{"a", "x y"}, {"b", "\u00e9"}}},
		{"a=\x01; b=2; c\x7f=3; d=\x00", [][2]string{{"b", "2"}}},
		{"a=1; a=2", [][2]string{{"a", "1"}, {"a", "2"}}},
		{"=value", [][2]string{{"", "value"}}},
	}
	for _, tt := range tests {
		got := ParseCookies(nil, []byte(tt.in))
		if !reflect.DeepEqual(cookieStrings(got), tt.want) {
			t.Errorf("%q: %q, want %q", tt.in, cookieStrings(got), tt.want)
		}
	}
	cs := ParseCookies(nil, []byte("a=1; b=2"))
	cs = ParseCookies(cs, []byte("a=3"))
	if v, ok := FindCookie(cs, "a"); !ok || string(v) != "1" || len(cs) != 3 {
		t.Errorf("FindCookie(a) = %q, %v (%d cookies)", v, ok, len(cs))
	}
	if _, ok := FindCookie(cs, "A"); ok {
		t.Error("FindCookie is case-sensitive")
	}
	buf := make([]Cookie, 0, 8)
	hdr := []byte("session=abc123; theme=dark; lang=en")
	if n := testing.AllocsPerRun(100, func() { buf = ParseCookies(buf[:0], hdr) }); n != 0 {
		t.Errorf("ParseCookies: %v allocs", n)
	}
}

func TestAppendSetCookie(t *testing.T) {
	tests := []struct {
		c    SetCookie
		want string // "" means an error
	}{
		{SetCookie{Name: "a", Value: "1"}, "a=1"},
		{SetCookie{Name: "a"}, "a="},
		{SetCookie{Name: "id", Value: `"quoted"`}, `id="quoted"`},
		{SetCookie{Name: "id", Value: "a!#$%&'()*+-./:<=>?@[]^_`{|}~"}, "id=a!#$%&'()*+-./:<=>?@[]^_`{|}~"},
		{SetCookie{Name: "s", Value: "v", Path: "/app", Domain: ".Example.com", Expires: 784111777, MaxAge: 60,
			HttpOnly: true, Secure: true, SameSite: SameSiteLax, Partitioned: true},
			"s=v; Path=/app; Domain=Example.com; Expires=Sun, 06 Nov 1994 08:49:37 GMT; Max-Age=60; HttpOnly; Secure; SameSite=Lax; Partitioned"},
		{SetCookie{Name: "d", MaxAge: -1, Expires: -1}, "d=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0"},
		{SetCookie{Name: "d", Expires: -1e12}, "d=; Expires=Thu, 01 Jan 1970 00:00:00 GMT"},
		{SetCookie{Name: "s", SameSite: SameSiteStrict}, "s=; SameSite=Strict"},
		{SetCookie{Name: "s", SameSite: SameSiteNone, Secure: true}, "s=; Secure; SameSite=None"},
		{SetCookie{Name: "__Secure-x", Secure: true, Domain: "a.b"}, "__Secure-x=; Domain=a.b; Secure"},
		{SetCookie{Name: "__Host-x", Secure: true, Path: "/"}, "__Host-x=; Path=/; Secure"},
		{SetCookie{Name: "p", Path: "/a b/\"{}\"?x=1"}, "p=; Path=/a b/\"{}\"?x=1"},
		{SetCookie{Name: "e", Expires: maxCookieDate}, "e=; Expires=Fri, 31 Dec 9999 23:59:59 GMT"},

		{SetCookie{Name: ""}, ""},
		{SetCookie{Name: "a b"}, ""},
		{SetCookie{Name: "a;b"}, ""},
		{SetCookie{Name: "a=b"}, ""},
		{SetCookie{Name: "\u00e9"}, ""},
		{SetCookie{Name: "a", Value: "x y"}, ""},
		{SetCookie{Name: "a", Value: "x,y"}, ""},
		{SetCookie{Name: "a", Value: "x;y"}, ""},
		{SetCookie{Name: "a", Value: `x"y`}, ""},
		{SetCookie{Name: "a", Value: `x\y`}, ""},
		{SetCookie{Name: "a", Value: "x\r\nSet-Cookie: evil=1"}, ""},
		{SetCookie{Name: "a", Value: "\u00e9"}, ""},
		{SetCookie{Name: "a", Value: `"`}, ""},
		{SetCookie{Name: "a", Domain: "a;b"}, ""},
		{SetCookie{Name: "a", Domain: "a b"}, ""},
		{SetCookie{Name: "a", Domain: "[::1]"}, ""},
		{SetCookie{Name: "a", Domain: "."}, ""},
		{SetCookie{Name: "a", Domain: "..a"}, ""},
		{SetCookie{Name: "a", Domain: "a..b"}, ""},
		{SetCookie{Name: "a", Domain: "a.b."}, ""},
		{SetCookie{Name: "a", Path: "/a;b"}, ""},
		{SetCookie{Name: "a", Path: "/a\nb"}, ""},
		{SetCookie{Name: "a", Path: "/\u00e9"}, ""},
		{SetCookie{Name: "a", Expires: maxCookieDate + 1}, ""},
		{SetCookie{Name: "a", SameSite: SameSiteNone}, ""},
		{SetCookie{Name: "a", SameSite: 7, Secure: true}, ""},
		{SetCookie{Name: "a", Partitioned: true}, ""},
		{SetCookie{Name: "__Secure-a"}, ""},
		{SetCookie{Name: "__secure-a"}, ""},
		{SetCookie{Name: "__Host-a", Secure: true}, ""},
		{SetCookie{Name: "__Host-a", Secure: true, Path: "/", Domain: "x"}, ""},
	}
	for _, tt := range tests {
		got, err := AppendSetCookie([]byte("prefix:"), &tt.c)
		if tt.want == "" {
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeInvalidOutput || !e.Local() || string(got) != "prefix:" {
				t.Errorf("%+v: %q, %v; want a CodeInvalidOutput error", tt.c, got, err)
			}
			continue
		}
		if err != nil || string(got) != "prefix:"+tt.want {
			t.Errorf("%+v:\n got %q, %v\nwant %q", tt.c, got, err, tt.want)
		}
	}
}

// TestCookieDate checks parseCookieDate against golden values (from date
// -u -d @N) and against AppendHTTPDate over the whole range.
func TestCookieDate(t *testing.T) {
	for _, tt := range []struct {
		unix int64
		want string
	}{
		{0, "Thu, 01 Jan 1970 00:00:00 GMT"},
		{784111777, "Sun, 06 Nov 1994 08:49:37 GMT"},
		{-1, "Wed, 31 Dec 1969 23:59:59 GMT"},
		{951782400, "Tue, 29 Feb 2000 00:00:00 GMT"},
		{-11644473600, "Mon, 01 Jan 1601 00:00:00 GMT"},
		{253402300799, "Fri, 31 Dec 9999 23:59:59 GMT"},
		{4107542399, "Sun, 28 Feb 2100 23:59:59 GMT"},
		{4107542400, "Mon, 01 Mar 2100 00:00:00 GMT"},
		{1700000000, "Tue, 14 Nov 2023 22:13:20 GMT"},
		{-2208988800, "Mon, 01 Jan 1900 00:00:00 GMT"},
	} {
		if got, ok := parseCookieDate([]byte(tt.want)); !ok || got != tt.unix {
			t.Errorf("parse %q: %d, %v; want %d", tt.want, got, ok, tt.unix)
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 100000 {
		u := rng.Int64N(maxCookieDate + 1)
		s := AppendHTTPDate(nil, u)
		if got, ok := parseCookieDate(s); !ok || got != u {
			t.Fatalf("%d -> %q -> %d, %v", u, s, got, ok)
		}
	}
}

func TestParseCookieDate(t *testing.T) {
	const base = 784111777 // Sun, 06 Nov 1994 08:49:37 GMT
	tests := []struct {
		in   string
		want int64 // -1: fails
	}{
		{"Sun, 06 Nov 1994 08:49:37 GMT", base},
		{"Sunday, 06-Nov-94 08:49:37 GMT", base},
		{"Sun Nov  6 08:49:37 1994", base},
		{"06 Nov 1994 08:49:37", base},
		{"nov 6 1994 8:49:37", base},
		{"NOVEMBER 6, 1994 08:49:37 UTC", base},
		{"Sun, 06 Nov 1994 08:49:37GMT", base},
		{"Sun, 6 Nov 94 8:49:37 +0200", base},
		{"Thu, 01-Jan-1970 00:00:01 GMT", 1},
		{"Thu, 01 Jan 70 00:00:00 GMT", 0},
		{"1 jan 69 0:0:0", 3124224000},
		{"Sun, 06 Nov 1994 08:49:37 GMT 2020", base},
		{"", -1},
		{"Sun, 06 Nov 1994", -1},
		{"08:49:37 Nov 1994", -1},
		{"Sun, 06 Nov 1600 08:49:37 GMT", -1},
		{"Sun, 06 Nov 1994 24:00:00 GMT", -1},
		{"Sun, 06 Nov 1994 08:60:00 GMT", -1},
		{"Sun, 06 Nov 1994 08:49:60 GMT", -1},
		{"Sun, 32 Nov 1994 08:49:37 GMT", -1},
		{"Sun, 00 Nov 1994 08:49:37 GMT", -1},
		{"Sat, 30 Feb 2000 00:00:00 GMT", -1},
		{"Fri, 29 Feb 2001 00:00:00 GMT", -1},
		{"Sun, 06 Nov 19945 08:49:37 GMT", -1},
		{"Sun, 06 Nox 1994 08:49:37 GMT", -1},
		{"Sun, 06 Nov 1994 108:49:37 GMT", -1},
	}
	for _, tt := range tests {
		got, ok := parseCookieDate([]byte(tt.in))
		if tt.want == -1 {
			if ok {
				t.Errorf("%q: %d, want failure", tt.in, got)
			}
			continue
		}
		if !ok || got != tt.want {
			t.Errorf("%q: %d, %v; want %d", tt.in, got, ok, tt.want)
		}
	}
}

func TestParseSetCookie(t *testing.T) {
	tests := []struct {
		in   string
		want SetCookie
		bad  bool
	}{
		{in: "a=1", want: SetCookie{Name: "a", Value: "1"}},
		{in: " a = \"1\" ", want: SetCookie{Name: "a", Value: `"1"`}},
		{in: "nameless", want: SetCookie{Value: "nameless"}},
		{in: "a=b=c; ", want: SetCookie{Name: "a", Value: "b=c"}},
		{
			in: "s=v; path=/app; DOMAIN=.Example.COM; expires=Sun, 06 Nov 1994 08:49:37 GMT; Max-Age=60; httponly; SECURE; samesite=strict; Partitioned; Unknown=x",
			want: SetCookie{Name: "s", Value: "v", Path: "/app", Domain: "example.com", Expires: 784111777, MaxAge: 60,
				HttpOnly: true, Secure: true, SameSite: SameSiteStrict, Partitioned: true},
		},
		{in: "a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT", want: SetCookie{Name: "a", Value: "1", Expires: -1}},
		{in: "a=1; Expires=Mon, 01 Jan 1601 00:00:00 GMT", want: SetCookie{Name: "a", Value: "1", Expires: -1}},
		{in: "a=1; Expires=Thu, 01 Jan 1970 00:00:01 GMT", want: SetCookie{Name: "a", Value: "1", Expires: 1}},
		{in: "a=1; Expires=garbage", want: SetCookie{Name: "a", Value: "1"}},
		{in: "a=1; Max-Age=0", want: SetCookie{Name: "a", Value: "1", MaxAge: -1}},
		{in: "a=1; Max-Age=-5", want: SetCookie{Name: "a", Value: "1", MaxAge: -1}},
		{in: "a=1; Max-Age=99999999999999999999", want: SetCookie{Name: "a", Value: "1", MaxAge: 1<<31 - 1}},
		{in: "a=1; Max-Age=1x; Max-Age=; Max-Age=-", want: SetCookie{Name: "a", Value: "1"}},
		{in: "a=1; Max-Age=5; Max-Age=7", want: SetCookie{Name: "a", Value: "1", MaxAge: 7}},
		{in: "a=1; Domain=; Path=relative", want: SetCookie{Name: "a", Value: "1"}},
		{in: "a=1; Path=/x; Path=y", want: SetCookie{Name: "a", Value: "1"}},
		{in: "a=1; SameSite=Lax; SameSite=bogus", want: SetCookie{Name: "a", Value: "1"}},
		{in: "a=1; SameSite=NONE", want: SetCookie{Name: "a", Value: "1", SameSite: SameSiteNone}},
		{in: "a=1; Secure=yes;HttpOnly", want: SetCookie{Name: "a", Value: "1", Secure: true, HttpOnly: true}},
		{in: "a=1; Path=/" + strings.Repeat("p", 1024), want: SetCookie{Name: "a", Value: "1"}},
		{in: "a=1\tb", want: SetCookie{Name: "a", Value: "1\tb"}},
		{in: "", bad: true},
		{in: "=", bad: true},
		{in: " ; Path=/", bad: true},
		{in: "a=1\x00", bad: true},
		{in: "a=1; Path=/\r\n", bad: true},
		{in: "a=" + strings.Repeat("v", 4096), bad: true},
	}
	for _, tt := range tests {
		got, err := ParseSetCookie([]byte(tt.in))
		if tt.bad {
			if !errors.Is(err, ErrBadHeader) {
				t.Errorf("%q: %+v, %v; want ErrBadHeader", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q:\n got %+v, %v\nwant %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestSameSiteString(t *testing.T) {
	if SameSiteLax.String() != "Lax" || SameSiteDefault.String() != "Default" || SameSite(9).String() != "SameSite(9)" {
		t.Error("SameSite.String")
	}
}

// FuzzParseCookies: ParseCookies never panics and returns trimmed views
// of its input without control bytes or ';'.
func FuzzParseCookies(f *testing.F) {
	for _, s := range []string{"a=1; b=2", `k="v"; =x; y`, "a=\x01;b= 2 ", "; ; =", `keebler="E=mc2; L=\"Loves\"; fudge=\012;"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		for _, c := range ParseCookies(nil, v) {
			for _, b := range [][]byte{c.Name, c.Value} {
				if hasCTL(b) || bytes.IndexByte(b, ';') >= 0 || len(b) > 0 && !bytes.Contains(v, b) {
					t.Fatalf("bad cookie %q=%q from %q", c.Name, c.Value, v)
				}
			}
			if len(c.Name) > 0 && (c.Name[0] == ' ' || c.Name[len(c.Name)-1] == ' ' || bytes.IndexByte(c.Name, '=') >= 0) {
				t.Fatalf("untrimmed name %q", c.Name)
			}
		}
	})
}

// FuzzParseSetCookie: ParseSetCookie never panics, fails only with an
// *Error, and a cookie it returns that AppendSetCookie accepts survives
// the round trip unchanged.
func FuzzParseSetCookie(f *testing.F) {
	for _, s := range []string{
		"a=1", "s=v; Path=/app; Domain=.Example.com; Expires=Sun, 06 Nov 1994 08:49:37 GMT; Max-Age=60; HttpOnly; Secure; SameSite=Lax; Partitioned",
		"a=1; Max-Age=-1; expires=Thu, 01 Jan 1970 00:00:00 GMT", "nameless", "a=\"q\"; samesite=none; secure",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		c, err := ParseSetCookie(v)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T)", err, err)
			}
			return
		}
		out, err := AppendSetCookie(nil, &c)
		if err != nil {
			return
		}
		c2, err := ParseSetCookie(out)
		c.Domain = trimDot(c.Domain) // AppendSetCookie drops one leading dot
		if err != nil || c2 != c {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", v, c, out, c2, err)
		}
	})
}
