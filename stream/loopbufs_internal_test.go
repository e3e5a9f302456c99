package stream

import "testing"

// The loop's stock of read buffers is bounded in count and in size, and
// hands out only buffers big enough for the asking stream's chunk.
func TestLoopBufsBounds(t *testing.T) {
	var c loopBufs
	if rb := c.take(1); rb != nil {
		t.Fatal("an empty stock gave a buffer")
	}
	for i := range maxLoopBufs {
		if !c.keep(&readBuf{b: make([]byte, 10, 4096), pos: 10}) {
			t.Fatalf("buffer %d was refused by a stock of %d", i, c.n)
		}
	}
	if c.keep(&readBuf{b: make([]byte, 0, 4096)}) {
		t.Fatal("a full stock took another buffer")
	}
	if rb := c.take(8192); rb != nil {
		t.Fatal("a 4 KiB buffer was given for an 8 KiB chunk")
	}
	rb := c.take(4096)
	if rb == nil || len(rb.b) != 0 || rb.pos != 0 || cap(rb.b) != 4096 {
		t.Fatalf("take = %+v, want an empty 4 KiB buffer", rb)
	}
	if c.keep(&readBuf{b: make([]byte, 0, 2*maxLoopBuf)}) {
		t.Fatal("the stock took a buffer over maxLoopBuf")
	}
	if c.n != maxLoopBufs-1 {
		t.Fatalf("stock holds %d, want %d", c.n, maxLoopBufs-1)
	}
}
