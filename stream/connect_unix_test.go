//go:build unix

package stream_test

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

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

// A pipe given to New and ended with CloseWrite before any read or write
// (nothing has found it out yet): the shutdown's ENOTSOCK must not count
// as a failure; the stream closes as NewPipe's does, with no error, and
// the reader sees end of file.
func TestNewOnPipeCloseWriteFirst(t *testing.T) {
	l := newLoop(t)
	r, w := pipeStreams(t, l, stream.New)
	var readErr error
	got := "unset"
	testloop.Run(t, l, func(done func()) {
		if err := w.CloseWrite(); err != nil {
			t.Fatalf("CloseWrite: %v", err)
		}
		r.ReadUntilClose(func(data []byte, err error) { got, readErr = string(data), err; done() })
	})
	if !w.Closed() || w.Err() != nil {
		t.Fatalf("writer closed %v with %v, want closed with no error", w.Closed(), w.Err())
	}
	if got != "" || readErr != nil || r.Err() != io.EOF {
		t.Fatalf("reader got %q, %v, closed by %v; want end of file", got, readErr, r.Err())
	}
}

// A ReadInto that has filled part of the caller's buffer straight from
// the socket, then cancelled: those bytes are the stream's, not lost; the
// next read gets them first, as CancelRead promises for buffered bytes.
func TestCancelReadIntoKeepsFilledBytes(t *testing.T) {
	l := newLoop(t)
	r, w := pair(t, l, nil)
	var got string
	testloop.Run(t, l, func(done func()) {
		buf := make([]byte, 10)
		if err := r.ReadInto(buf, false, func(int, error) { t.Error("cancelled read completed") }); err != nil {
			t.Fatal(err)
		}
		mustWrite(t, w, "hello")
		// Wait until the stream has taken the bytes from the kernel.
		var taken func()
		taken = func() {
			var p [1]byte
			if _, _, err := unix.Recvfrom(r.FD(), p[:], unix.MSG_PEEK|unix.MSG_DONTWAIT); err != unix.EAGAIN {
				l.CallLater(time.Millisecond, taken)
				return
			}
			if !r.CancelRead() {
				t.Fatal("no read to cancel")
			}
			mustWrite(t, w, "world")
			r.ReadBytes(10, true, func(data []byte, err error) {
				if err != nil {
					t.Error(err)
				}
				got = string(data)
				done()
			})
		}
		l.CallLater(time.Millisecond, taken)
	})
	if got != "hello" {
		t.Fatalf("read after the cancelled ReadInto got %q, want %q", got, "hello")
	}
}

// NewPipe promises that socket options do nothing on a pipe: SetKeepAlive
// as SetNoDelay, not an ENOTSOCK error.
func TestPipeSocketOptionsDoNothing(t *testing.T) {
	l := newLoop(t)
	r, w := pipeStreams(t, l, stream.NewPipe)
	for _, s := range []*stream.Stream{r, w} {
		if err := s.SetNoDelay(true); err != nil {
			t.Errorf("SetNoDelay on a pipe: %v", err)
		}
		if err := s.SetKeepAlive(true, time.Second); err != nil {
			t.Errorf("SetKeepAlive on a pipe: %v", err)
		}
	}
}

// CloseWrite on a TLS stream whose peer is gone: the close_notify alert's
// write fails and closes the stream, releasing its descriptor. The
// shutdown that CloseWrite then made went to that number, which by then
// may be another connection's (here opened by OnClose, as a server
// accepting on another loop could): it must not shut that one down.
func TestTLSCloseWriteFailingDoesNotShutAReusedDescriptor(t *testing.T) {
	ss := selfSigned(t)
	l := newLoop(t)
	var cli *stream.Stream
	var opened []int
	target := -1
	reused := false
	opts := &stream.Options{OnClose: func(s *stream.Stream, _ error) {
		if s != cli {
			return
		}
		// Connected sockets until the number just released comes up.
		for range 32 {
			fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
			if err != nil {
				return
			}
			opened = append(opened, fds[0], fds[1])
			if fds[0] == target || fds[1] == target {
				reused = true
				return
			}
		}
	}}
	t.Cleanup(func() {
		for _, fd := range opened {
			unix.Close(fd)
		}
	})
	var srv *stream.Stream
	cli, srv = pair(t, l, opts)
	target = cli.FD()
	testloop.Run(t, l, func(done func()) {
		// Both handshakes done first: the client's ends before the
		// server's, which a Close then would fail.
		left := 2
		both := func(side string) func(error) {
			return func(err error) {
				if err != nil {
					t.Fatalf("%s handshake: %v", side, err)
				}
				if left--; left == 0 {
					srv.Close()
					cli.CloseWrite()
					done()
				}
			}
		}
		srv.StartTLS(ss.Server, true, both("server"))
		cli.StartTLS(ss.Client("localhost"), false, both("client"))
	})
	if !cli.Closed() {
		t.Fatal("the write of close_notify to a closed peer did not close the stream")
	}
	if !reused {
		t.Skipf("descriptor %d was not reused", target)
	}
	if _, err := unix.Write(target, []byte("x")); err != nil {
		t.Fatalf("the connection that reused descriptor %d was shut down by the closed stream: write: %v", target, err)
	}
}

