package httpproto

import (
	"errors"
	"strings"
	"testing"
)

// rfc3986Examples are RFC 3986 section 5.4's examples: 5.4.1 normal and
// 5.4.2 abnormal, against the base "http://a/b/c/d;p?q".
var rfc3986Examples = []struct{ ref, want string }{
	// 5.4.1 Normal Examples
	{"g:h", "g:h"},
	{"g", "http://a/b/c/g"},
	{"./g", "http://a/b/c/g"},
	{"g/", "http://a/b/c/g/"},
	{"/g", "http://a/g"},
	{"//g", "http://g"},
	{"?y", "http://a/b/c/d;p?y"},
	{"g?y", "http://a/b/c/g?y"},
	{"#s", "http://a/b/c/d;p?q#s"},
	{"g#s", "http://a/b/c/g#s"},
	{"g?y#s", "http://a/b/c/g?y#s"},
	{";x", "http://a/b/c/;x"},
	{"g;x", "http://a/b/c/g;x"},
	{"g;x?y#s", "http://a/b/c/g;x?y#s"},
	{"", "http://a/b/c/d;p?q"},
	{".", "http://a/b/c/"},
	{"./", "http://a/b/c/"},
	{"..", "http://a/b/"},
	{"../", "http://a/b/"},
	{"../g", "http://a/b/g"},
	{"../..", "http://a/"},
	{"../../", "http://a/"},
	{"../../g", "http://a/g"},
	// 5.4.2 Abnormal Examples
	{"../../../g", "http://a/g"},
	{"../../../../g", "http://a/g"},
	{"/./g", "http://a/g"},
	{"/../g", "http://a/g"},
	{"g.", "http://a/b/c/g."},
	{".g", "http://a/b/c/.g"},
	{"g..", "http://a/b/c/g.."},
	{"..g", "http://a/b/c/..g"},
	{"./../g", "http://a/b/g"},
	{"./g/.", "http://a/b/c/g/"},
	{"g/./h", "http://a/b/c/g/h"},
	{"g/../h", "http://a/b/c/h"},
	{"g;x=1/./y", "http://a/b/c/g;x=1/y"},
	{"g;x=1/../y", "http://a/b/c/y"},
	{"g?y/./x", "http://a/b/c/g?y/./x"},
	{"g?y/../x", "http://a/b/c/g?y/../x"},
	{"g#s/./x", "http://a/b/c/g#s/./x"},
	{"g#s/../x", "http://a/b/c/g#s/../x"},
	{"http:g", "http:g"}, // strict parsers
}

