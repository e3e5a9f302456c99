package stream_test

import (
	"errors"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/stream"
)

// An idle stream (no read, no write, no close callback) whose peer resets
// the connection learns it from the poller's error report and closes, so
// its owner (a server counting connections with Options.OnClose) lets it
// go, even while it still had the read registration of its last read.
func TestIdleStreamClosesOnReset(t *testing.T) {
	if runtime.GOOS == "windows" {
		// Measured under wine: the WSAPoll fallback reports no error for
		// the reset of a socket that is idle, so the stream learns of it
		// at its next read or write (as it does on every system for a
		// stream that is not registered at all).
		t.Skip("the Windows fallback reports a reset to an idle stream only at its next read or write")
	}
	l := newLoop(t)
	var watched *stream.Stream
	var got error
	timedOut := false
	var finish func()
	opts := &stream.Options{OnClose: func(s *stream.Stream, err error) {
		if s == watched && finish != nil {
			got = err
			finish()
		}
	}}
	a, b := pair(t, l, opts)
	watched = b
	testloop.Run(t, l, func(done func()) {
		watchdog := l.CallLater(2*time.Second, func() { timedOut = true; done() })
		finish = func() { watchdog.Cancel(); done(); finish = nil }
		mustWrite(t, a, "x")
		b.ReadBytes(1, false, func([]byte, error) { // b is registered, then idle
			mustWrite(t, b, "unread") // a never reads it: closing a resets
			l.Post(a.Close)
		})
	})
	if timedOut {
		t.Fatal("the idle stream stayed open after its peer reset the connection")
	}
	if !errors.Is(got, syscall.ECONNRESET) {
		t.Fatalf("idle stream closed with %v, want ECONNRESET", got)
	}
}
