package tcpserver_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/netutil"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpserver"
)

// A connection still in its TLS handshake when Shutdown begins has no
// handler yet to tell; once the handshake is done and the handler has the
// stream, it must be told (here its stream's shutdown handler closes it),
// not left to hold Shutdown until its deadline.
func TestShutdownTellsHandlerThatStartsDuringShutdown(t *testing.T) {
	ss, err := netutil.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	began := make(chan struct{}, 1)
	srv, addr := start(t, func(s *stream.Stream) {
		s.SetShutdownHandler(func() {
			select {
			case began <- struct{}{}:
			default:
			}
			s.Close()
		})
		echo(s)
	}, &tcpserver.Options{Loops: 1, TLS: ss.Server, HandshakeTimeout: 10 * time.Second})

	// A: served before Shutdown; its shutdown handler says Shutdown began.
	// B: accepted, but no ClientHello yet.
	raw := servedAndHandshaking(t, srv, addr, ss)

	if _, err := shutdownThenHandshake(t, srv, raw, ss, began, 3*time.Second); err != nil {
		t.Fatalf("Shutdown: %v; the connection whose handler started during it was never told", err)
	}
}

// OnShutdown is the protocol's hook for connections its Handler has: a
// connection still in its TLS handshake when Shutdown begins must not be
// passed to it then (the protocol has never seen the stream; httpserver's
// hook closes streams it does not know, which cut the handshake), only
// once, right after its Handler returns.
func TestOnShutdownOnlyForHandledConnections(t *testing.T) {
	ss, err := netutil.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	var (
		handled = map[*stream.Stream]bool{} // on the loop's goroutine only
		mu      sync.Mutex
		early   int // OnShutdown calls for a stream no Handler had
		calls   = map[*stream.Stream]int{}
	)
	began := make(chan struct{}, 1)
	srv, addr := start(t, func(s *stream.Stream) {
		handled[s] = true
		echo(s)
	}, &tcpserver.Options{Loops: 1, TLS: ss.Server, HandshakeTimeout: 10 * time.Second,
		OnShutdown: func(s *stream.Stream) {
			mu.Lock()
			calls[s]++
			if !handled[s] {
				early++
			}
			mu.Unlock()
			if handled[s] {
				select {
				case began <- struct{}{}:
				default:
				}
				s.Close()
			}
		}})

	raw := servedAndHandshaking(t, srv, addr, ss)

	herr, err := shutdownThenHandshake(t, srv, raw, ss, began, 5*time.Second)
	if herr != nil {
		t.Errorf("handshake begun before Shutdown: %v", herr)
	}
	if err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if early != 0 {
		t.Errorf("OnShutdown called %d times for a connection no Handler had yet", early)
	}
	for s, n := range calls {
		if n != 1 {
			t.Errorf("OnShutdown called %d times for %p, want once", n, s)
		}
	}
	if len(calls) != 2 {
		t.Errorf("OnShutdown reached %d connections, want 2", len(calls))
	}
}

// shutdownThenHandshake starts Shutdown (bounded by timeout), waits until
// it reached the served connection (began), then completes the TLS
// handshake on raw and reads until the server closes it. It returns the
// handshake's error and Shutdown's.
func shutdownThenHandshake(t *testing.T, srv *tcpserver.Server, raw net.Conn, ss *netutil.SelfSigned, began <-chan struct{}, timeout time.Duration) (handshake, shutdown error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(ctx) }()
	select {
	case <-began:
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown did not reach the first connection")
	}
	b := tls.Client(raw, ss.Client("127.0.0.1"))
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	if handshake = b.Handshake(); handshake == nil {
		io.Copy(io.Discard, b) // until the server closes it
	}
	return handshake, <-shut
}

// servedAndHandshaking opens two connections to a TLS server with one
// loop: one served (a round trip done), and one accepted that has sent no
// ClientHello yet, which it returns; both close when the test ends.
func servedAndHandshaking(t *testing.T, srv *tcpserver.Server, addr string, ss *netutil.SelfSigned) net.Conn {
	t.Helper()
	a, err := tls.Dial("tcp", addr, ss.Client("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	roundTrip(t, a, "a")
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	l := srv.Loops()[0]
	for deadline := time.Now().Add(10 * time.Second); ; {
		st, err := loop.Call(context.Background(), l, func() (tcpserver.Stats, error) { return srv.Stats(), nil })
		if err != nil {
			t.Fatal(err)
		}
		if st.Open == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not accept the second connection: %+v", st)
		}
	}
	return raw
}
