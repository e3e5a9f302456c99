package netutil_test

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gale-io/gale/netutil"
	"github.com/gale-io/gale/poller"
)

// dialMany connects n clients from n goroutines and returns them once all
// are connected; they are closed at the end of the test.
func dialMany(t testing.TB, network, addr string, n int) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conns[i], errs[i] = net.Dial(network, addr)
		}()
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return conns
}

// Many clients connecting at once are all accepted, in batches no larger
// than Batch, each socket non-blocking and close-on-exec, with the peer
// address the client sees as its own.
func TestAcceptMany(t *testing.T) {
	const n, batch = 200, 16
	l := newLoop(t)
	ln := bind1(t)
	type accepted struct {
		fd   poller.FD
		peer net.Addr
		turn int
	}
	got := make(chan accepted, n)
	turn, inTurn, maxInTurn := 0, 0, 0
	var a *netutil.Acceptor
	a, err := netutil.AddAcceptHandler(l, ln, func(fd poller.FD, peer net.Addr) {
		if inTurn == 0 {
			// Runs after this readiness event's batch is over.
			l.Post(func() { turn++; inTurn = 0 })
		}
		inTurn++
		maxInTurn = max(maxInTurn, inTurn)
		checkFlags(t, fd)
		got <- accepted{fd, peer, turn}
	}, &netutil.AcceptOptions{Batch: batch})
	if err != nil {
		t.Fatal(err)
	}
	start(t, l)
	conns := dialMany(t, "tcp", ln.Addr().String(), n)
	locals := map[string]bool{}
	for _, c := range conns {
		locals[c.LocalAddr().String()] = true
	}
	turns := map[int]bool{}
	for range n {
		acc := await(t, got, "an accepted connection")
		if !locals[acc.peer.String()] {
			t.Errorf("peer %v is none of the clients", acc.peer)
		}
		turns[acc.turn] = true
		closeFD(acc.fd)
	}
	onLoop(t, l, func() error {
		a.Stop()
		if maxInTurn > batch {
			t.Errorf("%d connections accepted in one event, Batch is %d", maxInTurn, batch)
		}
		return nil
	})
	if len(turns) < n/batch {
		t.Errorf("%d connections in %d events, want at least %d", n, len(turns), n/batch)
	}
	if s := a.Stats(); s.Accepted != n || s.Shed != 0 || s.Pauses != 0 {
		t.Errorf("Stats = %+v", s)
	}
}

// A callback that stops the acceptor ends the batch at once: no accept
// after Stop, and the connections still queued stay for the next acceptor.
func TestAcceptStopMidBatch(t *testing.T) {
	const n, stopAfter = 10, 3
	l := newLoop(t)
	ln := bind1(t)
	conns := dialMany(t, "tcp", ln.Addr().String(), n) // queued before the loop runs
	calls := 0
	var a *netutil.Acceptor
	stopped := make(chan struct{})
	a, err := netutil.AddAcceptHandler(l, ln, func(fd poller.FD, peer net.Addr) {
		calls++
		closeFD(fd)
		if calls == stopAfter {
			a.Stop()
			a.Stop() // idempotent
			close(stopped)
		}
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	start(t, l)
	await(t, stopped, "Stop")
	// The rest go to a second acceptor on the same listener.
	rest := make(chan poller.FD, n)
	var b *netutil.Acceptor
	onLoop(t, l, func() error {
		if calls != stopAfter {
			t.Errorf("%d calls after Stop at %d", calls, stopAfter)
		}
		var err error
		b, err = netutil.AddAcceptHandler(l, ln, func(fd poller.FD, _ net.Addr) { rest <- fd }, nil)
		return err
	})
	for range n - stopAfter {
		closeFD(await(t, rest, "a remaining connection"))
	}
	onLoop(t, l, func() error { b.Stop(); return nil })
	// The first three saw their server side closed.
	closedCount := 0
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(wait))
		if _, err := c.Read(make([]byte, 1)); err == io.EOF {
			closedCount++
		}
	}
	if closedCount != n {
		t.Fatalf("%d of %d clients saw end of file", closedCount, n)
	}
}

func TestAddAcceptHandlerErrors(t *testing.T) {
	l := newLoop(t)
	ln := bind1(t)
	cb := func(poller.FD, net.Addr) {}
	if _, err := netutil.AddAcceptHandler(l, ln, nil, nil); err == nil {
		t.Error("nil callback accepted")
	}
	a, err := netutil.AddAcceptHandler(l, ln, cb, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := netutil.AddAcceptHandler(l, ln, cb, nil); !errors.Is(err, poller.ErrRegistered) {
		t.Errorf("second handler on one listener: %v, want ErrRegistered", err)
	}
	a.Stop()
	ln.Close()
	if _, err := netutil.AddAcceptHandler(l, ln, cb, nil); !errors.Is(err, net.ErrClosed) {
		t.Errorf("closed listener: %v, want net.ErrClosed", err)
	}
}
