package httpproto

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// mpRun feeds the body to a MultipartReader in the given chunks, keeping
// unconsumed bytes as a stream would, and returns the events (content
// coalesced per part) and the final error. It checks the reader's
// promises on the way: progress, bounded retention, sticky errors.
func mpRun(t testing.TB, boundary string, chunks [][]byte, lim *FormLimits) ([]string, error) {
	r, err := NewMultipartReader([]byte(boundary), lim)
	if err != nil {
		return nil, err
	}
	l := lim.orDefault()
	maxKeep := l.MaxPartHeaderBytes + len(boundary) + 4
	var (
		events []string
		data   []byte
		buf    []byte
		next   int
	)
	flush := func() {
		if data != nil {
			events = append(events, "data "+strconv.Quote(string(data)))
			data = nil
		}
	}
	for {
		ev, n, err := r.Next(buf)
		if err != nil {
			if n != 0 {
				t.Fatalf("error %v with %d bytes consumed", err, n)
			}
			if _, _, err2 := r.Next(buf); err2 != err {
				t.Fatalf("error not sticky: %v then %v", err, err2)
			}
			if r.End() != err {
				t.Fatalf("End after error %v returned %v", err, r.End())
			}
			flush()
			return events, err
		}
		if n < 0 || n > len(buf) {
			t.Fatalf("consumed %d of %d", n, len(buf))
		}
		buf = buf[n:]
		switch ev.Kind {
		case MultipartNeedData:
			if l.MaxPartHeaderBytes >= 0 && len(buf) > maxKeep {
				t.Fatalf("reader keeps %d bytes unconsumed, more than %d", len(buf), maxKeep)
			}
			if next == len(chunks) {
				flush()
				return events, r.End()
			}
			// A fresh array each time, so that stale views would show.
			buf = append(append(make([]byte, 0, len(buf)+len(chunks[next])), buf...), chunks[next]...)
			next++
		case MultipartPartData:
			if len(ev.Data) == 0 {
				t.Fatal("empty PartData event")
			}
			data = append(data, ev.Data...)
		case MultipartPartBegin:
			if n == 0 || ev.Part != r.Part() {
				t.Fatalf("PartBegin consumed %d, part %p vs %p", n, ev.Part, r.Part())
			}
			flush()
			p := ev.Part
			s := "begin " + strconv.Quote(string(p.Name))
			if p.HasFilename {
				s += " file=" + strconv.Quote(string(p.Filename))
			}
			if p.ContentType != nil {
				s += " type=" + strconv.Quote(string(p.ContentType))
			}
			events = append(events, s)
		case MultipartPartEnd:
			flush()
			events = append(events, "end")
		case MultipartDone:
			flush()
			events = append(events, "done")
		}
	}
}

type mpCase struct {
	name     string
	boundary string
	body     string
	lim      *FormLimits
	want     []string
	err      error
}

const cd = "Content-Disposition: form-data; "

// nearMisses is content full of almost-delimiters for the boundary "bnd".
const nearMisses = "\r\n--bn\r\n-\r\r\n--bn--bnd\n--bnd\r--bnd\r\n-\r\n--b\r\n\r\n"

const mpSmall = "--b\r\n" + cd + "name=a\r\n\r\n1\r\n--b--"

