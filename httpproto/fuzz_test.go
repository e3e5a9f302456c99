package httpproto

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fuzz targets feed arbitrary input to a parser whole, one byte at a
// time, and split in two, with the default limits and with small ones (to
// reach every limit). The only allowed outcomes are events and *Error
// values; the driver fails on a panic, on a call that makes no progress,
// and on any difference between the ways of feeding the same input.

var fuzzSmallLimits = &Limits{
	MaxRequestLine:   48,
	MaxHeaderBytes:   256,
	MaxHeaderCount:   6,
	MaxBodySize:      96,
	MaxChunkLine:     20,
	MaxChunkExtBytes: 40,
}

func fuzzFeed(t *testing.T, response bool, methods []Method, data []byte) {
	for _, lim := range []*Limits{nil, fuzzSmallLimits} {
		whole := run(t, response, lim, methods, data)
		bytewise := make([][]byte, len(data))
		for i := range data {
			bytewise[i] = data[i : i+1]
		}
		if got := run(t, response, lim, methods, bytewise...); !got.equal(whole) {
			t.Fatalf("limits %+v: fed byte by byte:%v\nfed whole:%v", lim, got, whole)
		}
		if len(data) > 1 {
			i := 1 + int(data[len(data)/2])%(len(data)-1)
			if got := run(t, response, lim, methods, data[:i], data[i:]); !got.equal(whole) {
				t.Fatalf("limits %+v: split at %d:%v\nfed whole:%v", lim, i, got, whole)
			}
		}
	}
}

func FuzzRequestParser(f *testing.F) {
	for _, in := range requestSeeds() {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzFeed(t, false, nil, data)
	})
}

func FuzzResponseParser(f *testing.F) {
	for _, s := range responseSeeds() {
		f.Add([]byte(s.in), s.method)
	}
	f.Fuzz(func(t *testing.T, data []byte, method byte) {
		// The method answered by each response, in turn.
		m := Method(method % byte(methodCount))
		fuzzFeed(t, true, []Method{m, MethodGet, m, MethodHead}, data)
	})
}

// FuzzChunked fuzzes the body of a chunked request: chunk sizes,
// extensions, data, the trailer section and what follows it.
func FuzzChunked(f *testing.F) {
	for _, in := range chunkedSeeds() {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzFeed(t, false, nil, append([]byte(chunkedPost), data...))
	})
}

// Seeds, from the golden tables.

func requestSeeds() []string {
	var seeds []string
	for _, cases := range [][]parseCase{requestCases, smugglingCases, limitCases} {
		for _, c := range cases {
			if !c.long {
				seeds = append(seeds, c.in)
			}
		}
	}
	return seeds
}

type responseSeed struct {
	in     string
	method byte
}

func responseSeeds() []responseSeed {
	var seeds []responseSeed
	for _, cases := range [][]parseCase{responseCases, responseLimitCases} {
		for _, c := range cases {
			m := MethodGet
			if len(c.methods) > 0 {
				m = c.methods[0]
			}
			seeds = append(seeds, responseSeed{c.in, byte(m)})
		}
	}
	return seeds
}

func chunkedSeeds() []string {
	var seeds []string
	for _, cases := range [][]parseCase{requestCases, smugglingCases, limitCases} {
		for _, c := range cases {
			if body, ok := strings.CutPrefix(c.in, chunkedPost); ok && !c.long {
				seeds = append(seeds, body)
			}
		}
	}
	return seeds
}

var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/fuzz seed corpus from the golden tables")

// TestFuzzCorpus checks that testdata/fuzz holds every seed of the golden
// tables in Go's corpus format, so that `go test` runs them and `go test
// -fuzz` starts from them. Run with -update-corpus after changing a table.
func TestFuzzCorpus(t *testing.T) {
	files := map[string]map[string]string{ // target → file name → content
		"FuzzRequestParser":  {},
		"FuzzResponseParser": {},
		"FuzzChunked":        {},
	}
	for i, in := range requestSeeds() {
		files["FuzzRequestParser"][fmt.Sprintf("seed-%03d", i)] = "go test fuzz v1\n[]byte(" + quoteGo(in) + ")\n"
	}
	for i, s := range responseSeeds() {
		files["FuzzResponseParser"][fmt.Sprintf("seed-%03d", i)] = "go test fuzz v1\n[]byte(" + quoteGo(s.in) + ")\nbyte(" + fmt.Sprintf("%q", rune(s.method)) + ")\n"
	}
	for i, in := range chunkedSeeds() {
		files["FuzzChunked"][fmt.Sprintf("seed-%03d", i)] = "go test fuzz v1\n[]byte(" + quoteGo(in) + ")\n"
	}
	for target, seeds := range files {
		dir := filepath.Join("testdata", "fuzz", target)
		if *updateCorpus {
			old, _ := filepath.Glob(filepath.Join(dir, "seed-*"))
			for _, name := range old {
				if err := os.Remove(name); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		for name, content := range seeds {
			path := filepath.Join(dir, name)
			if *updateCorpus {
				if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, []byte(content)) {
				t.Fatalf("%s is missing or stale; run go test -run TestFuzzCorpus -update-corpus", path)
			}
		}
	}
}

func quoteGo(s string) string { return fmt.Sprintf("%q", s) }