func TestResolveReferenceRFC3986(t *testing.T) {
	base, err := ParseURL("http://a/b/c/d;p?q")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range rfc3986Examples {
		got, err := resolve(base, tt.ref)
		if err != nil || got.String() != tt.want {
			t.Errorf("resolve %q: %q, %v; want %q", tt.ref, got.String(), err, tt.want)
		}
		got, err = ResolveReference(base, tt.ref)
		if tt.ref == "http:g" {
			// RFC 9110 section 4.2.1: an http URI without a host is invalid.
			if !errors.Is(err, ErrBadURL) {
				t.Errorf("ResolveReference %q: %q, %v; want ErrBadURL", tt.ref, got.String(), err)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("ResolveReference %q: %q, %v; want %q", tt.ref, got.String(), err, tt.want)
		}
	}
}

func TestResolveReference(t *testing.T) {
	tests := []struct{ base, ref, want string }{
		{"http://a", "g", "http://a/g"},
		{"http://a", "", "http://a"},
		{"http://a", "?x", "http://a?x"},
		{"https://u:p@a:8443/x/y?q#f", "z", "https://u:p@a:8443/x/z"},
		{"https://u:p@a:8443/x/y", "//b/c", "https://b/c"},
		{"https://a/x", "HTTP://B:80/%7e/./y/../z", "http://b/%7e/z"},
		{"http://a/b", "/caf\u00e9?q=\u00e9#\u00e9", "http://a/caf%C3%A9?q=%C3%A9#%C3%A9"},
		{"http://a/b/c", "../../../..", "http://a/"},
		{"http://a/b/c", "./:x", "http://a/b/:x"},
		{"http://[::1]:8080/a", "b", "http://[::1]:8080/b"},
		{"ws://a/b", "wss://c/d", "wss://c/d"},
	}
	for _, tt := range tests {
		base, err := ParseURL(tt.base)
		if err != nil {
			t.Fatalf("%q: %v", tt.base, err)
		}
		got, err := ResolveReference(base, tt.ref)
		if err != nil || got.String() != tt.want {
			t.Errorf("%q + %q = %q, %v; want %q", tt.base, tt.ref, got.String(), err, tt.want)
		}
	}
	base, _ := ParseURL("http://a/b")
	for _, ref := range []string{"a b", "/\r\nX: y", "1x:y", ":x", "//h:99999/", "///x", "http://", "//[::1/"} {
		if u, err := ResolveReference(base, ref); !errors.Is(err, ErrBadURL) {
			t.Errorf("%q: %q, %v; want ErrBadURL", ref, u.String(), err)
		}
	}
	if _, err := ResolveReference(URL{Path: "/rel"}, "x"); !errors.Is(err, ErrBadURL) {
		t.Errorf("relative base: %v", err)
	}
}

func TestRemoveDotSegments(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "",
		"/":                  "/",
		"/a/b/c/./../../g":   "/a/g",
		"mid/content=5/../6": "mid/6",
		"a/..":               "/",
		"../a":               "a",
		"/..":                "/",
		"/.":                 "/",
		".":                  "",
		"/a/./b/.":           "/a/b/",
		"/a/../../b":         "/b",
		"/a//../b":           "/a/b",
		"/a/b/..":            "/a/",
		"/...":               "/...",
	} {
		if got := removeDotSegments(in); got != want {
			t.Errorf("removeDotSegments(%q) = %q, want %q", in, got, want)
		}
	}
	// Linear: a million segments then a million "..".
	long := strings.Repeat("/a", 1<<20) + strings.Repeat("/..", 1<<20)
	if got := removeDotSegments(long); got != "/" {
		t.Errorf("long: %q", got[:min(len(got), 20)])
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		in   string
		want URL
		str  string
	}{
		{in: "http://example.com", want: URL{Scheme: "http", Host: "example.com", Port: 80}, str: "http://example.com"},
		{
			in:   "HTTPS://User:P%40ss%3A@Example.COM:8443/a%20b/./c?x=1&y#frag",
			want: URL{Scheme: "https", Username: "User", Password: "P@ss:", Host: "example.com", Port: 8443, Path: "/a%20b/./c", RawQuery: "x=1&y", Fragment: "frag"},
			str:  "https://User:P%40ss%3A@example.com:8443/a%20b/./c?x=1&y#frag",
		},
		{in: "http://[::1]:8080/", want: URL{Scheme: "http", Host: "::1", Port: 8080, Path: "/"}, str: "http://[::1]:8080/"},
		{in: "ws://[2001:DB8::7]/chat", want: URL{Scheme: "ws", Host: "2001:db8::7", Port: 80, Path: "/chat"}, str: "ws://[2001:db8::7]/chat"},
		{in: "wss://h:443/?", want: URL{Scheme: "wss", Host: "h", Port: 443, Path: "/"}, str: "wss://h/"},
		{in: "http://h:/p", want: URL{Scheme: "http", Host: "h", Port: 80, Path: "/p"}, str: "http://h/p"},
		{in: "http://u@h", want: URL{Scheme: "http", Username: "u", Host: "h", Port: 80}, str: "http://u@h"},
		{in: "http://:pw@h", want: URL{Scheme: "http", Password: "pw", Host: "h", Port: 80}, str: "http://:pw@h"},
		{in: "http://h/caf\u00e9?\u00e9#\u00e9", want: URL{Scheme: "http", Host: "h", Port: 80, Path: "/caf%C3%A9", RawQuery: "%C3%A9", Fragment: "%C3%A9"}, str: "http://h/caf%C3%A9?%C3%A9#%C3%A9"},
		{in: "http://1.2.3.4:65535", want: URL{Scheme: "http", Host: "1.2.3.4", Port: 65535}, str: "http://1.2.3.4:65535"},
		{in: "http://[::ffff:1.2.3.4]", want: URL{Scheme: "http", Host: "::ffff:1.2.3.4", Port: 80}, str: "http://[::ffff:1.2.3.4]"},
		{in: "http://a-b_c.~!$&'()*+,;=/{}|^`", want: URL{Scheme: "http", Host: "a-b_c.~!$&'()*+,;=", Port: 80, Path: "/{}|^`"}, str: "http://a-b_c.~!$&'()*+,;=/{}|^`"},
		{in: "mailto:a@b.c", want: URL{Scheme: "mailto", Path: "a@b.c"}, str: "mailto:a@b.c"},
		{in: "file:///etc/hosts", want: URL{Scheme: "file", Path: "/etc/hosts", authority: true}, str: "file:///etc/hosts"},
		{in: "x-y.z+1:", want: URL{Scheme: "x-y.z+1"}, str: "x-y.z+1:"},
	}
	for _, tt := range tests {
		got, err := ParseURL(tt.in)
		if err != nil || got != tt.want && !(tt.want.Host != "" && withAuthority(tt.want) == got) {
			t.Errorf("%q:\n got %#v, %v\nwant %#v", tt.in, got, err, tt.want)
			continue
		}
		if s := got.String(); s != tt.str {
			t.Errorf("%q: String() = %q, want %q", tt.in, s, tt.str)
		}
	}
	u, _ := ParseURL("https://u:p@[::1]:8443/p?q#f")
	if u.RequestURI() != "/p?q" || u.Authority() != "[::1]:8443" || u.HostPort() != "[::1]:8443" {
		t.Errorf("methods: %q %q %q", u.RequestURI(), u.Authority(), u.HostPort())
	}
	u, _ = ParseURL("https://example.com")
	if u.RequestURI() != "/" || u.Authority() != "example.com" || u.HostPort() != "example.com:443" {
		t.Errorf("methods: %q %q %q", u.RequestURI(), u.Authority(), u.HostPort())
	}
	if s := (URL{Scheme: "http", Host: "h", Path: "p"}).String(); s != "http://h/p" {
		t.Errorf("relative path with host: %q", s)
	}
	if s := (URL{Scheme: "x", Path: "//p"}).String(); s != "x:/.//p" {
		t.Errorf("path that would read as authority: %q", s)
	}
}

