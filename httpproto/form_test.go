package httpproto

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseMediaType(t *testing.T) {
	tests := []struct {
		in     string
		typ    string
		params []MediaParam
		bad    bool
	}{
		{in: "text/html", typ: "text/html"},
		{in: "  Text/HTML  ", typ: "text/html"},
		{in: "text/html; charset=UTF-8", typ: "text/html", params: []MediaParam{{"charset", "UTF-8"}}},
		{in: "text/html;charset=utf-8;", typ: "text/html", params: []MediaParam{{"charset", "utf-8"}}},
		{in: "text/html ;\tCharset = \"utf-8\" ; ; q=1", typ: "text/html", params: []MediaParam{{"charset", "utf-8"}, {"q", "1"}}},
		{in: `multipart/form-data; boundary="a b;c=d\"e\\f\g"`, typ: "multipart/form-data", params: []MediaParam{{"boundary", `a b;c=d"e\f\g`}}},
		{in: `a/b; x=""`, typ: "a/b", params: []MediaParam{{"x", ""}}},
		{in: "a/b; x=\"\u00e9\"", typ: "a/b", params: []MediaParam{{"x", "\u00e9"}}},
		{in: "", bad: true},
		{in: "text", bad: true},
		{in: "text/", bad: true},
		{in: "/html", bad: true},
		{in: "text /html", bad: true},
		{in: "text/html charset=utf-8", bad: true},
		{in: "text/html; charset", bad: true},
		{in: "text/html; charset=", bad: true},
		{in: "text/html; =utf-8", bad: true},
		{in: "text/html; charset=\"utf-8", bad: true},
		{in: "text/html; charset=\"utf-8\\\"", bad: true},
		{in: "text/html; charset=utf 8", bad: true},
		{in: "text/html; a=\"x\x01\"", bad: true},
		{in: "text/html; a=\"x\x7f\"", bad: true},
		{in: "text/html; a=1; A=2", bad: true},
		{in: "text/html; a=1 b", bad: true},
	}
	for _, tt := range tests {
		m, err := ParseMediaType([]byte(tt.in))
		if tt.bad {
			if !errors.Is(err, ErrFormBadMediaType) {
				t.Errorf("%q: %+v, %v; want ErrFormBadMediaType", tt.in, m, err)
			}
			continue
		}
		if err != nil || m.Type != tt.typ || !reflect.DeepEqual(m.Params, tt.params) {
			t.Errorf("%q: %+v, %v; want %q %q", tt.in, m, err, tt.typ, tt.params)
		}
	}
	m, _ := ParseMediaType([]byte("a/b; Charset=x; q=1"))
	if v, ok := m.Param("CHARSET"); !ok || v != "x" {
		t.Errorf("Param(CHARSET) = %q, %v", v, ok)
	}
	if _, ok := m.Param("missing"); ok {
		t.Error("Param(missing) found")
	}
	many := "a/b"
	for i := range 64 {
		many += "; p" + string(rune('a'+i/26)) + string(rune('a'+i%26)) + "=1"
	}
	if m, err := ParseMediaType([]byte(many)); err != nil || len(m.Params) != 64 {
		t.Errorf("64 parameters: %v", err)
	}
	if _, err := ParseMediaType([]byte(many + "; zz=1")); !errors.Is(err, ErrFormBadMediaType) {
		t.Errorf("65 parameters: %v", err)
	}
}

// TestParseMediaTypeLinear: CVE-2025-67726 was a quadratic parameter
// parser; 1 MiB values of quotes and semicolons must parse at once (a
// quadratic parser would take hours and time the test out).
func TestParseMediaTypeLinear(t *testing.T) {
	for _, v := range []string{
		"a/b; x=\"" + strings.Repeat(`\";`, 1<<19) + "\"",
		"a/b" + strings.Repeat(";", 1<<20),
		"a/b" + strings.Repeat(" ; ", 1<<18) + "; x",
	} {
		_, _ = ParseMediaType([]byte(v))
		ct := []byte("multipart/form-data" + v[3:])
		_ = ParseBodyArguments(ct, nil, nil, nil, nil)
	}
}

func TestParseBodyArguments(t *testing.T) {
	mp := "--b\r\n" + cd + "name=a\r\n\r\n1\r\n--b\r\n" + cd + "name=f; filename=x.txt\r\n\r\nX\r\n--b--\r\n"
	tests := []struct {
		ct, body string
		args     [][2]string
		files    int
		err      error
	}{
		{ct: "application/x-www-form-urlencoded", body: "a=1&b=x+y", args: [][2]string{{"a", "1"}, {"b", "x y"}}},
		{ct: "Application/X-WWW-Form-Urlencoded; charset=UTF-8", body: "a=%E2%82%AC", args: [][2]string{{"a", "\u20ac"}}},
		{ct: "application/x-www-form-urlencoded; charset", body: "a=1", err: ErrFormBadMediaType},
		{ct: "application/x-www-form-urlencoded", body: "a=%", err: ErrFormBadEscape},
		{ct: "multipart/form-data; boundary=b", body: mp, args: [][2]string{{"a", "1"}}, files: 1},
		{ct: "MULTIPART/FORM-DATA; charset=utf-8; boundary=\"b\"", body: mp, args: [][2]string{{"a", "1"}}, files: 1},
		{ct: "multipart/form-data", body: mp, err: ErrFormBadBoundary},
		{ct: "multipart/form-data; boundary=", body: mp, err: ErrFormBadMediaType},
		{ct: "multipart/form-data; boundary=\"\"", body: mp, err: ErrFormBadBoundary},
		{ct: "multipart/form-data; boundary=b; boundary=c", body: mp, err: ErrFormBadBoundary},
		{ct: "multipart/form-data; boundary=c", body: mp, err: ErrFormIncomplete},
		{ct: "multipart/form-data; boundary=b", body: mp[:len(mp)-4], err: ErrFormIncomplete},
		{ct: "multipart/mixed; boundary=b", body: mp},
		{ct: "application/json", body: "{\"a\":1}"},
		{ct: "application/json; broken", body: "{}"},
		{ct: "", body: "a=1"},
		{ct: "application/x-www-form-urlencodedx", body: "a=1"},
		{ct: "text", body: "a=1"},
	}
	for _, tt := range tests {
		var a Args
		var fs Files
		err := ParseBodyArguments([]byte(tt.ct), []byte(tt.body), &a, &fs, nil)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("%q: %v, want %v", tt.ct, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(pairs(&a), tt.args) || len(fs) != tt.files {
			t.Errorf("%q: %v, args %q, %d files", tt.ct, err, pairs(&a), len(fs))
		}
	}
	if err := ParseBodyArguments([]byte("multipart/form-data; boundary=b"), []byte(mp), nil, nil, nil); err != nil {
		t.Errorf("nil args and files: %v", err)
	}
	if err := ParseBodyArguments([]byte("application/x-www-form-urlencoded"), []byte("a=1"), nil, nil, nil); err != nil {
		t.Errorf("nil args: %v", err)
	}
	lim := &FormLimits{MaxFields: 1}
	if err := ParseBodyArguments([]byte("application/x-www-form-urlencoded"), []byte("a=1&b=2"), nil, nil, lim); !errors.Is(err, ErrFormTooManyFields) {
		t.Errorf("limits not passed on: %v", err)
	}
}

func TestParseURLEncodedForm(t *testing.T) {
	var a Args
	if err := ParseURLEncodedForm(&a, []byte("x=1&y=%21"), nil); err != nil || a.Get("y") != "!" {
		t.Fatalf("%v %q", err, pairs(&a))
	}
}
