package wsproto_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gale-io/gale/wsproto"
)

// maskBytewise is the obvious byte-at-a-time masking: the reference the
// word-at-a-time Mask is checked and benchmarked against.
func maskBytewise(key [4]byte, pos int, b []byte) int {
	for i := range b {
		b[i] ^= key[(pos+i)&3]
	}
	return (pos + len(b)) & 3
}

func TestMask(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	for n := 0; n < 200; n++ {
		for pos := 0; pos < 8; pos++ {
			src := make([]byte, n+2)
			fill(rng, src)
			got, want := bytes.Clone(src), bytes.Clone(src)
			// Mask the middle only: the guard bytes must not move.
			gp := wsproto.Mask(key, pos, got[1:n+1])
			wp := maskBytewise(key, pos, want[1:n+1])
			if gp != wp || !bytes.Equal(got, want) {
				t.Fatalf("n=%d pos=%d: Mask gives pos %d % x, want pos %d % x", n, pos, gp, got, wp, want)
			}
		}
	}
}

// Masking in pieces equals masking at once, and twice restores the input.
func TestMaskPieces(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 2000; i++ {
		src := make([]byte, rng.IntN(300))
		fill(rng, src)
		var key [4]byte
		fill(rng, key[:])
		whole := bytes.Clone(src)
		wsproto.Mask(key, 0, whole)
		pieces := bytes.Clone(src)
		pos := 0
		for rest := pieces; len(rest) > 0; {
			k := rng.IntN(len(rest) + 1)
			pos = wsproto.Mask(key, pos, rest[:k])
			rest = rest[k:]
		}
		if !bytes.Equal(whole, pieces) {
			t.Fatalf("pieces differ from whole for %d bytes", len(src))
		}
		wsproto.Mask(key, 0, whole)
		if !bytes.Equal(whole, src) {
			t.Fatal("masking twice did not restore the input")
		}
	}
}

var maskSizes = []int{16, 125, 4 << 10, 64 << 10}

func BenchmarkMask(b *testing.B) {
	key := [4]byte{1, 2, 3, 4}
	for _, n := range maskSizes {
		buf := make([]byte, n)
		b.Run(fmt.Sprintf("word/%d", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			pos := 0
			for b.Loop() {
				pos = wsproto.Mask(key, pos, buf)
			}
		})
		b.Run(fmt.Sprintf("bytewise/%d", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			pos := 0
			for b.Loop() {
				pos = maskBytewise(key, pos, buf)
			}
		})
	}
}

// Every length 0-64 (the word loops and the tail in every combination), at
// every starting alignment of the slice within a word, every key offset,
// and keys whose bytes differ in every bit: the word-at-a-time Mask equals
// the byte-at-a-time reference and touches no byte outside its slice.
func TestMaskAlignments(t *testing.T) {
	keys := [][4]byte{{0x12, 0x34, 0x56, 0x78}, {0xff, 0x00, 0xa5, 0x5a}, {0x01, 0x80, 0x7f, 0xfe}}
	base := make([]byte, 64+8+8)
	fill(rand.New(rand.NewPCG(9, 10)), base)
	for _, key := range keys {
		for n := 0; n <= 64; n++ {
			for align := 0; align < 8; align++ {
				for pos := 0; pos < 4; pos++ {
					got, want := bytes.Clone(base), bytes.Clone(base)
					gp := wsproto.Mask(key, pos, got[align:align+n])
					wp := maskBytewise(key, pos, want[align:align+n])
					if gp != wp || !bytes.Equal(got, want) {
						t.Fatalf("key % x n=%d align=%d pos=%d: Mask gives pos %d\n% x\nwant pos %d\n% x", key, n, align, pos, gp, got, wp, want)
					}
				}
			}
		}
	}
}
