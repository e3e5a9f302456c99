package tcpserver_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpserver"
)

// Every connection Shutdown sees closed, by its handler or by force at
// the deadline, has its close callback run before Shutdown stops the
// loops: a handler releases per-connection resources there. (Unfixed, the
// loop was stopped while the callbacks were still queued, a race that a
// single round lost a few times in a hundred: hence the rounds.)
func TestShutdownRunsCloseCallbacks(t *testing.T) {
	for _, forced := range []bool{false, true} {
		name := map[bool]string{false: "Graceful", true: "Forced"}[forced]
		t.Run(name, func(t *testing.T) {
			for round := range 50 {
				shutdownRound(t, round, forced)
			}
		})
	}
}

func shutdownRound(t *testing.T, round int, forced bool) {
	const conns = 2
	called := make(chan error, conns)
	srv, addr := start(t, func(s *stream.Stream) {
		s.SetCloseCallback(func(err error) { called <- err })
		if !forced {
			s.SetShutdownHandler(s.Close)
		}
		echo(s)
	}, &tcpserver.Options{Loops: 1})
	for range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		roundTrip(t, c, "hi")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	if forced {
		cancel()
	}
	defer cancel()
	srv.Shutdown(ctx)
	if n := len(called); n != conns {
		t.Fatalf("round %d: %d of %d close callbacks ran before Shutdown returned", round, n, conns)
	}
}
