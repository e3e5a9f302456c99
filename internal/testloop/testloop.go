// Package testloop runs gale loops inside tests: a loop closed at cleanup,
// running it until a function says done, or on its own goroutine.
package testloop

import (
	"os"
	"sync"
	"testing"
	"time"

	"github.com/gale-io/gale/loop"
)

// Timeout bounds Run: a test whose loop does not finish by then fails.
const Timeout = 30 * time.Second

// New returns a loop that is closed when the test ends.
func New(t testing.TB, opts *loop.Options) *loop.Loop {
	t.Helper()
	l, err := loop.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// Run runs l on the calling goroutine until f calls done, failing the test
// on a timeout or error.
func Run(t testing.TB, l *loop.Loop, f func(done func())) {
	t.Helper()
	_, err := loop.RunSync(l, timeout(), func(d func(struct{}, error)) {
		f(func() { d(struct{}{}, nil) })
	})
	if err != nil {
		t.Fatalf("loop: %v", err)
	}
}

// Start runs l on a new goroutine and returns a function that stops it and
// waits for Run to return (also called at cleanup).
func Start(t testing.TB, l *loop.Loop) (stop func()) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- l.Run() }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			l.Stop()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(Timeout):
				t.Errorf("Run did not return after Stop")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func timeout() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("GALE_TEST_LOOP_TIMEOUT")); err == nil {
		return d
	}
	return Timeout
}
