package tcpserver_test

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpserver"
)

// A Handler that panics leaves its stream in an unknown state: the
// connection is closed (as a stream closes when one of its callbacks
// panics), not left open holding its descriptor and a MaxConns slot, and
// the panic still reaches the loop's log.
func TestHandlerPanicClosesConnection(t *testing.T) {
	var logs testloop.LogBuffer
	first := true
	srv, addr := start(t, func(s *stream.Stream) {
		if first {
			first = false
			panic("handler bug")
		}
		echo(s)
	}, &tcpserver.Options{Loops: 1, MaxConns: 1, Loop: &loop.Options{Logger: logs.Logger()}})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if n, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("the panicking handler's client read %d, %v; want end of file", n, err)
	}
	// (A round trip to the loop: the stream is untracked right after its
	// descriptor is closed.)
	st, err := loop.Call(context.Background(), srv.Loops()[0], func() (tcpserver.Stats, error) { return srv.Stats(), nil })
	if err != nil {
		t.Fatal(err)
	}
	if st.Open != 0 {
		t.Fatalf("stats %+v after the panic: the connection is still counted", st)
	}
	// Its MaxConns slot is free again.
	c2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.SetDeadline(time.Now().Add(5 * time.Second))
	roundTrip(t, c2, "after")
	if out := logs.String(); !strings.Contains(out, "handler bug") {
		t.Errorf("the panic was not logged:\n%s", out)
	}
}
