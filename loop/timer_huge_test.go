package loop_test

import (
	"math"
	"testing"
	"time"
)

// A timer scheduled "never" (the largest Duration) saturates instead of
// wrapping to a deadline in the past: it does not run, and the timers
// beside it still do (a wrapped deadline made the loop wait ~292 years).
func TestCallLaterHugeDelay(t *testing.T) {
	l := newLoop(t, nil)
	hugeFired := make(chan struct{}, 1)
	shortFired := make(chan struct{})
	if err := l.Post(func() {
		l.CallLater(time.Duration(math.MaxInt64), func() { hugeFired <- struct{}{} })
		l.CallLater(20*time.Millisecond, func() { close(shortFired) })
	}); err != nil {
		t.Fatal(err)
	}
	start(t, l)
	select {
	case <-shortFired:
	case <-time.After(3 * time.Second):
		t.Fatal("a 20ms timer did not fire within 3s after CallLater(math.MaxInt64) was scheduled")
	}
	select {
	case <-hugeFired:
		t.Fatal("CallLater(math.MaxInt64) fired")
	default:
	}
}
