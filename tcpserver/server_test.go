package tcpserver_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gale-io/gale/internal/leakcheck"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpserver"
)

func TestMain(m *testing.M) { os.Exit(leakcheck.Main(m)) }

// echo serves a connection by writing back every byte.
func echo(s *stream.Stream) {
	s.ReadStream(func(chunk []byte, err error) {
		if err == nil {
			s.Write(chunk, nil)
		}
	})
}

func start(t *testing.T, h tcpserver.Handler, opts *tcpserver.Options) (*tcpserver.Server, string) {
	t.Helper()
	srv := tcpserver.New(h, opts)
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, srv.Addrs()[0].String()
}

func roundTrip(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != msg {
		t.Fatalf("echo: %q, %v", buf, err)
	}
}

func TestEchoManyConnectionsAcrossLoops(t *testing.T) {
	var mu sync.Mutex
	perLoop := map[*loop.Loop]int{}
	srv, addr := start(t, func(s *stream.Stream) {
		mu.Lock()
		perLoop[s.Loop()]++
		mu.Unlock()
		echo(s)
	}, &tcpserver.Options{Loops: 4})
	const conns = 200
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			r := bufio.NewReader(c)
			for j := range 10 {
				msg := fmt.Sprintf("conn %d message %d\n", i, j)
				c.Write([]byte(msg))
				line, err := r.ReadString('\n')
				if err != nil || line != msg {
					errs <- fmt.Errorf("conn %d: %q, %v", i, line, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if st := srv.Stats(); st.Accepted != conns {
		t.Fatalf("accepted %d, want %d", st.Accepted, conns)
	}
	// Round robin: every loop got exactly a quarter.
	mu.Lock()
	defer mu.Unlock()
	if len(perLoop) != 4 {
		t.Fatalf("connections landed on %d loops, want 4", len(perLoop))
	}
	for _, n := range perLoop {
		if n != conns/4 {
			t.Fatalf("uneven round robin: %v", perLoop)
		}
	}
}

func TestReusePortSpreadsConnections(t *testing.T) {
	var mu sync.Mutex
	perLoop := map[*loop.Loop]int{}
	srv := tcpserver.New(func(s *stream.Stream) {
		mu.Lock()
		perLoop[s.Loop()]++
		mu.Unlock()
		echo(s)
	}, &tcpserver.Options{Loops: 4, ReusePort: true})
	if err := srv.Listen("127.0.0.1:0"); errors.Is(err, errors.ErrUnsupported) {
		t.Skipf("this platform has no SO_REUSEPORT (%v); the default round robin serves it", err)
	} else if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	addr := srv.Addrs()[0].String()
	const conns = 400
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		roundTrip(t, c, fmt.Sprint(i))
		c.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	// The kernel hashes connections onto the sockets: expect every loop
	// to get some, not an exact share.
	if len(perLoop) != 4 {
		t.Fatalf("connections landed on %d of 4 loops: %v", len(perLoop), perLoop)
	}
	var counts []int
	for _, n := range perLoop {
		counts = append(counts, n)
	}
	t.Logf("SO_REUSEPORT spread of %d connections over 4 loops: %v", conns, counts)
}

func TestMaxConns(t *testing.T) {
	srv, addr := start(t, echo, &tcpserver.Options{Loops: 1, MaxConns: 2})
	var open []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		roundTrip(t, c, "x")
		open = append(open, c)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("a third connection was served past MaxConns")
	}
	if st := srv.Stats(); st.Rejected != 1 || st.Open != 2 {
		t.Fatalf("stats %+v, want 1 rejected and 2 open", st)
	}
	// Closing one makes room again.
	open[0].Close()
	deadline := time.Now().Add(10 * time.Second)
	for srv.Stats().Open != 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // waiting for the server's own count
	}
	c2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	roundTrip(t, c2, "again")
}

func TestGracefulShutdownWaitsForHandlers(t *testing.T) {
	srv, addr := start(t, echo, &tcpserver.Options{Loops: 2})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, "before")
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(context.Background()) }()
	// New connections are refused once the listener is closed.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c2, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c2.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting during shutdown")
		}
		time.Sleep(time.Millisecond) // waiting for the listener to close
	}
	// The open connection still works until the client closes it.
	roundTrip(t, c, "during")
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) with a connection open", err)
	default:
	}
	c.Close()
	select {
	case err := <-shut:
		if err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown did not return after the last connection closed")
	}
}

func TestShutdownForcesAtDeadline(t *testing.T) {
	var closedCount atomic.Int32
	srv, addr := start(t, func(s *stream.Stream) {
		s.SetCloseCallback(func(error) { closedCount.Add(1) })
		echo(s)
	}, &tcpserver.Options{Loops: 2})
	var conns []net.Conn
	for range 4 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		roundTrip(t, c, "hi")
		conns = append(conns, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v, want DeadlineExceeded", err)
	}
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("client read after forced shutdown: %v, want EOF", err)
		}
	}
	if st := srv.Stats(); st.Open != 0 {
		t.Fatalf("%d connections still counted open", st.Open)
	}
}

func netDial(addr string) (net.Conn, error) { return net.Dial("tcp", addr) }

// TestShutdownStreamHandler: without Options.OnShutdown, a stream's own
// shutdown handler ends it: here it says goodbye and closes.
func TestShutdownStreamHandler(t *testing.T) {
	srv, addr := start(t, func(s *stream.Stream) {
		s.SetShutdownHandler(func() {
			s.Write([]byte("bye\n"), func(error) { s.Close() })
		})
		echo(s)
	}, &tcpserver.Options{Loops: 2})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	roundTrip(t, c, "hi")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if rest, err := io.ReadAll(c); err != nil || string(rest) != "bye\n" {
		t.Fatalf("after Shutdown the client read %q, %v; want the handler's goodbye, then EOF", rest, err)
	}
}

func TestShutdownHookClosesIdleConnections(t *testing.T) {
	srv, addr := start(t, echo, &tcpserver.Options{Loops: 2, OnShutdown: func(s *stream.Stream) {
		if !s.Writing() {
			s.Close() // idle for this protocol: close at once
		}
	}})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	roundTrip(t, c, "idle soon")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with a hook that closes idle connections: %v", err)
	}
}

// A Handler may ask its server for its addresses (or loops) while Start is
// still registering listeners: Start must not hold the server's lock while
// it waits for the loop that runs the Handler. Here the only loop registers
// the first listener, then, before it runs the registration of the second,
// accepts the connection that waited in the first one's backlog: its
// Handler calls Addrs.
func TestHandlerCallsAddrsDuringStart(t *testing.T) {
	got := make(chan int, 1)
	var srv *tcpserver.Server
	srv = tcpserver.New(func(s *stream.Stream) {
		got <- len(srv.Addrs())
		s.Close()
	}, &tcpserver.Options{Loops: 1})
	for range 2 {
		if err := srv.Listen("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	c, err := net.Dial("tcp", srv.Addrs()[0].String()) // waits in the backlog
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	defer c.Close()
	started := make(chan error, 1)
	go func() { started <- srv.Start() }()
	select {
	case n := <-got:
		if n != 2 {
			t.Errorf("the Handler saw %d addresses, want 2", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the Handler's Addrs never returned: Start held the server's lock while waiting for the Handler's loop")
	}
	if err := <-started; err != nil {
		t.Errorf("Start: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}
