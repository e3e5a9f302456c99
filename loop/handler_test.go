package loop_test

import (
	"errors"
	"testing"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/poller"
	"github.com/gale-io/gale/poller/pollertest"
)

func write(t testing.TB, fd poller.FD, s string) {
	t.Helper()
	if n, err := pollertest.Write(fd, []byte(s)); err != nil || n != len(s) {
		t.Fatalf("write: %d, %v", n, err)
	}
}

func TestHandlerReadableOnSocketPair(t *testing.T) {
	l := newLoop(t, nil)
	a, b := pollertest.SocketPair(t)
	var got []byte
	runFor(t, l, func(done func()) {
		err := l.AddHandler(a, loop.Readable, loop.HandlerFunc(func(fd poller.FD, ev poller.Events) {
			if fd != a {
				t.Errorf("handler got fd %v, want %v", fd, a)
			}
			if ev&loop.Writable != 0 {
				t.Errorf("Readable-only handler got %v", ev)
			}
			buf := make([]byte, 64)
			n, err := pollertest.Read(fd, buf)
			if err != nil {
				return // spurious: try again next time
			}
			got = append(got, buf[:n]...)
			if n == 0 || string(got) == "hello world" {
				l.RemoveHandler(fd)
				done()
			}
		}))
		if err != nil {
			t.Fatal(err)
		}
		write(t, b, "hello ")
		l.CallLater(0, func() { write(t, b, "world") })
	})
	if string(got) != "hello world" {
		t.Fatalf("read %q", got)
	}
}

func TestHandlerRegistrationErrors(t *testing.T) {
	l := newLoop(t, nil)
	a, _ := pollertest.SocketPair(t)
	h := loop.HandlerFunc(func(poller.FD, poller.Events) {})
	if err := l.AddHandler(a, loop.Readable, h); err != nil {
		t.Fatal(err)
	}
	if err := l.AddHandler(a, loop.Readable, h); !errors.Is(err, poller.ErrRegistered) {
		t.Fatalf("second AddHandler: %v, want ErrRegistered", err)
	}
	if err := l.UpdateHandler(a+1000, loop.Writable); !errors.Is(err, poller.ErrNotRegistered) {
		t.Fatalf("UpdateHandler of an unknown fd: %v", err)
	}
	if err := l.RemoveHandler(a + 1000); err != nil {
		t.Fatalf("RemoveHandler of an unknown fd: %v, want nil (a no-op)", err)
	}
	if ev, ok := l.Events(a); !ok || ev != loop.Readable {
		t.Fatalf("Events: %v, %v", ev, ok)
	}
	if err := l.RemoveHandler(a); err != nil {
		t.Fatal(err)
	}
	if _, ok := l.Events(a); ok {
		t.Fatal("still registered after RemoveHandler")
	}
}

func TestUpdateHandlerSwitchesInterest(t *testing.T) {
	l := newLoop(t, nil)
	a, b := pollertest.SocketPair(t)
	var seen []poller.Events
	runFor(t, l, func(done func()) {
		l.AddHandler(a, loop.Writable, loop.HandlerFunc(func(fd poller.FD, ev poller.Events) {
			seen = append(seen, ev)
			switch len(seen) {
			case 1: // writable at once; switch to reading, then feed it
				l.UpdateHandler(fd, loop.Readable)
				write(t, b, "x")
			case 2:
				l.RemoveHandler(fd)
				done()
			}
		}))
	})
	if seen[0]&loop.Writable == 0 || seen[1]&loop.Readable == 0 || seen[1]&loop.Writable != 0 {
		t.Fatalf("events %v, want [Writable, Readable]", seen)
	}
}

func TestRemoveHandlerInsideItsOwnCallback(t *testing.T) {
	l := newLoop(t, nil)
	a, b := pollertest.SocketPair(t)
	calls := 0
	write(t, b, "undrained") // stays readable: level-triggered
	runFor(t, l, func(done func()) {
		l.AddHandler(a, loop.Readable, loop.HandlerFunc(func(fd poller.FD, ev poller.Events) {
			calls++
			if err := l.RemoveHandler(fd); err != nil {
				t.Error(err)
			}
		}))
		// Several iterations later the handler must have run exactly once.
		l.CallLater(0, func() { l.CallLater(0, func() { l.CallLater(0, done) }) })
	})
	if calls != 1 {
		t.Fatalf("handler called %d times after removing itself, want 1", calls)
	}
}

