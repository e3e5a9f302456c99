package httpclient

import (
	"encoding/base64"
	"testing"

	"github.com/gale-io/gale/httpproto"
)

// The allocation-free builders give what the httpproto methods they
// stand for give.
func TestAppendersMatchURLMethods(t *testing.T) {
	for _, raw := range []string{
		"http://example.com",
		"http://example.com/",
		"http://example.com:80/a",
		"https://example.com:443/a?b=c",
		"http://example.com:8080/a/b?c=d&e#frag",
		"http://u:p@example.com:81/x?y",
		"http://[::1]:8080/v6?q",
		"https://[fe80::1]/",
		"http://h/?",
		"http://h/p#",
		"HTTP://Example.COM/Caps",
		"http://h/caf%C3%A9?x=%20",
	} {
		u, err := httpproto.ParseURL(raw)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if got := string(appendAuthority(nil, &u)); got != u.Authority() {
			t.Errorf("%s: authority %q, want %q", raw, got, u.Authority())
		}
		f := &fetch{url: u, rawURL: raw}
		if got, want := f.effectiveURL(), f.urlString(); got != want {
			t.Errorf("%s: effective URL %q, want %q", raw, got, want)
		}
		if got, want := f.requestTarget(), u.RequestURI(); got != want {
			t.Errorf("%s: request target %q, want %q", raw, got, want)
		}
	}
}

func TestAppendBasicAuth(t *testing.T) {
	for _, c := range [][2]string{{"", ""}, {"u", "p"}, {"Aladdin", "open sesame"}, {"ü", "p:w"}} {
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte(c[0]+":"+c[1]))
		dst := []byte("prefix")
		got := appendBasicAuth(dst, c[0], c[1])
		if string(got) != "prefix"+want {
			t.Errorf("%q: %q, want %q", c, got, want)
		}
		for _, b := range got[len(got):cap(got)] {
			if b != 0 {
				t.Errorf("%q: credentials left past the value", c)
				break
			}
		}
	}
}
