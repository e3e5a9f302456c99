package websocket

import (
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/gale-io/gale/wsproto"
)

func TestCompressionShapesShared(t *testing.T) {
	p := wsproto.DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}
	a := newCompression(wsproto.Server, p, &wsproto.DeflateConfig{Level: 3})
	b := newCompression(wsproto.Server, p, &wsproto.DeflateConfig{Level: 3}) // equal value, another address
	if a == b || a.compressionShape != b.compressionShape {
		t.Fatal("connections agreeing alike do not share one shape")
	}
	if a.deflPool == nil || a.inflPool != nil {
		t.Fatalf("server_no_context_takeover: deflate pool %p, inflate pool %p", a.deflPool, a.inflPool)
	}
	for _, other := range []*compression{
		newCompression(wsproto.Client, p, &wsproto.DeflateConfig{Level: 3}),
		newCompression(wsproto.Server, p, &wsproto.DeflateConfig{Level: 4}),
		newCompression(wsproto.Server, p, nil),
		newCompression(wsproto.Server, wsproto.DeflateParams{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}, &wsproto.DeflateConfig{Level: 3}),
	} {
		if other.compressionShape == a.compressionShape {
			t.Fatalf("%+v shares a shape it should not", *other.compressionShape)
		}
	}
	cfg := &wsproto.DeflateConfig{Level: 5}
	c := newCompression(wsproto.Server, p, cfg)
	cfg.Level = 9 // the program changing its config later does not reach existing shapes
	if c.cfg.Level != 5 {
		t.Fatalf("shape's config level %d, want the copy's 5", c.cfg.Level)
	}
	if n := testing.AllocsPerRun(100, func() { shapeFor(wsproto.Server, p, cfg) }); n != 0 && !raceEnabled {
		t.Fatalf("looking up a shape allocates %v times", n)
	}
}

// A compressed connection keeps its Deflater and Inflater while idle
// (context takeover), at about 630 KiB and 100 KiB; one big message must
// not leave its size held as well (the Inflater kept its compressed input
// at the biggest message's capacity).
func TestIdleCompressedConnAfterBigMessage(t *testing.T) {
	got := make(chan int, 1)
	closed := make(chan struct{}, 1)
	addr := startServer(t, &ServerOptions{Config: Config{Compression: &wsproto.DeflateConfig{}}}, func() Handler {
		return &HandlerFuncs{
			Message: func(c *Conn, op wsproto.Opcode, data []byte) { got <- len(data) },
			Close:   func(*Conn, *CloseError) { closed <- struct{}{} },
		}
	})
	l := clientLoop(t)
	cclosed := make(chan struct{}, 1)
	c, err := dialSync(t, l, "ws://"+addr+"/", &HandlerFuncs{Close: func(*Conn, *CloseError) { cclosed <- struct{}{} }},
		&DialOptions{Config: Config{Compression: &wsproto.DeflateConfig{}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Compression(); !ok {
		t.Fatal("no compression agreed")
	}
	const size = 8 << 20
	msg := make([]byte, size)
	for i := range msg {
		msg[i] = byte(rand.Uint32()) // incompressible: ~8 MiB on the wire
	}
	onLoop(t, l, func() {
		if err := c.WriteBinary(msg); err != nil {
			t.Error(err)
		}
	})
	select {
	case n := <-got:
		if n != size {
			t.Fatalf("got %d bytes", n)
		}
	case <-time.After(testTimeout):
		t.Fatal("no message")
	}
	msg = nil
	idle := liveHeap() // the connection is open and idle
	onLoop(t, l, func() { c.Close(1000, "") })
	<-closed
	<-cclosed
	held := int64(idle) - int64(liveHeap())
	t.Logf("an idle compressed connection pair holds %d KiB", held>>10)
	// The client's Deflater (about 630 KiB), the server's Inflater (about
	// 100 KiB) and change; not the message's size.
	if held > 2<<20 {
		t.Errorf("an idle compressed connection pair holds %d KiB after one %d MiB message; want its Deflater and Inflater, under 1 MiB", held>>10, size>>20)
	}
	runtime.KeepAlive(c)
}

// liveHeap returns the bytes in use by the heap once collected, the
// loops' frees (a closed connection's) done.
func liveHeap() uint64 {
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}
