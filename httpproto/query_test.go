package httpproto

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestQueryUnescape(t *testing.T) {
	tests := []struct {
		in, query, path string
		bad             bool
	}{
		{in: "", query: "", path: ""},
		{in: "abc", query: "abc", path: "abc"},
		{in: "a+b", query: "a b", path: "a+b"},
		{in: "a%20b", query: "a b", path: "a b"},
		{in: "%2B%2b", query: "++", path: "++"},
		{in: "%E2%82%AC", query: "\u20ac", path: "\u20ac"},
		{in: "%00%ff", query: "\x00\xff", path: "\x00\xff"},
		{in: "100%", bad: true},
		{in: "%4", bad: true},
		{in: "%zz", bad: true},
		{in: "%%41", bad: true},
		{in: "a%2", bad: true},
		{in: "%g0", bad: true},
		{in: "%0g", bad: true},
	}
	for _, tt := range tests {
		q, qerr := QueryUnescape(tt.in)
		p, perr := PathUnescape(tt.in)
		if tt.bad {
			for _, err := range []error{qerr, perr} {
				var fe *FormError
				if !errors.As(err, &fe) || !errors.Is(err, ErrFormBadEscape) || fe.Status() != 400 || fe.Local() {
					t.Errorf("%q: error %v, want ErrFormBadEscape (400)", tt.in, err)
				}
			}
			continue
		}
		if qerr != nil || perr != nil || q != tt.query || p != tt.path {
			t.Errorf("%q: QueryUnescape %q, %v; PathUnescape %q, %v; want %q, %q", tt.in, q, qerr, p, perr, tt.query, tt.path)
		}
	}
}

func TestEscape(t *testing.T) {
	tests := []struct{ in, query, path string }{
		{"", "", ""},
		{"azAZ09-._~", "azAZ09-._~", "azAZ09-._~"},
		{"a b", "a+b", "a%20b"},
		{"a+b&c=d", "a%2Bb%26c%3Dd", "a+b&c=d"},
		{"/?#%", "%2F%3F%23%25", "%2F%3F%23%25"},
		{":@!$'()*,;", "%3A%40%21%24%27%28%29%2A%2C%3B", ":@!$'()*,;"},
		{"\u20ac\x00\x7f", "%E2%82%AC%00%7F", "%E2%82%AC%00%7F"},
	}
	for _, tt := range tests {
		if got := QueryEscape(tt.in); got != tt.query {
			t.Errorf("QueryEscape(%q) = %q, want %q", tt.in, got, tt.query)
		}
		if got := PathEscape(tt.in); got != tt.path {
			t.Errorf("PathEscape(%q) = %q, want %q", tt.in, got, tt.path)
		}
		if back, err := QueryUnescape(tt.query); err != nil || back != tt.in {
			t.Errorf("QueryUnescape(QueryEscape(%q)) = %q, %v", tt.in, back, err)
		}
		if back, err := PathUnescape(tt.path); err != nil || back != tt.in {
			t.Errorf("PathUnescape(PathEscape(%q)) = %q, %v", tt.in, back, err)
		}
	}
	// Every byte survives both round trips.
	var all strings.Builder
	for c := range 256 {
		all.WriteByte(byte(c))
	}
	if back, _ := QueryUnescape(QueryEscape(all.String())); back != all.String() {
		t.Error("QueryEscape round trip of all bytes failed")
	}
	if back, _ := PathUnescape(PathEscape(all.String())); back != all.String() {
		t.Error("PathEscape round trip of all bytes failed")
	}
}

func TestSplitTarget(t *testing.T) {
	tests := []struct{ in, path, query string }{
		{"/", "/", ""},
		{"/a/b?x=1&y", "/a/b", "x=1&y"},
		{"/a?", "/a", ""},
		{"/a?b?c", "/a", "b?c"},
		{"*", "*", ""},
		{"?q", "", "q"},
	}
	for _, tt := range tests {
		p, q := SplitTarget([]byte(tt.in))
		if string(p) != tt.path || string(q) != tt.query {
			t.Errorf("SplitTarget(%q) = %q, %q; want %q, %q", tt.in, p, q, tt.path, tt.query)
		}
	}
}