var mpCases = []mpCase{
	{
		name:     "browser",
		boundary: "----WebKitFormBoundary7MA4YWxkTrZu0gW",
		body: "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n" +
			cd + "name=\"title\"\r\n\r\nhello\r\n" +
			"------WebKitFormBoundary7MA4YWxkTrZu0gW\r\n" +
			cd + "name=\"upload\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nline 1\r\nline 2\r\n\r\n" +
			"------WebKitFormBoundary7MA4YWxkTrZu0gW--\r\n",
		want: []string{`begin "title"`, `data "hello"`, "end",
			`begin "upload" file="a.txt" type="text/plain"`, `data "line 1\r\nline 2\r\n"`, "end", "done"},
	},
	{name: "empty form", boundary: "b", body: "--b--\r\n", want: []string{"done"}},
	{name: "empty form no CRLF", boundary: "b", body: "--b--", want: []string{"done"}},
	{
		name: "preamble and epilogue", boundary: "b",
		body: "This is the preamble. --b is not it\r\n--b\r\n" + cd + "name=a\r\n\r\nx\r\n--b--\r\nepilogue\r\n--b\r\njunk",
		want: []string{`begin "a"`, `data "x"`, "end", "done"},
	},
	{
		name: "leading CRLF", boundary: "b",
		body: "\r\n--b\r\n" + cd + "name=a\r\n\r\nx\r\n--b--",
		want: []string{`begin "a"`, `data "x"`, "end", "done"},
	},
	{
		name: "transport padding", boundary: "b",
		body: "--b \t \r\n" + cd + "name=a\r\n\r\nx\r\n--b\t\r\n" + cd + "name=b\r\n\r\n\r\n--b-- \r\n",
		want: []string{`begin "a"`, `data "x"`, "end", `begin "b"`, "end", "done"},
	},
	{
		name: "empty parts", boundary: "b",
		body: "--b\r\n" + cd + "name=a\r\n\r\n\r\n--b\r\n" + cd + "name=b; filename=\"\"\r\n\r\n\r\n--b--",
		want: []string{`begin "a"`, "end", `begin "b" file=""`, "end", "done"},
	},
	{
		name: "near misses in content", boundary: "bnd",
		body: "--bnd\r\n" + cd + "name=a\r\n\r\n" + nearMisses + "\r\n--bnd--",
		want: []string{`begin "a"`, "data " + strconv.Quote(nearMisses), "end", "done"},
	},
	{
		name: "boundary of every bchar", boundary: "0aZ'()+_,-./:=? x",
		body: "--0aZ'()+_,-./:=? x\r\n" + cd + "name=a\r\n\r\nv\r\n--0aZ'()+_,-./:=? x--",
		want: []string{`begin "a"`, `data "v"`, "end", "done"},
	},
	{
		name: "70-byte boundary", boundary: strings.Repeat("z", 70),
		body: "--" + strings.Repeat("z", 70) + "\r\n" + cd + "name=a\r\n\r\nv\r\n--" + strings.Repeat("z", 70) + "--",
		want: []string{`begin "a"`, `data "v"`, "end", "done"},
	},
	{
		name: "parameters", boundary: "b",
		body: "--b\r\ncontent-disposition:FORM-DATA;NAME=\"q\\\"uote\\\\\" ; Filename = \"C:\\dir\\f.txt\";x=y;;\r\n" +
			"X-Other:\t tabbed value \t\r\nCONTENT-TYPE: image/png\r\n\r\nPNG\r\n--b--",
		want: []string{`begin "q\"uote\\" file="C:\\dir\\f.txt" type="image/png"`, `data "PNG"`, "end", "done"},
	},
	{
		name: "UTF-8 filename", boundary: "b",
		body: "--b\r\n" + cd + "name=\"f\u00e9\"; filename=\"\u20ac rates.txt\"\r\n\r\nx\r\n--b--",
		want: []string{"begin \"f\u00e9\" file=\"\u20ac rates.txt\"", `data "x"`, "end", "done"},
	},
	{
		name: "filename* UTF-8", boundary: "b",
		body: "--b\r\n" + cd + "name=f; filename=\"fallback.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt\r\n\r\nx\r\n--b--",
		want: []string{"begin \"f\" file=\"\u20ac rates.txt\"", `data "x"`, "end", "done"},
	},
	{
		name: "filename* ISO-8859-1", boundary: "b",
		body: "--b\r\n" + cd + "name=f; filename*=iso-8859-1'en'%A3%20rates%FF.txt\r\n\r\nx\r\n--b--",
		want: []string{"begin \"f\" file=\"\u00a3 rates\u00ff.txt\"", `data "x"`, "end", "done"},
	},

	{
		// RFC 2046: body-part := MIME-part-headers [CRLF *OCTET]; the CRLF
		// after the header lines is the delimiter's.
		name: "header block then the close delimiter", boundary: "b",
		body: "--b\r\n" + cd + "name=a\r\n\r\n--b--",
		want: []string{`begin "a"`, "end", "done"},
	},
	{
		name: "header block then a delimiter", boundary: "bnd",
		body: "--bnd\r\n" + cd + "name=a\r\n\r\n--bnd \r\n" + cd + "name=c\r\n\r\n--\r\n--bnd\r\n" + cd + "name=d\r\n\r\n-\r\n--bnd--",
		want: []string{`begin "a"`, "end", `begin "c"`, `data "--"`, "end", `begin "d"`, `data "-"`, "end", "done"},
	},

	// Errors.
	{name: "content starting with the boundary", boundary: "b", body: "--b\r\n" + cd + "name=a\r\n\r\n--bX\r\n--b--", err: ErrFormBadMultipart,
		want: []string{`begin "a"`, "end"}},
	{name: "no close delimiter", boundary: "b", body: "--b\r\n" + cd + "name=a\r\n\r\nxyz", err: ErrFormIncomplete,
		want: []string{`begin "a"`, `data "xyz"`}},
	{name: "no delimiter", boundary: "b", body: "just text", err: ErrFormIncomplete},
	{name: "empty body", boundary: "b", body: "", err: ErrFormIncomplete},
	{name: "ends in headers", boundary: "b", body: "--b\r\n" + cd + "name=a\r\n", err: ErrFormIncomplete},
	{name: "ends after delimiter", boundary: "b", body: "--b\r\n" + cd + "name=a\r\n\r\nx\r\n--b", err: ErrFormIncomplete,
		want: []string{`begin "a"`, `data "x"`, "end"}},
	{name: "ends in padding", boundary: "b", body: "--b  \r", err: ErrFormIncomplete},
	{name: "boundary prefix of content", boundary: "b", body: "--b\r\n" + cd + "name=a\r\n\r\nx\r\n--bX\r\n--b--", err: ErrFormBadMultipart,
		want: []string{`begin "a"`, `data "x"`, "end"}},
	{name: "first delimiter junk", boundary: "b", body: "--bb\r\n", err: ErrFormBadMultipart},
	{name: "delimiter junk in preamble", boundary: "b", body: "pre\r\n--b x\r\n--b--", err: ErrFormBadMultipart},
	{name: "single dash", boundary: "b", body: "--b-\r\n", err: ErrFormBadMultipart},
	{name: "padding junk", boundary: "b", body: "--b x\r\n", err: ErrFormBadMultipart},
	{name: "CR without LF", boundary: "b", body: "--b\rx", err: ErrFormBadMultipart},
	{name: "bare LF after delimiter", boundary: "b", body: "--b\n" + cd + "name=a\n\nx\n--b--", err: ErrFormBadMultipart},
	{name: "no headers", boundary: "b", body: "--b\r\n\r\nx\r\n--b--", err: ErrFormBadPartHeader},
	{name: "control byte", boundary: "b", body: "--b\r\n" + cd + "name=a; filename=\"a\x01b\"\r\n\r\nx\r\n--b--", err: ErrFormBadPartHeader},
	{name: "DEL", boundary: "b", body: "--b\r\n" + cd + "name=a\x7f\r\n\r\nx\r\n--b--", err: ErrFormBadPartHeader},
	{name: "bare LF in header", boundary: "b", body: "--b\r\n" + cd + "name=a\nX-Y: z\r\n\r\nx\r\n--b--", err: ErrFormBadPartHeader},
	{name: "bare CR in header", boundary: "b", body: "--b\r\n" + cd + "name=a\rX-Y: z\r\n\r\nx\r\n--b--", err: ErrFormBadPartHeader},
	{name: "no colon", boundary: "b", body: "--b\r\n" + cd + "name=a\r\nX-Y z\r\n\r\nx\r\n--b--", err: ErrFormBadPartHeader},
	{name: "space before colon", boundary: "b", body: "--b\r\nContent-Disposition : form-data; name=a\r\n\r\nx\r\n--b--", err: ErrFormBadPartHeader},
	{name: "obs-fold", boundary: "b", body: "--b\r\n" + cd + "\r\n name=a\r\n\r\nx\r\n--b--", err: ErrFormBadPartHeader},
	{name: "no disposition", boundary: "b", body: "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--", err: ErrFormBadPartHeader},
	{name: "two dispositions", boundary: "b", body: "--b\r\n" + cd + "name=a\r\n" + cd + "name=b\r\n\r\nx\r\n--b--", err: ErrFormBadPartHeader},
	{name: "two content types", boundary: "b", body: "--b\r\n" + cd + "name=a\r\nContent-Type: a/b\r\nContent-Type: c/d\r\n\r\nx\r\n--b--", err: ErrFormBadPartHeader},
	{name: "not form-data", boundary: "b", body: "--b\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--b--", err: ErrFormBadPartHeader},
	{name: "no name", boundary: "b", body: "--b\r\nContent-Disposition: form-data; filename=a\r\n\r\nx\r\n--b--", err: ErrFormBadPartHeader},
	{name: "empty name", boundary: "b", body: "--b\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nx\r\n--b--", err: ErrFormBadPartHeader},
	{name: "repeated name", boundary: "b", body: "--b\r\n" + cd + "name=a; NAME=b\r\n\r\nx\r\n--b--", err: ErrFormBadPartHeader},
	{name: "repeated filename", boundary: "b", body: "--b\r\n" + cd + "name=a; filename=x; filename=y\r\n\r\nx\r\n--b--", err: ErrFormBadPartHeader},
	{name: "unterminated quote", boundary: "b", body: "--b\r\n" + cd + "name=\"a\r\n\r\nx\r\n--b--", err: ErrFormBadPartHeader},
	{name: "no parameter value", boundary: "b", body: "--b\r\n" + cd + "name\r\n\r\nx\r\n--b--", err: ErrFormBadPartHeader},
	{name: "filename* charset", boundary: "b", body: "--b\r\n" + cd + "name=a; filename*=koi8-r''x\r\n\r\nx\r\n--b--", err: ErrFormBadPartHeader},
	{name: "filename* not UTF-8", boundary: "b", body: "--b\r\n" + cd + "name=a; filename*=utf-8''%FF\r\n\r\nx\r\n--b--", err: ErrFormBadPartHeader},
	{name: "filename* escape", boundary: "b", body: "--b\r\n" + cd + "name=a; filename*=utf-8''%F\r\n\r\nx\r\n--b--", err: ErrFormBadPartHeader},
	{name: "filename* no quotes", boundary: "b", body: "--b\r\n" + cd + "name=a; filename*=utf-8\r\n\r\nx\r\n--b--", err: ErrFormBadPartHeader},

	// Limits.
	{
		name: "MaxParts", boundary: "b", lim: &FormLimits{MaxParts: 2},
		body: "--b\r\n" + cd + "name=a\r\n\r\n1\r\n--b\r\n" + cd + "name=b\r\n\r\n2\r\n--b\r\n" + cd + "name=c\r\n\r\n3\r\n--b--",
		want: []string{`begin "a"`, `data "1"`, "end", `begin "b"`, `data "2"`, "end"},
		err:  ErrFormTooManyParts,
	},
	{
		name: "MaxParts exact", boundary: "b", lim: &FormLimits{MaxParts: 2},
		body: "--b\r\n" + cd + "name=a\r\n\r\n1\r\n--b\r\n" + cd + "name=b\r\n\r\n2\r\n--b--",
		want: []string{`begin "a"`, `data "1"`, "end", `begin "b"`, `data "2"`, "end", "done"},
	},
	{
		name: "MaxPartHeaderBytes exact", boundary: "b", lim: &FormLimits{MaxPartHeaderBytes: len(cd) + 6 + 4},
		body: "--b\r\n" + cd + "name=a\r\n\r\n1\r\n--b--",
		want: []string{`begin "a"`, `data "1"`, "end", "done"},
	},
	{
		name: "MaxPartHeaderBytes", boundary: "b", lim: &FormLimits{MaxPartHeaderBytes: len(cd) + 6 + 3},
		body: "--b\r\n" + cd + "name=a\r\n\r\n1\r\n--b--",
		err:  ErrFormPartHeaderTooLarge,
	},
	{
		name: "MaxPartHeaderBytes with padding", boundary: "b", lim: &FormLimits{MaxPartHeaderBytes: len(cd) + 6 + 4},
		body: "--b \r\n" + cd + "name=a\r\n\r\n1\r\n--b--",
		err:  ErrFormPartHeaderTooLarge,
	},
	{
		name: "MaxPartHeaderBytes unterminated", boundary: "b", lim: &FormLimits{MaxPartHeaderBytes: 20},
		body: "--b\r\n" + cd + "name=a",
		err:  ErrFormPartHeaderTooLarge,
	},
	{
		name: "padding over limit", boundary: "b", lim: &FormLimits{MaxPartHeaderBytes: 10},
		body: "--b" + strings.Repeat(" ", 11),
		err:  ErrFormPartHeaderTooLarge,
	},
	{
		name: "MaxMultipartBytes exact", boundary: "b", lim: &FormLimits{MaxMultipartBytes: int64(len(mpSmall))},
		body: mpSmall,
		want: []string{`begin "a"`, `data "1"`, "end", "done"},
	},
	{
		name: "MaxMultipartBytes", boundary: "b", lim: &FormLimits{MaxMultipartBytes: int64(len(mpSmall))},
		body: mpSmall + "\r\n",
		want: []string{`begin "a"`, `data "1"`, "end", "done"},
		err:  ErrFormTooLarge,
	},
}

