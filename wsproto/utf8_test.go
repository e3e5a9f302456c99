package wsproto_test

import (
	"math/rand/v2"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/gale-io/gale/wsproto"
)

// properPrefixes holds every proper prefix of the UTF-8 encoding of every
// scalar value, computed with unicode/utf8: the oracle the validator is
// checked against.
var properPrefixes = sync.OnceValue(func() map[string]bool {
	m := make(map[string]bool)
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		enc := utf8.AppendRune(nil, r)
		for k := 1; k < len(enc); k++ {
			m[string(enc[:k])] = true
		}
	}
	return m
})

// validPrefix reports whether s is the start of some valid UTF-8 string:
// valid, or valid up to a proper prefix of one encoding.
func validPrefix(s []byte) bool {
	if utf8.Valid(s) {
		return true
	}
	pp := properPrefixes()
	for k := 1; k <= 3 && k <= len(s); k++ {
		if pp[string(s[len(s)-k:])] && utf8.Valid(s[:len(s)-k]) {
			return true
		}
	}
	return false
}

// validPrefixLen returns the length of the longest prefix of s that
// validPrefix accepts.
func validPrefixLen(s []byte) int {
	k := 0
	for k < len(s) && validPrefix(s[:k+1]) {
		k++
	}
	return k
}

// checkValidator feeds seq whole, split in two everywhere and byte by
// byte, and compares with the oracle.
func checkValidator(t *testing.T, seq []byte) {
	t.Helper()
	wantPrefix, wantValid := validPrefix(seq), utf8.Valid(seq)
	var v wsproto.UTF8Validator
	if got := v.Write(seq); got != wantPrefix || v.Done() != wantValid {
		t.Fatalf("% x whole: Write %v Done %v, want %v %v", seq, got, v.Done(), wantPrefix, wantValid)
	}
	for i := 0; i <= len(seq); i++ {
		var v wsproto.UTF8Validator
		ok := v.Write(seq[:i])
		if ok != validPrefix(seq[:i]) {
			t.Fatalf("% x | % x: first Write %v", seq[:i], seq[i:], ok)
		}
		ok = v.Write(seq[i:]) && ok
		if ok != wantPrefix || v.Done() != wantValid {
			t.Fatalf("% x | % x: Write %v Done %v, want %v %v", seq[:i], seq[i:], ok, v.Done(), wantPrefix, wantValid)
		}
	}
	v.Reset()
	ok := true
	for _, c := range seq {
		ok = v.Write([]byte{c})
	}
	if ok != wantPrefix || v.Done() != wantValid {
		t.Fatalf("% x byte by byte: Write %v Done %v, want %v %v", seq, ok, v.Done(), wantPrefix, wantValid)
	}
}

// classBytes has both ends of every class of byte the UTF-8 grammar tells
// apart (Unicode table 3-7), plus a middle value for the wide ones.
var classBytes = []byte{
	0x00, 0x41, 0x7F, // ASCII
	0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, // continuation sub-ranges
	0xC0, 0xC1, // never valid
	0xC2, 0xD0, 0xDF, // 2-byte leads
	0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, // 3-byte leads
	0xF0, 0xF1, 0xF3, 0xF4, // 4-byte leads
	0xF5, 0xFF, // never valid
}

// Every sequence of 1 and 2 bytes, and every sequence of 3 and 4 bytes
// drawn from classBytes: the validator's state depends only on the class
// of each byte, so this visits every path through it.
func TestUTF8ValidatorExhaustive(t *testing.T) {
	seq := make([]byte, 4)
	for a := 0; a < 256; a++ {
		seq[0] = byte(a)
		checkValidator(t, seq[:1])
		for b := 0; b < 256; b++ {
			seq[1] = byte(b)
			checkValidator(t, seq[:2])
		}
	}
	if testing.Short() && raceEnabled {
		t.Skip("3- and 4-byte sequences skipped in -short -race mode")
	}
	for _, a := range classBytes {
		for _, b := range classBytes {
			for _, c := range classBytes {
				seq = append(seq[:0], a, b, c)
				checkValidator(t, seq)
				for _, d := range classBytes {
					checkValidator(t, append(seq, d))
				}
			}
		}
	}
}

// The eight-byte ASCII path must see a bad byte at every offset.
func TestUTF8ValidatorASCIIRuns(t *testing.T) {
	for n := 0; n < 40; n++ {
		for bad := 0; bad <= n; bad++ {
			b := []byte(pattern(n + 1))
			b[bad] = 0xFF
			var v wsproto.UTF8Validator
			if v.Write(b) {
				t.Fatalf("%d bytes, 0xFF at %d: accepted", n+1, bad)
			}
			b[bad] = 0xC3 // starts a 2-byte sequence: fine only at the end
			v.Reset()
			if got, want := v.Write(b), bad == n; got != want {
				t.Fatalf("%d bytes, 0xC3 at %d: Write %v", n+1, bad, got)
			}
		}
	}
}

// Random mixes of valid runes, invalid bytes and truncated sequences, fed in
// random pieces.
func TestUTF8ValidatorRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	runes := []rune{'a', 'é', 'ß', '€', '한', 0xFFFF, 0x10000, 0x10FFFF, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000}
	n := 20000
	if raceEnabled {
		n = 3000
	}
	for i := 0; i < n; i++ {
		var b []byte
		for k := rng.IntN(40); k > 0; k-- {
			switch rng.IntN(10) {
			case 0:
				b = append(b, byte(rng.IntN(256)))
			case 1:
				enc := utf8.AppendRune(nil, runes[rng.IntN(len(runes))])
				b = append(b, enc[:rng.IntN(len(enc))+1]...)
			case 2:
				b = append(b, pattern(rng.IntN(20))...)
			default:
				b = utf8.AppendRune(b, runes[rng.IntN(len(runes))])
			}
		}
		var v wsproto.UTF8Validator
		ok := true
		for rest := b; len(rest) > 0; {
			k := rng.IntN(len(rest) + 1)
			ok = v.Write(rest[:k]) && ok
			rest = rest[k:]
		}
		if ok != validPrefix(b) || v.Done() != utf8.Valid(b) {
			t.Fatalf("% x: Write %v Done %v, want %v %v", b, ok, v.Done(), validPrefix(b), utf8.Valid(b))
		}
	}
}

func TestUTF8ValidatorSticky(t *testing.T) {
	var v wsproto.UTF8Validator
	if !v.Done() || !v.Write(nil) {
		t.Fatal("zero value is not ready")
	}
	if v.Write([]byte{0xC0}) {
		t.Fatal("0xC0 accepted")
	}
	if v.Write([]byte("fine")) || v.Done() {
		t.Fatal("validator recovered after a failure")
	}
	v.Reset()
	if !v.Write([]byte("fine")) || !v.Done() {
		t.Fatal("Reset did not clear the failure")
	}
	if !v.Write([]byte{0xE2, 0x82}) || v.Done() {
		t.Fatal("incomplete sequence: want Write true, Done false")
	}
	if !v.Write([]byte{0xAC}) || !v.Done() {
		t.Fatal("completed sequence rejected")
	}
}
