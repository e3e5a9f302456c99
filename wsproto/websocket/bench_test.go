package websocket

import (
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/gale-io/gale/httpproto/httpserver"
	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/wsproto"
)

// echoServer echoes every message; it allocates nothing itself.
type echoServer struct{ BaseHandler }

func (echoServer) OnMessage(c *Conn, op wsproto.Opcode, data []byte) { c.WriteMessage(op, data) }

// pinger sends msg, and the next one each time the echo comes back, until
// n round trips are done.
type pinger struct {
	BaseHandler
	msg    []byte
	left   int
	done   chan struct{}
	closed chan struct{}
}

func (p *pinger) OnMessage(c *Conn, op wsproto.Opcode, data []byte) {
	p.left--
	if p.left <= 0 {
		p.done <- struct{}{}
		return
	}
	c.WriteBinary(p.msg)
}

func (p *pinger) OnClose(*Conn, *CloseError) { close(p.closed) }

// echoPair connects a gale client to a gale echo server.
func echoPair(tb testing.TB, size int, comp *wsproto.DeflateConfig) (*loop.Loop, *Conn, *pinger) {
	tb.Helper()
	opts := &httpserver.Options{}
	opts.TCP.Loops = 1
	sopts := &ServerOptions{Config: Config{Compression: comp}}
	s := httpserver.New(func(w *httpserver.ResponseWriter, r *httpserver.Request) {
		Upgrade(w, r, echoServer{}, sopts)
	}, opts)
	if err := s.Listen("127.0.0.1:0"); err != nil {
		tb.Fatal(err)
	}
	if err := s.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	l := testloop.New(tb, nil)
	stop := testloop.Start(tb, l)
	p := &pinger{msg: make([]byte, size), done: make(chan struct{}, 1), closed: make(chan struct{})}
	ch := make(chan *Conn, 1)
	l.Post(func() {
		Dial(tb.Context(), l, "ws://"+s.Addrs()[0].String()+"/", p, &DialOptions{Config: Config{Compression: comp}}, func(c *Conn, err error) {
			if err != nil {
				panic(err)
			}
			ch <- c
		})
	})
	c := <-ch
	tb.Cleanup(func() {
		l.Post(func() { c.Close(1000, "") })
		<-p.closed
		stop()
	})
	return l, c, p
}

// roundTrips runs n echo round trips and waits for them.
func roundTrips(l *loop.Loop, c *Conn, p *pinger, n int) {
	l.Post(func() {
		p.left = n
		c.WriteBinary(p.msg)
	})
	<-p.done
}

func benchEcho(b *testing.B, size int, comp *wsproto.DeflateConfig) {
	l, c, p := echoPair(b, size, comp)
	roundTrips(l, c, p, 100) // warm the pools
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	roundTrips(l, c, p, b.N)
}

func BenchmarkEcho64(b *testing.B)  { benchEcho(b, 64, nil) }
func BenchmarkEcho4K(b *testing.B)  { benchEcho(b, 4<<10, nil) }
func BenchmarkEcho64K(b *testing.B) { benchEcho(b, 64<<10, nil) }
func BenchmarkEcho4KDeflate(b *testing.B) {
	benchEcho(b, 4<<10, &wsproto.DeflateConfig{})
}

// TestEchoAllocs guards the steady state: an echo round trip (client and
// server both in this process) allocates nothing.
func TestEchoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	for _, size := range []int{64, 4 << 10, 100 << 10} {
		l, c, p := echoPair(t, size, nil)
		roundTrips(l, c, p, 100)
		const n = 200
		allocs := testing.AllocsPerRun(5, func() { roundTrips(l, c, p, n) }) / n
		t.Logf("%d bytes: %.3f allocations per round trip", size, allocs)
		if allocs > 0.1 {
			t.Errorf("%d bytes: %.3f allocations per round trip, want 0", size, allocs)
		}
	}
}

// TestIdleMemory opens many connections and measures the heap each idle
// one holds (both ends are gale here: the figure is per endpoint).
func TestIdleMemory(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("memory figures need a normal build")
	}
	const n = 1000
	opts := &httpserver.Options{}
	opts.TCP.Loops = 1
	closed := make(chan struct{}, n)
	s := httpserver.New(func(w *httpserver.ResponseWriter, r *httpserver.Request) {
		Upgrade(w, r, &HandlerFuncs{Close: func(*Conn, *CloseError) { closed <- struct{}{} }}, nil)
	}, opts)
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l := clientLoop(t)
	url := "ws://" + s.Addrs()[0].String() + "/"
	cclosed := make(chan struct{}, n)
	h := &HandlerFuncs{Close: func(*Conn, *CloseError) { cclosed <- struct{}{} }}
	dial := func() *Conn {
		c, err := dialSync(t, l, url, h, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for range 50 {
		c := dial() // warm up the pools and the loops' tables
		onLoop(t, l, func() { c.Close(1000, "") })
		<-closed
		<-cclosed
	}
	heap := func() uint64 {
		var ms runtime.MemStats
		for range 3 {
			runtime.GC()
		}
		time.Sleep(10 * time.Millisecond)
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapInuse
	}
	before := heap()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	conns := make([]*Conn, n)
	for i := range conns {
		conns[i] = dial()
	}
	runtime.ReadMemStats(&ms1)
	t.Logf("allocated per connection pair while connecting: %d bytes, %d objects",
		(ms1.TotalAlloc-ms0.TotalAlloc)/n, (ms1.Mallocs-ms0.Mallocs)/n)
	after := heap()
	if f := os.Getenv("WS_HEAPPROFILE"); f != "" {
		if out, err := os.Create(f); err == nil {
			pprof.WriteHeapProfile(out)
			out.Close()
		}
	}
	perPair := float64(after-before) / n
	t.Logf("heap in use per idle connection: %.0f bytes per pair, %.0f per endpoint", perPair, perPair/2)
	if perPair/2 > 1024 {
		t.Errorf("%.0f bytes per idle endpoint, want about 1 KiB", perPair/2)
	}
	onLoop(t, l, func() {
		for _, c := range conns {
			c.Close(1000, "")
		}
	})
	for range n {
		<-closed
		<-cclosed
	}
	runtime.KeepAlive(conns)
}