// mpSplits returns the ways every case is fed: whole, one byte at a time,
// in two pieces split at every index, and in random pieces.
func mpSplits(body []byte, rng *rand.Rand) map[string][][]byte {
	s := map[string][][]byte{"whole": {body}}
	var one [][]byte
	for i := range body {
		one = append(one, body[i:i+1])
	}
	s["bytewise"] = one
	for i := 1; i < len(body); i++ {
		s["split@"+strconv.Itoa(i)] = [][]byte{body[:i], body[i:]}
	}
	for k := range 5 {
		s["random"+strconv.Itoa(k)] = randomChunks(body, rng, 1+k*7)
	}
	return s
}

func randomChunks(body []byte, rng *rand.Rand, max int) [][]byte {
	var out [][]byte
	for len(body) > 0 {
		n := min(1+rng.IntN(max), len(body))
		out = append(out, body[:n])
		body = body[n:]
	}
	return out
}

func TestMultipartReader(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range mpCases {
		t.Run(tc.name, func(t *testing.T) {
			for how, chunks := range mpSplits([]byte(tc.body), rng) {
				got, err := mpRun(t, tc.boundary, chunks, tc.lim)
				if tc.err == nil && err != nil || tc.err != nil && !errors.Is(err, tc.err) {
					t.Fatalf("%s: error %v, want %v", how, err, tc.err)
				}
				if !reflect.DeepEqual(got, tc.want) && (len(got) > 0 || len(tc.want) > 0) {
					t.Fatalf("%s: events\n%q\nwant\n%q", how, got, tc.want)
				}
			}
			if tc.err != nil {
				return
			}
			// Bytes after the close delimiter are epilogue: ignored.
			trailing := []byte(tc.body + "\r\n--" + tc.boundary + "\r\ntrailing bytes")
			for how, chunks := range map[string][][]byte{"whole": {trailing}, "random": randomChunks(trailing, rng, 9)} {
				if got, err := mpRun(t, tc.boundary, chunks, nil); err != nil || !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("with trailing bytes, %s: %q, %v", how, got, err)
				}
			}
		})
	}
}