// An empty Write made while the stream connects says nothing was sent yet:
// its callback waits for the connect like any other write's (Tornado
// resolves no write future before the connect completes), so it runs after
// the connect callback, and fails if the connect does.
func TestEmptyWriteDuringConnectWaitsForConnect(t *testing.T) {
	for _, refused := range []bool{false, true} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().(*net.TCPAddr).AddrPort()
		if refused {
			ln.Close() // nothing listens there now
		} else {
			defer ln.Close()
		}
		l := newLoop(t)
		s := dialStream(t, l)
		var order []string
		var writeErr error
		testloop.Run(t, l, func(done func()) {
			fin := func() {
				if len(order) == 2 {
					done()
				}
			}
			if err := s.Connect(addr, func(err error) {
				order = append(order, "connect")
				fin()
			}); err != nil {
				t.Fatal(err)
			}
			if err := s.Write(nil, func(err error) {
				writeErr = err
				order = append(order, "write")
				fin()
			}); err != nil {
				// (The connect failed at once: nothing to check.)
				order = append(order, "write")
				fin()
			}
		})
		if len(order) != 2 || order[0] != "connect" {
			t.Fatalf("refused %v: callback order %v, want the connect's first", refused, order)
		}
		if refused && !s.Closed() {
			t.Fatal("stream open after a refused connect")
		}
		if refused != (writeErr != nil) {
			t.Fatalf("refused %v: empty write's callback got %v", refused, writeErr)
		}
	}
}

// While a connect is still under way, an empty write's callback does not
// fire (nothing has reached anyone yet), and a Close that ends the connect
// fails it after the connect callback.
func TestEmptyWriteDuringPendingConnectFailsOnClose(t *testing.T) {
	// A listener with a full accept queue (backlog 0 holds one
	// connection) drops further SYNs: a connect to it stays pending.
	lfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(lfd)
	unix.CloseOnExec(lfd)
	if err := unix.Bind(lfd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(lfd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(lfd)
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(sa.(*unix.SockaddrInet4).Port))
	filler, err := net.DialTimeout("tcp", addr.String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer filler.Close()
	l := newLoop(t)
	s := dialStream(t, l)
	var order []string
	var connErr, writeErr error
	connected := false
	testloop.Run(t, l, func(done func()) {
		if err := s.Connect(addr, func(err error) { connErr = err; order = append(order, "connect") }); err != nil {
			t.Fatal(err)
		}
		if err := s.Write(nil, func(err error) {
			writeErr = err
			order = append(order, "write")
			done()
		}); err != nil {
			t.Fatal(err)
		}
		// A few turns later the connect is still pending (the SYN was
		// dropped) and nothing may have fired.
		l.CallLater(0, func() {
			l.CallLater(0, func() {
				l.CallLater(0, func() {
					if len(order) != 0 && order[0] == "connect" && connErr == nil {
						// The listener took the SYN after all (a system
						// that does not drop it): nothing to check.
						connected = true
						done()
						return
					}
					if len(order) != 0 {
						t.Errorf("callbacks before the connect completed: %v", order)
					}
					s.Close()
				})
			})
		})
	})
	if connected || (len(order) != 0 && order[0] == "connect" && connErr == nil) {
		t.Skip("the connect completed: no pending connect to test")
	}
	if len(order) != 2 || order[0] != "connect" {
		t.Fatalf("callback order %v, want [connect write]", order)
	}
	if !errors.Is(connErr, stream.ErrClosed) || !errors.Is(writeErr, stream.ErrClosed) {
		t.Fatalf("connect callback %v, write callback %v: want ErrClosed for both", connErr, writeErr)
	}
}

// Connect with a nil callback: the writes queued meanwhile are sent once
// connected, instead of the connect's end panicking and closing the stream.
func TestConnectNilCallback(t *testing.T) {
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
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 5)
		n, _ := io.ReadFull(c, buf)
		got <- string(buf[:n])
	}()
	l := newLoop(t)
	s := dialStream(t, l)
	var wErr error
	testloop.Run(t, l, func(done func()) {
		if err := s.Connect(ln.Addr().(*net.TCPAddr).AddrPort(), nil); err != nil {
			t.Fatal(err)
		}
		s.Write([]byte("ping!"), func(err error) { wErr = err; done() })
	})
	if wErr != nil {
		t.Fatalf("write after a Connect with a nil callback: %v", wErr)
	}
	if v := <-got; v != "ping!" {
		t.Fatalf("server got %q", v)
	}
}
