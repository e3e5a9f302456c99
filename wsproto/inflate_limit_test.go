package wsproto_test

import (
	"bytes"
	"errors"
	"math"
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