func TestMultipartErrorStatus(t *testing.T) {
	for _, c := range []struct {
		err    *FormError
		status int
	}{
		{ErrFormBadMultipart, 400}, {ErrFormBadPartHeader, 400}, {ErrFormIncomplete, 400}, {ErrFormBadBoundary, 400},
		{ErrFormTooManyParts, 413}, {ErrFormPartHeaderTooLarge, 413}, {ErrFormTooLarge, 413},
	} {
		if c.err.Status() != c.status || c.err.Local() {
			t.Errorf("%v: status %d", c.err, c.err.Status())
		}
	}
	err := error(formErr(FormTooManyParts, "more than 100 parts"))
	if err.Error() != "httpproto: too many multipart parts: more than 100 parts" {
		t.Errorf("Error() = %q", err)
	}
	if errors.Is(err, ErrFormTooLarge) || !errors.Is(err, ErrFormTooManyParts) {
		t.Error("Is matches by code")
	}
	if FormCode(0).String() != "FormCode(0)" || FormCode(200).Status() != 500 {
		t.Error("out of range FormCode")
	}
}

func TestMultipartBoundary(t *testing.T) {
	for _, b := range []string{"", strings.Repeat("x", 71), "ends with space ", "a\x00b", "a@b", "a\"b", "a\r\nb", "\u00e9"} {
		if _, err := NewMultipartReader([]byte(b), nil); !errors.Is(err, ErrFormBadBoundary) {
			t.Errorf("boundary %q: %v", b, err)
		}
		if err := ParseMultipartForm([]byte(b), []byte("--"+b+"--"), nil, nil, nil); !errors.Is(err, ErrFormBadBoundary) {
			t.Errorf("ParseMultipartForm boundary %q: %v", b, err)
		}
	}
	var r MultipartReader
	if err := r.Reset([]byte("bad@"), nil); err == nil {
		t.Fatal("Reset accepted a bad boundary")
	}
	if _, _, err := r.Next([]byte("--x--")); !errors.Is(err, ErrFormBadBoundary) {
		t.Fatalf("Next after failed Reset: %v", err)
	}
}