// pairs returns a's pairs as strings.
func pairs(a *Args) [][2]string {
	var out [][2]string
	for n, v := range a.All() {
		out = append(out, [2]string{string(n), string(v)})
	}
	return out
}

func TestParseQuery(t *testing.T) {
	tests := []struct {
		in   string
		want [][2]string
		err  error
	}{
		{in: ""},
		{in: "&&&"},
		{in: "a=1", want: [][2]string{{"a", "1"}}},
		{in: "a=1&b=2&a=3", want: [][2]string{{"a", "1"}, {"b", "2"}, {"a", "3"}}},
		{in: "a&b=&=c&==", want: [][2]string{{"a", ""}, {"b", ""}, {"", "c"}, {"", "="}}},
		{in: "&a=1&&b=2&", want: [][2]string{{"a", "1"}, {"b", "2"}}},
		{in: "a=1;b=2", want: [][2]string{{"a", "1;b=2"}}},
		{in: "na+me=va+lue%21&%C3%A9=%E2%82%AC", want: [][2]string{{"na me", "va lue!"}, {"\u00e9", "\u20ac"}}},
		{in: "x=a=b", want: [][2]string{{"x", "a=b"}}},
		{in: "a=%26%3D%2B", want: [][2]string{{"a", "&=+"}}},
		{in: "a=%", err: ErrFormBadEscape},
		{in: "a=1&b%zz=2", err: ErrFormBadEscape},
		{in: "a=%E", err: ErrFormBadEscape},
	}
	for _, tt := range tests {
		var a Args
		a.Add("keep", "me")
		err := ParseQuery(&a, []byte(tt.in), nil)
		want := append([][2]string{{"keep", "me"}}, tt.want...)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("%q: error %v, want %v", tt.in, err, tt.err)
			}
			want = want[:1] // rolled back
		} else if err != nil {
			t.Errorf("%q: %v", tt.in, err)
		}
		if got := pairs(&a); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: pairs %q, want %q", tt.in, got, want)
		}
	}
}

func TestParseQueryLimits(t *testing.T) {
	q := []byte(strings.Repeat("a=1&", 1000))
	var a Args
	if err := ParseQuery(&a, q, nil); err != nil || a.Len() != 1000 {
		t.Fatalf("1000 pairs: %v, %d", err, a.Len())
	}
	a.Reset()
	err := ParseQuery(&a, append(q, 'b'), nil)
	var fe *FormError
	if !errors.As(err, &fe) || fe.Code != FormTooManyFields || fe.Status() != 413 || a.Len() != 0 {
		t.Fatalf("1001 pairs: %v, %d pairs kept", err, a.Len())
	}
	if err := ParseQuery(&a, append(q, 'b'), &FormLimits{MaxFields: -1}); err != nil || a.Len() != 1001 {
		t.Fatalf("unlimited: %v, %d", err, a.Len())
	}
	a.Reset()
	if err := ParseQuery(&a, []byte("a=1&b=2&c=3"), &FormLimits{MaxFields: 2}); !errors.Is(err, ErrFormTooManyFields) {
		t.Fatalf("MaxFields 2: %v", err)
	}
	if err := ParseQuery(&a, []byte("abcdef"), &FormLimits{MaxBytes: 6}); err != nil {
		t.Fatalf("MaxBytes 6, 6 bytes: %v", err)
	}
	err = ParseQuery(&a, []byte("abcdefg"), &FormLimits{MaxBytes: 6})
	if !errors.Is(err, ErrFormTooLarge) || err.(*FormError).Status() != 413 {
		t.Fatalf("MaxBytes 6, 7 bytes: %v", err)
	}
	big := make([]byte, 10<<20+1)
	if err := ParseQuery(&a, big, nil); !errors.Is(err, ErrFormTooLarge) {
		t.Fatalf("default MaxBytes: %v", err)
	}
}

