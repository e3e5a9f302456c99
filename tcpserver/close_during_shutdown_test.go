package tcpserver_test

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/gale-io/gale/tcpserver"
)

// Close during a graceful Shutdown still closes at once: the connections
// Shutdown was waiting for are closed and the loops stopped when Close
// returns, as net/http's Close does during its Shutdown, not when the
// first Shutdown's deadline comes.
func TestCloseDuringShutdownForcesIt(t *testing.T) {
	srv, addr := start(t, echo, &tcpserver.Options{Loops: 1})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	roundTrip(t, c, "busy") // an echo connection never closes by itself
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(ctx) }()
	// Wait until Shutdown has closed the listener, so Close comes second.
	for deadline := time.Now().Add(10 * time.Second); ; {
		l, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		l.Close()
		if time.Now().After(deadline) {
			t.Fatal("Shutdown did not close the listener")
		}
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("after Close the client read %v; want end of file", err)
	}
	select {
	case <-shut:
	case <-time.After(2 * time.Second):
		t.Fatal("the first Shutdown still waits after Close returned")
	}
}