func TestMultipartDefaultLimits(t *testing.T) {
	var body bytes.Buffer
	for i := range 101 {
		fmt.Fprintf(&body, "--b\r\n%sname=f%d\r\n\r\nv\r\n", cd, i)
	}
	body.WriteString("--b--")
	if _, err := mpRun(t, "b", [][]byte{body.Bytes()}, nil); !errors.Is(err, ErrFormTooManyParts) {
		t.Fatalf("101 parts: %v", err)
	}
	var a Args
	if err := ParseMultipartForm([]byte("b"), body.Bytes(), &a, nil, &FormLimits{MaxParts: 101}); err != nil || a.Len() != 101 {
		t.Fatalf("101 parts with MaxParts 101: %v, %d", err, a.Len())
	}
	hdr := "--b\r\n" + cd + "name=a\r\nX-Pad: " + strings.Repeat("p", 10<<10) + "\r\n\r\nv\r\n--b--"
	if _, err := mpRun(t, "b", [][]byte{[]byte(hdr)}, nil); !errors.Is(err, ErrFormPartHeaderTooLarge) {
		t.Fatalf("10 KiB header: %v", err)
	}
	if _, err := mpRun(t, "b", [][]byte{[]byte(hdr)}, &FormLimits{MaxPartHeaderBytes: -1}); err != nil {
		t.Fatalf("unlimited header: %v", err)
	}
}

// TestMultipartLinear feeds bodies built to make a naive parser quadratic
// (content full of near-delimiters, a header block that never ends, huge
// preambles) in small chunks; a quadratic search would not finish.
func TestMultipartLinear(t *testing.T) {
	boundary := strings.Repeat("q", 70)
	nearMiss := "\r\n--" + boundary[:69] + "x"
	content := strings.Repeat(nearMiss, (2<<20)/len(nearMiss))
	body := "--" + boundary + "\r\n" + cd + "name=a\r\n\r\n" + content + "\r\n--" + boundary + "--"
	lim := &FormLimits{MaxMultipartBytes: -1}
	rng := rand.New(rand.NewPCG(3, 4))
	got, err := mpRun(t, boundary, randomChunks([]byte(body), rng, 100), lim)
	if err != nil || len(got) != 4 || len(got[1]) < len(content) {
		t.Fatalf("near misses: %v, %d events", err, len(got))
	}
	// A header block that never ends, offered a byte at a time.
	hdr := "--" + boundary + "\r\n" + strings.Repeat("X-A: b\r\n", (10<<10)/8)
	if _, err := mpRun(t, boundary, randomChunks([]byte(hdr), rng, 2), lim); !errors.Is(err, ErrFormPartHeaderTooLarge) {
		t.Fatalf("endless header: %v", err)
	}
	pre := strings.Repeat("\r\n-", 1<<20)
	if _, err := mpRun(t, boundary, randomChunks([]byte(pre), rng, 50), lim); !errors.Is(err, ErrFormIncomplete) {
		t.Fatalf("preamble: %v", err)
	}
}

