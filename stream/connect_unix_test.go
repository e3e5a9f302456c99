//go:build unix

package stream_test

import (
	"errors"
	"net"
	"net/netip"
	"syscall"
	"testing"

	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/poller"
	"github.com/gale-io/gale/stream"
	"golang.org/x/sys/unix"
)

func TestConnectAndWriteBeforeConnected(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- err.Error()
			return
		}
		defer c.Close()
		buf := make([]byte, 5)
		n, _ := c.Read(buf)
		c.Write([]byte("pong!"))
		got <- string(buf[:n])
	}()
	l := newLoop(t)
	s := dialStream(t, l)
	var order []string
	testloop.Run(t, l, func(done func()) {
		addr := ln.Addr().(*net.TCPAddr).AddrPort()
		if err := s.Connect(addr, func(err error) {
			if err != nil {
				t.Fatal(err)
			}
			order = append(order, "connected")
		}); err != nil {
			t.Fatal(err)
		}
		// Queued until the connect completes; its callback runs after.
		s.Write([]byte("ping!"), func(err error) { order = append(order, "written") })
		s.ReadBytes(5, false, func(data []byte, err error) {
			if string(data) != "pong!" {
				t.Errorf("reply %q, %v", data, err)
			}
			done()
		})
	})
	if v := <-got; v != "ping!" {
		t.Fatalf("server got %q", v)
	}
	if len(order) != 2 || order[0] != "connected" || order[1] != "written" {
		t.Fatalf("callback order %v", order)
	}
	if ra := s.RemoteAddr(); ra == nil || ra.String() != ln.Addr().String() {
		t.Fatalf("RemoteAddr %v", ra)
	}
	if ap := s.RemoteAddrPort(); ap != ln.Addr().(*net.TCPAddr).AddrPort() {
		t.Fatalf("RemoteAddrPort %v, want %v", ap, ln.Addr())
	}
	if err := s.SetNoDelay(true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetKeepAlive(true, 30e9); err != nil {
		t.Fatal(err)
	}
}

func TestConnectRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr).AddrPort()
	ln.Close() // nothing listens there now
	l := newLoop(t)
	s := dialStream(t, l)
	var gotErr error
	testloop.Run(t, l, func(done func()) {
		s.Connect(netip.AddrPortFrom(addr.Addr(), addr.Port()), func(err error) { gotErr = err; done() })
	})
	if !errors.Is(gotErr, stream.ErrClosed) || !errors.Is(gotErr, syscall.ECONNREFUSED) {
		t.Fatalf("connect to a closed port: %v, want ErrClosed wrapping ECONNREFUSED", gotErr)
	}
	if !s.Closed() {
		t.Fatal("stream open after a failed connect")
	}
}

// A pipe stream: data through, then end of file when the writer closes.
func TestPipeStream(t *testing.T) {
	l := newLoop(t)
	r, w := pipeStreams(t, l, stream.NewPipe)
	var got string
	testloop.Run(t, l, func(done func()) {
		w.Write([]byte("through a pipe"), nil)
		w.CloseWrite() // a pipe has no half-close: this closes w
		r.ReadUntilClose(func(data []byte, err error) { got = string(data); done() })
	})
	if got != "through a pipe" || !w.Closed() {
		t.Fatalf("got %q, writer closed %v", got, w.Closed())
	}
}

// A pipe given to New, which asks for a socket, still works: the socket
// calls' ENOTSOCK makes the stream fall back to read and write, then treat
// the descriptor as NewPipe does (CloseWrite closes it).
func TestNewOnPipe(t *testing.T) {
	l := newLoop(t)
	r, w := pipeStreams(t, l, stream.New)
	var got string
	var readErr error
	testloop.Run(t, l, func(done func()) {
		w.Write([]byte("not a socket"), nil)
		w.CloseWrite()
		r.ReadUntilClose(func(data []byte, err error) { got, readErr = string(data), err; done() })
	})
	if got != "not a socket" || readErr != nil || !w.Closed() {
		t.Fatalf("got %q, %v; writer closed %v", got, readErr, w.Closed())
	}
}

// pipeStreams makes a pipe and streams over its read and write ends with
// newStream (stream.NewPipe or stream.New), closed at cleanup.
func pipeStreams(t *testing.T, l *loop.Loop, newStream func(*loop.Loop, poller.FD, *stream.Options) (*stream.Stream, error)) (r, w *stream.Stream) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	r, err := newStream(l, p[0], nil)
	if err != nil {
		unix.Close(p[0])
		unix.Close(p[1])
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	w, err = newStream(l, p[1], nil)
	if err != nil {
		unix.Close(p[1])
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return r, w
}

func TestRemoteAddrPortNotIP(t *testing.T) {
	l := newLoop(t)
	a, _ := pair(t, l, nil) // a Unix socket pair
	if ap := a.RemoteAddrPort(); ap.IsValid() {
		t.Fatalf("a Unix socket's peer has an IP address: %v", ap)
	}
	// A PROXY header's address, for one, overrides the socket's.
	want := netip.MustParseAddrPort("10.1.2.3:99")
	a.SetRemoteAddr(net.TCPAddrFromAddrPort(want))
	if ap := a.RemoteAddrPort(); ap != want {
		t.Fatalf("RemoteAddrPort after SetRemoteAddr: %v, want %v", ap, want)
	}
	b, _ := pair(t, l, nil)
	b.Close()
	if ap := b.RemoteAddrPort(); ap.IsValid() {
		t.Fatalf("a closed stream has a peer: %v", ap)
	}
}
