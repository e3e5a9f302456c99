package tcpserver_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
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
	a, err := tls.Dial("tcp", addr, ss.Client("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	roundTrip(t, a, "a")

	// B: accepted, but no ClientHello yet.
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
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

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
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
	if err := b.Handshake(); err == nil {
		io.Copy(io.Discard, b) // until the server closes it
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v; the connection whose handler started during it was never told", err)
	}
}
