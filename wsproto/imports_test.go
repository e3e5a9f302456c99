package wsproto_test

import (
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// allowedImports are the packages the codec may import: nothing that does
// I/O, reads the clock, locks or starts goroutines (STYLE.md, "Codecs are
// pure").
var allowedImports = map[string]bool{
	"bytes":           true,
	"errors":          true,
	"fmt":             true,
	"io":              true,
	"strconv":         true,
	"strings":         true,
	"unicode/utf8":    true,
	"encoding/binary": true,
	"math/bits":       true,
	"crypto/sha1":     true,
	"encoding/base64": true,
	"slices":          true,

	"github.com/klauspost/compress/flate": true,
}

func TestImports(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	files := 0
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		files++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !allowedImports[path] {
				t.Errorf("%s imports %q, which is not on the codec's allow-list", name, path)
			}
		}
	}
	if files < 5 {
		t.Fatalf("found only %d non-test files; is the test running in the package directory?", files)
	}
}