func withAuthority(u URL) URL {
	u.authority = true
	return u
}

func TestParseURLErrors(t *testing.T) {
	for _, in := range []string{
		"", "/path", "example.com/x", "1http://x", "://x", "ht tp://x", "h\u00e9://x",
		"http://", "http:///x", "http:x", "https:", "ws://?q",
		"http://a b/", "http://a\r\n/", "http://a/\x00", "http://a/\x7f", "http://a/ b", "http://a/#\t",
		"http://h:0/", "http://h:65536/", "http://h:8x/", "http://h:80:80/", "http://h:-1/", "http://h:99999999999999999999/",
		"http://[::1/", "http://[::g]/", "http://[::1]x/", "http://[1:2:3:4:5:6:7:8:9]/", "http://[]/", "http://[fe80::1%25eth0]/", "http://[v1.x]/",
		"http://a@b@c/", "http://u%zz@h/", "http://u<@h/", "http://h%41/", "http://\u00e9/", "http://h\"/",
	} {
		u, err := ParseURL(in)
		var ue *URLError
		if !errors.As(err, &ue) || !errors.Is(err, ErrBadURL) {
			t.Errorf("%q: %#v, %v; want a *URLError", in, u, err)
		}
	}
	_, err := ParseURL("http://user:secret@h:0/")
	if err == nil || strings.Contains(err.Error(), "secret") || !strings.Contains(err.Error(), "***@h:0") {
		t.Errorf("error leaks or misses the URL: %v", err)
	}
}

