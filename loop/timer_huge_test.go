package loop_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/gale-io/gale/loop"
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

// A deadline centuries in the past (the zero time.Time, say) is a time in
// the past like any other and runs on the next iteration: the loop's
// timeout, the deadline minus now, overflowed to a huge wait instead.
func TestCallAtDistantPast(t *testing.T) {
	l := newLoop(t, nil)
	fired := make(chan struct{})
	start(t, l)
	var order []int
	if err := l.Post(func() {
		l.CallAt(time.Time{}, func() { order = append(order, 1) })
		l.CallAt(time.Unix(0, 0), func() { order = append(order, 2) })
		l.CallAt(time.Time{}, func() { order = append(order, 3); close(fired) })
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-fired:
	case <-time.After(3 * time.Second):
		t.Fatal("CallAt(time.Time{}) did not run within 3s")
	}
	if got, err := loop.Call(context.Background(), l, func() ([]int, error) { return order, nil }); err != nil || len(got) != 3 || got[0] != 1 || got[1] != 3 || got[2] != 2 {
		t.Fatalf("order %v (%v), want [1 3 2]: earliest deadline first, ties in the order added", got, err)
	}
}
