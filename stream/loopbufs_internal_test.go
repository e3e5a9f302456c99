package stream

import (
	"testing"

	"github.com/gale-io/gale/internal/stock"
	"github.com/gale-io/gale/loop"
)

// The loop's stock of read buffers is bounded in count and in size, and
// hands out only buffers big enough for the asking stream's chunk.
func TestStockedReadBuffers(t *testing.T) {
	l, err := loop.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s := &Stream{l: l}
	if rb := s.takeStocked(1); rb != nil {
		t.Fatal("an empty stock gave a buffer")
	}
	for i := range stock.Max {
		if !s.keepStocked(&readBuf{b: make([]byte, 10, 4096), pos: 10}) {
			t.Fatalf("buffer %d was refused", i)
		}
	}
	if s.keepStocked(&readBuf{b: make([]byte, 0, 4096)}) {
		t.Fatal("a full stock took another buffer")
	}
	if rb := s.takeStocked(8192); rb != nil {
		t.Fatal("a 4 KiB buffer was given for an 8 KiB chunk")
	}
	rb := s.takeStocked(4096)
	if rb == nil || len(rb.b) != 0 || rb.pos != 0 || cap(rb.b) != 4096 {
		t.Fatalf("take = %+v, want an empty 4 KiB buffer", rb)
	}
	if s.keepStocked(&readBuf{b: make([]byte, 0, 2*maxStockedBuf)}) {
		t.Fatal("the stock took a buffer over maxStockedBuf")
	}
	if n := stock.Of(l, readBufs).Len(); n != stock.Max-1 {
		t.Fatalf("stock holds %d, want %d", n, stock.Max-1)
	}
}