func TestArgs(t *testing.T) {
	var a Args
	a.Add("a", "1")
	a.AddBytes([]byte("b"), []byte("2"))
	a.Add("a", "3")
	a.Add("c", "")
	if a.Len() != 4 || a.Get("a") != "1" || a.Get("missing") != "" || !a.Has("c") || a.Has("C") {
		t.Fatalf("basic: %q", pairs(&a))
	}
	if v, ok := a.Lookup("c"); !ok || len(v) != 0 {
		t.Fatalf("Lookup(c) = %q, %v", v, ok)
	}
	if _, ok := a.Lookup("d"); ok {
		t.Fatal("Lookup(d) found")
	}
	if got := a.GetAll("a"); !reflect.DeepEqual(got, []string{"1", "3"}) {
		t.Fatalf("GetAll = %q", got)
	}
	if n, v := a.At(1); string(n) != "b" || string(v) != "2" {
		t.Fatalf("At(1) = %q, %q", n, v)
	}
	if got := a.Encode(); got != "a=1&b=2&a=3&c=" {
		t.Fatalf("Encode = %q", got)
	}
	// Views taken before the arena grows stay valid.
	view, _ := a.Lookup("b")
	for i := range 100 {
		a.Add(strings.Repeat("x", i), strings.Repeat("y", i))
	}
	if string(view) != "2" {
		t.Fatalf("view changed to %q", view)
	}
	c := a.Clone()
	a.Set("a", "new")
	if got := a.GetAll("a"); !reflect.DeepEqual(got, []string{"new"}) {
		t.Fatalf("Set: %q", got)
	}
	if n, _ := a.At(0); string(n) != "a" {
		t.Fatal("Set moved the pair")
	}
	a.Set("z", "last")
	if n, v := a.At(a.Len() - 1); string(n) != "z" || string(v) != "last" {
		t.Fatal("Set of a new name did not append")
	}
	a.Del("a")
	a.Del("x")
	if a.Has("a") || a.Len() != 102 {
		t.Fatalf("Del: len %d", a.Len())
	}
	if c.Get("a") != "1" || c.Len() != 104 {
		t.Fatalf("Clone affected: %d", c.Len())
	}
	for range a.All() {
		break // early stop must not panic
	}
	a.Reset()
	if a.Len() != 0 || a.Encode() != "" {
		t.Fatal("Reset")
	}
	var enc Args
	enc.Add("a b", "x&y=z")
	enc.Add("\u20ac", "+")
	if got := string(enc.AppendEncoded([]byte("q?"))); got != "q?a+b=x%26y%3Dz&%E2%82%AC=%2B" {
		t.Fatalf("AppendEncoded = %q", got)
	}
}

func TestParseQueryAllocs(t *testing.T) {
	q := []byte("name=value&x=%E2%82%AC+sign&empty=&flag&a=1&b=2&c=3")
	var a Args
	n := testing.AllocsPerRun(100, func() {
		a.Reset()
		if err := ParseQuery(&a, q, nil); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Fatalf("ParseQuery with a reused Args: %v allocs, want 0", n)
	}
}

// FuzzParseQuery: ParseQuery never panics, fails only with a *FormError,
// and what it parses survives Encode and a second ParseQuery unchanged.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "a=1&b=2", "a+b=%20&&c", "%zz", "a=%", "=&=", "x=%E2%82%AC;y"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, q []byte) {
		var a Args
		err := ParseQuery(&a, q, &FormLimits{MaxFields: -1, MaxBytes: -1})
		if err != nil {
			var fe *FormError
			if !errors.As(err, &fe) || a.Len() != 0 {
				t.Fatalf("error %v (%T), %d pairs left", err, err, a.Len())
			}
			return
		}
		var b Args
		if err := ParseQuery(&b, []byte(a.Encode()), &FormLimits{MaxFields: -1, MaxBytes: -1}); err != nil {
			t.Fatalf("reparse of %q: %v", a.Encode(), err)
		}
		// Pairs with an empty name and value encode as "=", which parses
		// back as that pair; so the lists match exactly.
		if !reflect.DeepEqual(pairs(&a), pairs(&b)) {
			t.Fatalf("round trip: %q != %q", pairs(&a), pairs(&b))
		}
	})
}

func BenchmarkParseQuery(b *testing.B) {
	q := []byte("q=gale+event+loop&lang=en&page=2&sort=%2Bdate&filter=a%26b&utm_source=news&utm_medium=email&id=12345&flag")
	var a Args
	b.SetBytes(int64(len(q)))
	b.ReportAllocs()
	for b.Loop() {
		a.Reset()
		if err := ParseQuery(&a, q, nil); err != nil {
			b.Fatal(err)
		}
	}
}
