package loop_test

import (
	"testing"
	"time"

	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/loop"
)

// newLoop returns a loop closed at the end of the test.
func newLoop(t testing.TB, opts *loop.Options) *loop.Loop { return testloop.New(t, opts) }

// start runs l on a new goroutine and returns a function that stops it and
// waits for Run to return.
func start(t testing.TB, l *loop.Loop) (stop func()) { return testloop.Start(t, l) }

// await fails the test if ch is not closed or sent to within 10 seconds.
func await[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// logBuffer captures logs (testloop.LogBuffer).
type logBuffer = testloop.LogBuffer

// runFor runs f on l (which must not be running) until it calls done.
func runFor(t testing.TB, l *loop.Loop, f func(done func())) { testloop.Run(t, l, f) }
