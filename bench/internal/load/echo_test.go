package load

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// testServer serves each connection with handle on 127.0.0.1:0 until the
// test ends.
func testServer(t *testing.T, handle func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); defer c.Close(); handle(c) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// echoWith echoes through f, which may alter each chunk; pos is the
// connection's byte offset of the chunk.
func echoWith(f func(pos int, b []byte) []byte) func(net.Conn) {
	return func(c net.Conn) {
		buf := make([]byte, 4096)
		pos := 0
		for {
			n, err := c.Read(buf)
			if n > 0 {
				out := f(pos, buf[:n])
				pos += n
				if _, werr := c.Write(out); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
}

func drivers() []string {
	if DefaultDriver == DriverEpoll {
		return []string{DriverNet, DriverEpoll}
	}
	return []string{DriverNet}
}

func shortEcho(addr, driver string, pipeline int) EchoConfig {
	return EchoConfig{
		Addr: addr, Conns: 8, Size: 64, Pipeline: pipeline,
		Warmup: 50 * time.Millisecond, Duration: 300 * time.Millisecond, Drain: 500 * time.Millisecond,
		Driver: driver, Workers: 2, ServerPID: os.Getpid(),
	}
}

func TestEchoCorrectServer(t *testing.T) {
	addr := testServer(t, func(c net.Conn) { io.Copy(c, c) })
	for _, driver := range drivers() {
		for _, pipeline := range []int{1, 4} {
			res, err := RunEcho(context.Background(), shortEcho(addr, driver, pipeline))
			if err != nil {
				t.Fatalf("%s, pipeline %d: %v", driver, pipeline, err)
			}
			if res.Errors != 0 || res.Requests == 0 || res.ReqPerSec <= 0 {
				t.Fatalf("%s, pipeline %d: %d errors (%s), %d requests", driver, pipeline, res.Errors, res.Error, res.Requests)
			}
			if res.Driver != driver || res.ServerWindow == nil || res.LatP50 <= 0 || res.LatP99 < res.LatP50 ||
				res.LatMax < res.LatP999 || res.Duration < 0.3 {
				t.Fatalf("%s, pipeline %d: implausible result %+v", driver, pipeline, res)
			}
			if res.ServerWindow.CPU < 0 || res.ServerWindow.RSSEndBytes <= 0 || res.LoadCPUs < 1 {
				t.Errorf("%s: server figures missing: %+v", driver, *res.ServerWindow)
			}
		}
	}
}

// TestEchoDetectsBrokenServers runs servers that lose, alter, reorder or
// add a byte after the first few messages, or hang up, and expects every
// driver to report it.
func TestEchoDetectsBrokenServers(t *testing.T) {
	const at = 64*5 + 10 // in the sixth message
	broken := map[string]struct {
		alter func(pos int, b []byte) []byte
		want  string
	}{
		"drop": {func(pos int, b []byte) []byte {
			if i := at - pos; i >= 0 && i < len(b) {
				return append(append([]byte(nil), b[:i]...), b[i+1:]...)
			}
			return b
		}, "missing"},
		"flip": {func(pos int, b []byte) []byte {
			if i := at - pos; i >= 0 && i < len(b) {
				b[i] ^= 1
			}
			return b
		}, "wrong echo"},
		"swap": {func(pos int, b []byte) []byte {
			if i := at - pos; i >= 0 && i+1 < len(b) && b[i] != b[i+1] {
				b[i], b[i+1] = b[i+1], b[i]
			} else if i >= 0 && i+1 < len(b) {
				b[i] ^= 1 // equal neighbours: a swap would not change anything
			}
			return b
		}, "wrong echo"},
		"duplicate": {func(pos int, b []byte) []byte {
			if i := at - pos; i >= 0 && i < len(b) {
				return append(append(append([]byte(nil), b[:i+1]...), b[i]), b[i+1:]...)
			}
			return b
		}, "wrong echo"},
	}
	for name, tc := range broken {
		addr := testServer(t, echoWith(tc.alter))
		for _, driver := range drivers() {
			res, err := RunEcho(context.Background(), shortEcho(addr, driver, 1))
			if err != nil {
				t.Fatalf("%s, %s: %v", name, driver, err)
			}
			if res.Errors != 8 || !strings.Contains(res.Error, tc.want) {
				t.Errorf("%s, %s: %d errors, first %q; want 8 errors saying %q", name, driver, res.Errors, res.Error, tc.want)
			}
		}
	}

	hangup := testServer(t, func(c net.Conn) {
		buf := make([]byte, 64)
		io.ReadFull(c, buf)
		c.Write(buf[:10])
	})
	for _, driver := range drivers() {
		res, err := RunEcho(context.Background(), shortEcho(hangup, driver, 1))
		if err != nil && !strings.Contains(err.Error(), "ended early") {
			t.Fatalf("hangup, %s: %v", driver, err)
		}
		if res != nil && (res.Errors != 8 || !strings.Contains(res.Error, "missing")) {
			t.Errorf("hangup, %s: %d errors, first %q", driver, res.Errors, res.Error)
		}
	}
}

func TestEchoConnectFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = RunEcho(context.Background(), shortEcho(addr, DriverNet, 1))
	if err == nil || !strings.Contains(err.Error(), "is the server running") {
		t.Fatalf("got %v, want a refused connection explained", err)
	}
}

func TestEchoCancelled(t *testing.T) {
	addr := testServer(t, func(c net.Conn) { io.Copy(c, c) })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	cfg := shortEcho(addr, DefaultDriver, 1)
	cfg.Duration = time.Minute
	start := time.Now()
	_, err := RunEcho(ctx, cfg)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("got %v after %v, want the context's error at once", err, time.Since(start))
	}
}

func TestIdle(t *testing.T) {
	addr := testServer(t, func(c net.Conn) { io.Copy(c, c) })
	res, err := RunIdle(context.Background(), IdleConfig{
		Addr: addr, Conns: 200, Size: 64, Settle: 10 * time.Millisecond, Dialers: 50, ServerPID: os.Getpid(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 || res.RSSBefore <= 0 || res.RSSIdle <= 0 || res.Threads <= 0 {
		t.Fatalf("implausible result %+v", res)
	}

	silent := testServer(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	_, err = RunIdle(context.Background(), IdleConfig{Addr: silent, Conns: 3, Size: 64, Timeout: 200 * time.Millisecond})
	if err == nil {
		t.Fatal("a server that never echoes passed the idle run")
	}
}
