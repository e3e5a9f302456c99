package wsproto_test

import (
	"bytes"
	"compress/flate"
	"errors"
	"math"
	"runtime"
	"testing"

	"github.com/gale-io/gale/wsproto"
)

// DeflateConfig accepts any positive MaxDecompressedSize, math.MaxInt
// included (no practical limit): inflating under it works, rather than
// overflowing the room computed from the limit and panicking on the first
// compressed message a peer sends.
func TestInflaterLimitMaxInt(t *testing.T) {
	msg := bytes.Repeat([]byte("hello "), 1000)
	d := wsproto.NewDeflater(wsproto.Client, wsproto.DeflateParams{}, nil)
	p := d.Compress(nil, msg)
	for _, max := range []int{math.MaxInt, math.MaxInt - 1, len(msg), len(msg) - 1} {
		f := wsproto.NewInflater(wsproto.Server, wsproto.DeflateParams{}, &wsproto.DeflateConfig{MaxDecompressedSize: max})
		out, err := func() (out []byte, err error) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("max %d: Inflate panicked: %v", max, r)
				}
			}()
			return f.Inflate([]byte("x"), p, true)
		}()
		switch {
		case max >= len(msg) && (err != nil || !bytes.Equal(out[1:], msg)):
			t.Errorf("max %d: %d bytes, %v", max, len(out), err)
		case max < len(msg) && !errors.Is(err, wsproto.ErrTooBig):
			t.Errorf("max %d: %v, want ErrTooBig", max, err)
		}
	}
}

// A bomb (64 MiB of zeros in about 64 KiB) against a 1 MiB limit stops at
// the limit: inflating it allocates a few MiB (the output up to the limit,
// the copy of the input), never anything near its full size; growing the
// output by doubling keeps it under four times the limit.
func TestInflaterBombMemory(t *testing.T) {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestSpeed)
	zeros := make([]byte, 1<<20)
	for i := 0; i < 64; i++ {
		w.Write(zeros)
	}
	w.Flush()
	bomb := bytes.TrimSuffix(buf.Bytes(), []byte{0, 0, 0xff, 0xff})
	const limit = 1 << 20
	f := wsproto.NewInflater(wsproto.Server, wsproto.DeflateParams{}, &wsproto.DeflateConfig{MaxDecompressedSize: limit})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	out, err := f.Inflate(nil, bomb, true)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, wsproto.ErrTooBig) || out != nil {
		t.Fatalf("bomb of %d bytes: %d bytes out, %v; want ErrTooBig", len(bomb), len(out), err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4*limit {
		t.Errorf("inflating a bomb against a limit of %d bytes allocated %d bytes", limit, alloc)
	} else {
		t.Logf("bomb of %d bytes: %d KiB allocated", len(bomb), alloc>>10)
	}
}