func TestParseMultipartForm(t *testing.T) {
	body := []byte("preamble\r\n--XyZ\r\n" +
		cd + "name=\"title\"\r\n\r\nHello, world\r\n" +
		"--XyZ\r\n" + cd + "name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nfile one\r\n" +
		"--XyZ\r\n" + cd + "name=\"file\"; filename=\"b.bin\"\r\n\r\n\x00\x01\r\n" +
		"--XyZ\r\n" + cd + "name=\"empty\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n" +
		"--XyZ\r\n" + cd + "name=\"title\"\r\n\r\nsecond\r\n" +
		"--XyZ--\r\n")
	var a Args
	var fs Files
	if err := ParseMultipartForm([]byte("XyZ"), body, &a, &fs, nil); err != nil {
		t.Fatal(err)
	}
	if want := [][2]string{{"title", "Hello, world"}, {"empty", ""}, {"title", "second"}}; !reflect.DeepEqual(pairs(&a), want) {
		t.Fatalf("args %q, want %q", pairs(&a), want)
	}
	want := Files{
		{Name: "file", Filename: "a.txt", ContentType: "text/plain", Body: []byte("file one")},
		{Name: "file", Filename: "b.bin", ContentType: "application/unknown", Body: []byte("\x00\x01")},
	}
	if !reflect.DeepEqual(fs, want) {
		t.Fatalf("files %+v, want %+v", fs, want)
	}
	// Bodies are views of the input.
	if &fs[0].Body[0] != &body[bytes.Index(body, []byte("file one"))] {
		t.Fatal("file body is not a view of the input")
	}
	if f, ok := fs.Get("file"); !ok || f.Filename != "a.txt" {
		t.Fatal("Files.Get")
	}
	if _, ok := fs.Get("none"); ok || len(fs.GetAll("file")) != 2 || fs.GetAll("none") != nil {
		t.Fatal("Files.Get/GetAll")
	}
	// On error args and files are left as they were.
	bad := append(body[:len(body)-9:len(body)-9], "--XyZ\r\n\r\n"...)
	if err := ParseMultipartForm([]byte("XyZ"), bad, &a, &fs, nil); !errors.Is(err, ErrFormBadPartHeader) {
		t.Fatalf("bad body: %v", err)
	}
	if a.Len() != 3 || len(fs) != 2 {
		t.Fatalf("after error: %d args, %d files", a.Len(), len(fs))
	}
	if err := ParseMultipartForm([]byte("XyZ"), body[:len(body)-4], &a, &fs, nil); !errors.Is(err, ErrFormIncomplete) {
		t.Fatalf("truncated body: %v", err)
	}
	if a.Len() != 3 || len(fs) != 2 {
		t.Fatalf("after incomplete: %d args, %d files", a.Len(), len(fs))
	}
	if err := ParseMultipartForm([]byte("XyZ"), body, nil, nil, nil); err != nil {
		t.Fatalf("nil args and files: %v", err)
	}
}

func TestMultipartEventKindString(t *testing.T) {
	for k, want := range map[MultipartEventKind]string{
		MultipartNeedData: "NeedData", MultipartPartBegin: "PartBegin", MultipartPartData: "PartData",
		MultipartPartEnd: "PartEnd", MultipartDone: "Done", 9: "MultipartEventKind(9)",
	} {
		if k.String() != want {
			t.Errorf("%d: %q", k, k.String())
		}
	}
	if mpState(42).String() != "mpState(42)" || mpHeaders.String() != "part header" {
		t.Error("mpState.String")
	}
}

var benchBody = func() []byte {
	var b bytes.Buffer
	for i := range 8 {
		fmt.Fprintf(&b, "--------------------------d74496d66958873e\r\n%sname=\"field%d\"\r\n\r\nvalue %d\r\n", cd, i, i)
	}
	b.WriteString("--------------------------d74496d66958873e\r\n" + cd + "name=\"upload\"; filename=\"data.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n")
	b.Write(bytes.Repeat([]byte("0123456789abcdef\r\n-"), 64<<10/19))
	b.WriteString("\r\n--------------------------d74496d66958873e--\r\n")
	return b.Bytes()
}()

