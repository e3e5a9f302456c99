package httpproto

import (
	"math/rand/v2"
	"net/http"
	"testing"
	"time"
)

func TestAppendHTTPDateMatchesTime(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := []int64{0, 1, 86399, 86400, 784111777, 951782400 /* 2000-02-29 */, 4107542400 /* 2100-03-01 */, 253402300799}
	for range 20000 {
		cases = append(cases, r.Int64N(253402300800))
	}
	for _, u := range cases {
		want := time.Unix(u, 0).UTC().Format(http.TimeFormat)
		if got := string(AppendHTTPDate(nil, u)); got != want {
			t.Fatalf("AppendHTTPDate(%d) = %q, want %q", u, got, want)
		}
		back, ok := ParseHTTPDate([]byte(want))
		if !ok || back != u {
			t.Fatalf("ParseHTTPDate(%q) = %d, %v; want %d", want, back, ok, u)
		}
	}
}

func TestAppendHTTPDateClamps(t *testing.T) {
	if got := string(AppendHTTPDate(nil, -5)); got != "Thu, 01 Jan 1970 00:00:00 GMT" {
		t.Errorf("negative: %q", got)
	}
	if got := string(AppendHTTPDate(nil, 1<<50)); got != "Fri, 31 Dec 9999 23:59:59 GMT" {
		t.Errorf("far future: %q", got)
	}
}

func TestParseHTTPDateForms(t *testing.T) {
	const want = 784111777 // Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110 5.6.7)
	for _, in := range []string{
		"Sun, 06 Nov 1994 08:49:37 GMT",
		"Sunday, 06-Nov-94 08:49:37 GMT",
		"Sun Nov  6 08:49:37 1994",
	} {
		got, ok := ParseHTTPDate([]byte(in))
		if !ok || got != want {
			t.Errorf("ParseHTTPDate(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	if got, ok := ParseHTTPDate([]byte("Monday, 01-Jan-35 00:00:00 GMT")); !ok || time.Unix(got, 0).UTC().Year() != 2035 {
		t.Errorf("two-digit year 35: %d %v", got, ok)
	}
	for _, in := range []string{
		"", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 31 Feb 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 24:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun Nov  6 08:49:37 19x4",
		"Sun, 06 Nov 1994 08:49:37 GMTX", "Sun, 06 Nov 1969 08:49:37 GMT",
	} {
		if got, ok := ParseHTTPDate([]byte(in)); ok {
			t.Errorf("ParseHTTPDate(%q) = %d, accepted", in, got)
		}
	}
}

func TestAppendHTTPDateAllocs(t *testing.T) {
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() { buf = AppendHTTPDate(buf[:0], 1_700_000_000) }); n != 0 {
		t.Errorf("AppendHTTPDate allocates %v times", n)
	}
}