// Both descriptors are ready in the same batch; whichever handler runs
// first removes the other, closes it, and registers a new descriptor that
// takes the freed number. The stale event must reach neither the removed
// handler nor the new one.
func TestRemovedDescriptorEventsAreDroppedEvenWhenReused(t *testing.T) {
	l := newLoop(t, nil)
	a, a2 := pollertest.SocketPair(t)
	b, b2 := pollertest.SocketPair(t)
	write(t, a2, "x")
	write(t, b2, "x")
	handlers := map[poller.FD]string{}
	var calls []string
	var reused bool
	runFor(t, l, func(done func()) {
		var h loop.HandlerFunc
		h = func(fd poller.FD, ev poller.Events) {
			calls = append(calls, handlers[fd])
			if len(calls) > 1 {
				return
			}
			other, otherPeer := b, b2
			if fd == b {
				other, otherPeer = a, a2
			}
			l.RemoveHandler(other)
			pollertest.Close(other)
			pollertest.Close(otherPeer)
			c, _ := pollertest.SocketPair(t)
			reused = c == other || c == otherPeer
			handlers[c] = "new"
			// Nothing was written to c: any call is the stale event.
			l.AddHandler(c, loop.Readable, loop.HandlerFunc(func(poller.FD, poller.Events) {
				calls = append(calls, "new")
			}))
			l.RemoveHandler(fd)
			l.CallLater(0, func() { l.CallLater(0, done) })
		}
		handlers[a], handlers[b] = "a", "b"
		l.AddHandler(a, loop.Readable, h)
		l.AddHandler(b, loop.Readable, h)
	})
	if len(calls) != 1 {
		t.Fatalf("handler calls %v: a removed descriptor's event was delivered", calls)
	}
	if !reused {
		t.Logf("note: the new descriptor did not reuse the freed number on this platform")
	}
}

func TestBusyDescriptorDoesNotStarveOthers(t *testing.T) {
	l := newLoop(t, nil)
	busy, busyPeer := pollertest.SocketPair(t)
	quiet, quietPeer := pollertest.SocketPair(t)
	write(t, busyPeer, string(make([]byte, 4096)))
	busyCalls := 0
	runFor(t, l, func(done func()) {
		l.AddHandler(busy, loop.Readable, loop.HandlerFunc(func(fd poller.FD, ev poller.Events) {
			busyCalls++
			// Read one byte per call and leave the rest, then feed the
			// quiet descriptor once.
			pollertest.Read(fd, make([]byte, 1))
			if busyCalls == 1 {
				write(t, quietPeer, "q")
			}
		}))
		l.AddHandler(quiet, loop.Readable, loop.HandlerFunc(func(fd poller.FD, ev poller.Events) {
			l.RemoveHandler(busy)
			l.RemoveHandler(quiet)
			done()
		}))
	})
	if busyCalls > 3 {
		t.Fatalf("the quiet descriptor waited %d busy handler calls", busyCalls)
	}
}

func TestHandlerPanicIsRecovered(t *testing.T) {
	var logs logBuffer
	l := newLoop(t, &loop.Options{Logger: logs.Logger()})
	a, b := pollertest.SocketPair(t)
	c, d := pollertest.SocketPair(t)
	write(t, b, "x")
	write(t, d, "x")
	calls := 0
	runFor(t, l, func(done func()) {
		h := loop.HandlerFunc(func(fd poller.FD, ev poller.Events) {
			calls++
			l.RemoveHandler(fd)
			if calls == 2 {
				done()
			}
			panic("handler boom")
		})
		l.AddHandler(a, loop.Readable, h)
		l.AddHandler(c, loop.Readable, h)
	})
	if calls != 2 {
		t.Fatalf("%d handler calls, want 2 (the second after the first panicked)", calls)
	}
}

func TestCloseAllClosesRegisteredDescriptors(t *testing.T) {
	l, err := loop.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := pollertest.SocketPair(t)
	l.AddHandler(a, loop.Readable, loop.HandlerFunc(func(poller.FD, poller.Events) {}))
	if err := l.CloseAll(); err != nil {
		t.Fatal(err)
	}
	// a is closed: b sees end of file.
	if n, err := pollertest.Read(b, make([]byte, 1)); n != 0 || err != nil {
		t.Fatalf("peer read after CloseAll: %d, %v (want end of file)", n, err)
	}
	pollertest.Forget(a)
}

// The handler methods of a closed loop return loop.ErrClosed, as its doc
// says, not the poller's own error: callers test for the loop's.
func TestHandlerMethodsAfterCloseReturnErrClosed(t *testing.T) {
	l, err := loop.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := pollertest.SocketPair(t)
	if err := l.AddHandler(a, loop.Readable, loop.HandlerFunc(func(poller.FD, poller.Events) {})); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.AddHandler(a, loop.Readable, loop.HandlerFunc(func(poller.FD, poller.Events) {})); !errors.Is(err, loop.ErrClosed) {
		t.Errorf("AddHandler after Close: %v, want loop.ErrClosed", err)
	}
	if err := l.UpdateHandler(a, loop.Writable); !errors.Is(err, loop.ErrClosed) {
		t.Errorf("UpdateHandler after Close: %v, want loop.ErrClosed", err)
	}
	if err := l.RemoveHandler(a); !errors.Is(err, loop.ErrClosed) {
		t.Errorf("RemoveHandler after Close: %v, want loop.ErrClosed", err)
	}
	if _, ok := l.Events(a); ok {
		t.Error("still registered after RemoveHandler")
	}
}

// A nil Handler is refused: registered, its descriptor's events would go
// nowhere and spin the loop.
func TestAddNilHandler(t *testing.T) {
	l := newLoop(t, nil)
	r, _ := pollertest.SocketPair(t)
	if err := l.AddHandler(r, poller.Readable, nil); !errors.Is(err, loop.ErrNilHandler) {
		t.Fatalf("AddHandler(nil) = %v, want ErrNilHandler", err)
	}
	if _, ok := l.Events(r); ok {
		t.Fatal("a refused handler's descriptor is registered")
	}
}