const benchBoundary = "------------------------d74496d66958873e"

func drainMultipart(r *MultipartReader, body []byte) error {
	for {
		ev, n, err := r.Next(body)
		if err != nil {
			return err
		}
		body = body[n:]
		if ev.Kind == MultipartNeedData {
			return r.End()
		}
	}
}

func TestMultipartReaderAllocs(t *testing.T) {
	var r MultipartReader
	n := testing.AllocsPerRun(50, func() {
		if err := r.Reset([]byte(benchBoundary), nil); err != nil {
			t.Fatal(err)
		}
		if err := drainMultipart(&r, benchBody); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Fatalf("reused MultipartReader: %v allocs per body, want 0", n)
	}
}

func BenchmarkMultipartReader(b *testing.B) {
	var r MultipartReader
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	for b.Loop() {
		_ = r.Reset([]byte(benchBoundary), nil)
		if err := drainMultipart(&r, benchBody); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMultipartReaderChunked feeds the body in 4 KiB reads, as a
// stream would.
func BenchmarkMultipartReaderChunked(b *testing.B) {
	var r MultipartReader
	base := make([]byte, 8<<10)
	var buf []byte
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	for b.Loop() {
		_ = r.Reset([]byte(benchBoundary), nil)
		buf = base[:0]
		body := benchBody
		for {
			ev, n, err := r.Next(buf)
			if err != nil {
				b.Fatal(err)
			}
			buf = buf[n:]
			if ev.Kind == MultipartNeedData {
				if len(body) == 0 {
					break
				}
				k := min(4<<10, len(body))
				buf = append(base[:copy(base, buf)], body[:k]...)
				body = body[k:]
			}
		}
		if err := r.End(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseMultipartForm(b *testing.B) {
	var a Args
	var fs Files
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	for b.Loop() {
		a.Reset()
		fs = fs[:0]
		if err := ParseMultipartForm([]byte(benchBoundary), benchBody, &a, &fs, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzMultipart: fed whole or in random chunks, a body gives the same
// events (content coalesced) and the same error; the only errors are
// *FormError, and ParseMultipartForm agrees with the reader.
func FuzzMultipart(f *testing.F) {
	for _, tc := range mpCases {
		if len(tc.boundary) <= 70 {
			f.Add(tc.boundary, []byte(tc.body), uint64(1), uint16(64))
		}
	}
	f.Fuzz(func(t *testing.T, boundary string, body []byte, seed uint64, limits uint16) {
		if validBoundary([]byte(boundary)) != nil && seed&1 == 0 {
			// Mostly explore bodies: most mutated boundaries are invalid.
			boundary = "b"
		}
		lim := &FormLimits{
			MaxParts:           int(limits&7) - 1, // -1 (none) to 6
			MaxPartHeaderBytes: int(limits>>3&63) * 4,
			MaxMultipartBytes:  int64(limits>>9) * 32,
		}
		if lim.MaxMultipartBytes == 0 {
			lim.MaxMultipartBytes = -1
		}
		whole, werr := mpRun(t, boundary, [][]byte{body}, lim)
		rng := rand.New(rand.NewPCG(seed, seed>>7))
		parts, perr := mpRun(t, boundary, randomChunks(body, rng, 1+int(seed%17)), lim)
		if werr != nil {
			var fe *FormError
			if !errors.As(werr, &fe) {
				t.Fatalf("error %v (%T) is not a *FormError", werr, werr)
			}
		}
		if !errors.Is(perr, werr) && !(perr == nil && werr == nil) {
			t.Fatalf("whole: %v; chunked: %v", werr, perr)
		}
		if errors.Is(werr, ErrFormTooLarge) {
			// Crossing MaxMultipartBytes inside content, the reader stops
			// at a different PartData event; the rest must agree.
			whole, parts = dropData(whole), dropData(parts)
		}
		if !reflect.DeepEqual(whole, parts) {
			t.Fatalf("whole:\n%q\nchunked:\n%q", whole, parts)
		}
		var a Args
		var fs Files
		err := ParseMultipartForm([]byte(boundary), body, &a, &fs, lim)
		if !errors.Is(err, werr) && !(err == nil && werr == nil) {
			t.Fatalf("ParseMultipartForm: %v; reader: %v", err, werr)
		}
		if err == nil {
			begins := 0
			for _, e := range whole {
				if strings.HasPrefix(e, "begin") {
					begins++
				}
			}
			if a.Len()+len(fs) != begins {
				t.Fatalf("%d args + %d files for %d parts", a.Len(), len(fs), begins)
			}
		}
	})
}

func dropData(events []string) []string {
	var out []string
	for _, e := range events {
		if !strings.HasPrefix(e, "data ") {
			out = append(out, e)
		}
	}
	return out
}

// A part whose header block is followed at once by the delimiter is an
// empty field (Tornado's parse_multipart_form_data, Go's mime/multipart),
// not an incomplete body.
func TestParseMultipartFormEmptyPartWithoutBlankContent(t *testing.T) {
	body := "--b\r\n" + cd + "name=a\r\n\r\n--b\r\n" + cd + "name=f; filename=\"x.txt\"\r\n\r\n--b--\r\n"
	var args Args
	var files Files
	if err := ParseMultipartForm([]byte("b"), []byte(body), &args, &files, nil); err != nil {
		t.Fatalf("ParseMultipartForm: %v", err)
	}
	if v, ok := args.Lookup("a"); !ok || len(v) != 0 || args.Len() != 1 {
		t.Errorf("args %q, want a=\"\"", args.Encode())
	}
	if f, ok := files.Get("f"); !ok || f.Filename != "x.txt" || len(f.Body) != 0 || len(files) != 1 {
		t.Errorf("files %+v, want one empty x.txt", files)
	}
}

// Part header lines may not hold control bytes (Tornado 6.5.5 refuses
// them in a filename); a percent-encoded filename* must not bring them
// back into Filename. HTAB stays allowed, as in a header line.
func TestMultipartFilenameStarControlBytes(t *testing.T) {
	for _, enc := range []string{"UTF-8''evil%0D%0AX-Injected%3A%201.txt", "utf-8''a%00.txt", "iso-8859-1''a%0A", "UTF-8''del%7F"} {
		body := "--b\r\n" + cd + "name=f; filename=\"safe.txt\"; filename*=" + enc + "\r\n\r\nx\r\n--b--\r\n"
		var args Args
		var files Files
		err := ParseMultipartForm([]byte("b"), []byte(body), &args, &files, nil)
		if !errors.Is(err, ErrFormBadPartHeader) {
			t.Errorf("filename*=%s: err %v, files %q", enc, err, files)
		}
		r, _ := NewMultipartReader([]byte("b"), nil)
		in := []byte(body)
		for {
			ev, n, err := r.Next(in)
			if err != nil {
				break
			}
			if ev.Kind == MultipartPartBegin {
				t.Errorf("filename*=%s: reader began a part with Filename %q", enc, ev.Part.Filename)
			}
			in = in[n:]
			if ev.Kind == MultipartNeedData {
				break
			}
		}
		if err := r.End(); !errors.Is(err, ErrFormBadPartHeader) {
			t.Errorf("filename*=%s: reader End %v", enc, err)
		}
	}
	body := "--b\r\n" + cd + "name=f; filename*=UTF-8''a%09b.txt\r\n\r\nx\r\n--b--\r\n"
	var files Files
	if err := ParseMultipartForm([]byte("b"), []byte(body), nil, &files, nil); err != nil || len(files) != 1 || files[0].Filename != "a\tb.txt" {
		t.Errorf("filename* with HTAB: %v %q", err, files)
	}
}

// RFC 6266 (section 4.3, appendix D) has a sender put a filename beside a
// filename* for recipients that cannot decode the latter; Go's mime
// ignores a filename* it cannot decode. A charset other than UTF-8 and
// ISO-8859-1 must not make the whole form fail when a filename is there,
// and RFC 2231's US-ASCII is decoded (as Go's mime does).
func TestMultipartFilenameStarCharsetFallback(t *testing.T) {
	for _, tc := range []struct{ params, want string }{
		{`filename="resume.pdf"; filename*=windows-1252''r%E9sum%E9.pdf`, "resume.pdf"},
		{`filename*=koi8-r''%F0; filename=plain.txt`, "plain.txt"},
		{`filename*=us-ascii'en-us'a%20b.txt`, "a b.txt"},
		{`filename="x"; filename*=US-ASCII''star.txt`, "star.txt"},
	} {
		body := "--b\r\n" + cd + "name=f; " + tc.params + "\r\n\r\nx\r\n--b--\r\n"
		var files Files
		err := ParseMultipartForm([]byte("b"), []byte(body), nil, &files, nil)
		if err != nil || len(files) != 1 || files[0].Filename != tc.want {
			t.Errorf("%s: %v %q, want Filename %q", tc.params, err, files, tc.want)
		}
	}
	// Without a fallback, and for a malformed or mis-encoded filename*,
	// the part is still refused.
	for _, params := range []string{`filename*=koi8-r''x`, `filename="a"; filename*=us-ascii''%E9`, `filename="a"; filename*=utf-8''%FF`} {
		body := "--b\r\n" + cd + "name=f; " + params + "\r\n\r\nx\r\n--b--\r\n"
		if err := ParseMultipartForm([]byte("b"), []byte(body), nil, nil, nil); !errors.Is(err, ErrFormBadPartHeader) {
			t.Errorf("%s: %v, want ErrFormBadPartHeader", params, err)
		}
	}
}
