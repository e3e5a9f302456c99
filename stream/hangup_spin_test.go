package stream_test

import (
	"crypto/tls"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/poller"
	"github.com/gale-io/gale/stream"
)

// countingPoller counts the Waits that reported a ready descriptor.
type countingPoller struct {
	poller.Poller
	ready atomic.Int64
}

func (p *countingPoller) Wait(ev []poller.Event, timeout time.Duration) (int, error) {
	n, err := p.Poller.Wait(ev, timeout)
	if n > 0 {
		p.ready.Add(1)
	}
	return n, err
}

// newCountingLoop returns a loop whose poller counts its ready Waits.
func newCountingLoop(t *testing.T) (*loop.Loop, *countingPoller) {
	cp := &countingPoller{}
	l := testloop.New(t, &loop.Options{HoldThread: true, NewPoller: func() (poller.Poller, error) {
		p, err := poller.New()
		cp.Poller = p
		return cp, err
	}})
	return l, cp
}

// readyPolls calls back with how many Waits found a descriptor ready
// during the 30 ms after it is called.
func readyPolls(l *loop.Loop, cp *countingPoller, cb func(n int64)) {
	l.Post(func() {
		from := cp.ready.Load()
		l.CallLater(30*time.Millisecond, func() { cb(cp.ready.Load() - from) })
	})
}

// An idle stream (no read pending, no close callback) whose connection is
// shut in both directions, its own CloseWrite and the peer's close, is
// reported as hung up on every poll (level-triggered, even with no
// interest): it must leave the poller alone rather than spin the loop
// until someone reads or closes it.
func TestIdleHungUpStreamDoesNotSpinTheLoop(t *testing.T) {
	t.Run("CloseWriteThenPeerClose", func(t *testing.T) {
		l, cp := newCountingLoop(t)
		a, b := pair(t, l, nil)
		var spins int64
		testloop.Run(t, l, func(done func()) {
			mustWrite(t, a, "x")
			b.ReadBytes(1, false, func([]byte, error) { // b is now registered
				b.CloseWrite()
				a.ReadUntilClose(func([]byte, error) {
					a.Close() // b: end of file in, its own side shut: hung up
					readyPolls(l, cp, func(n int64) { spins = n; done() })
				})
			})
		})
		if spins > 5 {
			t.Fatalf("the loop polled a ready descriptor %d times in 30 ms with only an idle, hung-up stream", spins)
		}
	})
	t.Run("HalfOpenAnswered", func(t *testing.T) {
		// AllowHalfOpen: the peer ends its side, the stream answers and
		// ends its own, and is left open for its owner to close later.
		l, cp := newCountingLoop(t)
		a, b := pair(t, l, &stream.Options{AllowHalfOpen: true})
		var spins int64
		testloop.Run(t, l, func(done func()) {
			a.CloseWrite()
			b.ReadStream(func(_ []byte, err error) {
				if err == nil {
					return
				}
				b.Write([]byte("answer"), func(error) {
					b.CloseWrite()
					a.ReadUntilClose(func([]byte, error) {
						readyPolls(l, cp, func(n int64) { spins = n; done() })
					})
				})
			})
		})
		if spins > 5 {
			t.Fatalf("the loop polled a ready descriptor %d times in 30 ms with only an idle, hung-up stream", spins)
		}
	})
}

// The peer sends its ClientHello and closes while the handshake goroutine
// is busy (a GetCertificate that waits, as a certificate store fetching
// one may): once the stream has read the end of file and handed it to the
// goroutine there is nothing more to read, and it must not keep polling
// the readable end of file, spinning the loop until the handshake ends.
func TestHandshakeAfterPeerEOFDoesNotSpin(t *testing.T) {
	ss := selfSigned(t)
	l, cp := newCountingLoop(t)
	srv, cli := pair(t, l, nil)
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	defer unblock()
	var spins int64
	cfg := ss.Server.Clone()
	cfg.Certificates = nil
	cfg.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		// The goroutine has the ClientHello: the peer goes.
		l.Post(func() {
			cli.Close()
			readyPolls(l, cp, func(n int64) { spins = n; unblock() })
		})
		<-release
		return nil, errors.New("never mind")
	}
	hello := clientHello(t)
	testloop.Run(t, l, func(done func()) {
		srv.StartTLS(cfg, true, func(error) { done() })
		mustWrite(t, cli, string(hello))
	})
	if spins > 5 {
		t.Fatalf("the loop polled a ready descriptor %d times in 30 ms while a handshake waited with the peer gone", spins)
	}
}