func TestValidIPv6(t *testing.T) {
	for s, want := range map[string]bool{
		"::": true, "::1": true, "1::": true, "1:2:3:4:5:6:7:8": true, "1:2:3:4:5:6:7::": true, "::2:3:4:5:6:7:8": true,
		"1:2:3:4:5:6::8": true, "fe80::1": true, "::ffff:192.0.2.1": true, "1:2:3:4:5:6:1.2.3.4": true, "ABCD:ef::1": true,
		"": false, ":": false, ":::": false, "1:2:3:4:5:6:7": false, "1:2:3:4:5:6:7:8:9": false, "1::2::3": false,
		"12345::": false, "1:": false, ":1": false, "1:2:3:4:5:6:7:8::": false, "::1.2.3": false, "::1.2.3.256": false,
		"::01.2.3.4": false, "1:2:3:4:5:6:7:1.2.3.4": false, "g::": false, "::1:": false, "1.2.3.4": false, "::1.2.3.4.5": false,
	} {
		if got := validIPv6(s); got != want {
			t.Errorf("validIPv6(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestSameOrigin(t *testing.T) {
	p := func(s string) URL {
		u, err := ParseURL(s)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	tests := []struct {
		a, b string
		same bool
	}{
		{"http://a/x", "http://a/y?z#f", true},
		{"http://a", "http://A:80", true},
		{"http://u:p@a", "http://a", true},
		{"https://a", "https://a:443/", true},
		{"http://a", "https://a", false},
		{"http://a", "http://a:8080", false},
		{"http://a", "http://b", false},
		{"http://a.example", "http://b.a.example", false},
		{"ws://a", "http://a", false},
	}
	for _, tt := range tests {
		if got := SameOrigin(p(tt.a), p(tt.b)); got != tt.same {
			t.Errorf("SameOrigin(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
	if !SameOrigin(URL{Scheme: "http", Host: "a"}, URL{Scheme: "http", Host: "a", Port: 80}) {
		t.Error("zero Port is the default port")
	}
}

func TestURLConcat(t *testing.T) {
	var args Args
	args.Add("y", "y")
	args.Add("z", "a b&c")
	tests := []struct{ in, want string }{
		{"https://localhost/path", "https://localhost/path?y=y&z=a+b%26c"},
		{"https://localhost/path?x", "https://localhost/path?x&y=y&z=a+b%26c"},
		{"https://localhost/path?x&", "https://localhost/path?x&y=y&z=a+b%26c"},
		{"https://localhost/path?", "https://localhost/path?y=y&z=a+b%26c"},
		{"https://localhost/path?a=1&b=2", "https://localhost/path?a=1&b=2&y=y&z=a+b%26c"},
		{"https://localhost/path#frag?x", "https://localhost/path?y=y&z=a+b%26c#frag?x"},
		{"https://localhost/path?r=1#frag", "https://localhost/path?r=1&y=y&z=a+b%26c#frag"},
		{"/relative", "/relative?y=y&z=a+b%26c"},
		{"", "?y=y&z=a+b%26c"},
	}
	for _, tt := range tests {
		if got := URLConcat(tt.in, &args); got != tt.want {
			t.Errorf("URLConcat(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := URLConcat("http://a/?x#f", nil); got != "http://a/?x#f" {
		t.Errorf("nil args: %q", got)
	}
	if got := URLConcat("http://a/?x#f", &Args{}); got != "http://a/?x#f" {
		t.Errorf("no args: %q", got)
	}
}

func TestDefaultPort(t *testing.T) {
	for s, p := range map[string]int{"http": 80, "ws": 80, "https": 443, "wss": 443, "ftp": 0, "HTTP": 0} {
		if DefaultPort(s) != p {
			t.Errorf("DefaultPort(%q) = %d", s, DefaultPort(s))
		}
	}
}

// FuzzParseURL: ParseURL never panics, fails only with a *URLError, and
// what it returns prints (String) as a URL that parses back to the same
// value. ResolveReference against a fixed base obeys the same rules.
func FuzzParseURL(f *testing.F) {
	for _, tt := range rfc3986Examples {
		f.Add(tt.ref)
	}
	for _, s := range []string{"http://u:p@[::1]:8080/a/../b?q#f", "HTTPS://EXAMPLE.com:443", "ws://h/\u00e9", "file:///x", "mailto:x@y", "http://a@b@c"} {
		f.Add(s)
	}
	base, _ := ParseURL("http://a/b/c/d;p?q")
	f.Fuzz(func(t *testing.T, s string) {
		check := func(what string, u URL, err error) {
			if err != nil {
				var ue *URLError
				if !errors.As(err, &ue) {
					t.Fatalf("%s %q: error %v (%T)", what, s, err, err)
				}
				return
			}
			str := u.String()
			u2, err := ParseURL(str)
			// Without an authority, a path like "//p" must print as
			// "/.//p"; then only the printed form is stable.
			if err != nil || u2.String() != str || u.Host != "" && u2 != u {
				t.Fatalf("%s %q: %#v\nprints %q, which parses to %#v, %v", what, s, u, str, u2, err)
			}
			if u.Host != "" && strings.ContainsAny(u.RequestURI(), " \r\n\x00#") {
				t.Fatalf("%s %q: request target %q", what, s, u.RequestURI())
			}
		}
		u, err := ParseURL(s)
		check("ParseURL", u, err)
		u, err = ResolveReference(base, s)
		check("ResolveReference", u, err)
	})
}
