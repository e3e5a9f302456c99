package loop_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gale-io/gale/loop"
)

func TestTimersFireInDeadlineOrder(t *testing.T) {
	l := newLoop(t, nil)
	const n = 2000
	type rec struct {
		when time.Time
		idx  int
	}
	var fired []rec
	runFor(t, l, func(done func()) {
		base := l.Now()
		for i := range n {
			when := base.Add(time.Duration(rand.IntN(50)) * time.Millisecond)
			l.CallAt(when, func() {
				if l.Now().Before(when) {
					t.Errorf("timer %d fired early", i)
				}
				fired = append(fired, rec{when, i})
				if len(fired) == n {
					done()
				}
			})
		}
	})
	for i := 1; i < len(fired); i++ {
		a, b := fired[i-1], fired[i]
		if b.when.Before(a.when) || (b.when.Equal(a.when) && b.idx < a.idx) {
			t.Fatalf("timer %d (at %v) fired after timer %d (at %v)", b.idx, b.when, a.idx, a.when)
		}
	}
}

func TestTimersEqualDeadlinesFIFO(t *testing.T) {
	l := newLoop(t, nil)
	var got []int
	runFor(t, l, func(done func()) {
		at := l.Now().Add(5 * time.Millisecond)
		for i := range 1000 {
			l.CallAt(at, func() { got = append(got, i) })
		}
		l.CallAt(at, done)
	})
	if !slices.IsSorted(got) || len(got) != 1000 {
		t.Fatalf("equal deadlines did not run FIFO (%d ran)", len(got))
	}
}

func TestOneMillionTimers(t *testing.T) {
	if testing.Short() {
		t.Skip("one million timers: skipped in -short mode")
	}
	l := newLoop(t, nil)
	const n = 1_000_000
	whens := make([]int64, n) // offsets, in microseconds
	fired := 0
	lastWhen, lastIdx := int64(-1), -1
	cancelled := 0
	runFor(t, l, func(done func()) {
		base := l.Now()
		timers := make([]loop.Timer, n)
		for i := range n {
			whens[i] = rand.Int64N(200_000)
			timers[i] = l.CallAt(base.Add(time.Duration(whens[i])*time.Microsecond), func() {
				if w := whens[i]; w < lastWhen || (w == lastWhen && i < lastIdx) {
					t.Errorf("timer %d (+%dµs) after timer %d (+%dµs)", i, w, lastIdx, lastWhen)
				}
				lastWhen, lastIdx = whens[i], i
				fired++
			})
		}
		// Cancel every tenth; the rest must all fire.
		for i := 0; i < n; i += 10 {
			if !timers[i].Cancel() {
				t.Fatalf("Cancel of pending timer %d returned false", i)
			}
			cancelled++
		}
		l.CallAt(base.Add(201*time.Millisecond), done)
	})
	if fired != n-cancelled {
		t.Fatalf("%d timers fired, want %d", fired, n-cancelled)
	}
}

func TestTimerCancel(t *testing.T) {
	l := newLoop(t, nil)
	var zero loop.Timer
	if zero.Cancel() || zero.Pending() {
		t.Fatal("the zero Timer claims to be scheduled")
	}
	ran := map[string]bool{}
	runFor(t, l, func(done func()) {
		// Before firing.
		before := l.CallLater(time.Millisecond, func() { ran["before"] = true })
		if !before.Pending() || !before.Cancel() || before.Pending() || before.Cancel() {
			t.Error("cancel before firing: wrong Pending/Cancel results")
		}
		// During: two timers due in the same iteration; the first cancels
		// the second, which must not run.
		at := l.Now().Add(2 * time.Millisecond)
		var second loop.Timer
		l.CallAt(at, func() {
			ran["first"] = true
			if !second.Cancel() {
				t.Error("Cancel of a due, not yet run timer returned false")
			}
		})
		second = l.CallAt(at, func() { ran["second"] = true })
		// After firing: Cancel reports false.
		var after loop.Timer
		after = l.CallLater(time.Millisecond, func() { ran["after"] = true })
		l.CallLater(10*time.Millisecond, func() {
			if after.Pending() || after.Cancel() {
				t.Error("Cancel after firing returned true")
			}
			// A timer cancelling itself while it runs: nothing to cancel.
			var self loop.Timer
			self = l.CallLater(0, func() {
				if self.Cancel() {
					t.Error("a running timer cancelled itself")
				}
				done()
			})
		})
	})
	if ran["before"] || ran["second"] || !ran["first"] || !ran["after"] {
		t.Fatalf("ran: %v", ran)
	}
}

func TestTimerStaleHandleAfterSlotReuse(t *testing.T) {
	l := newLoop(t, nil)
	runFor(t, l, func(done func()) {
		a := l.CallLater(time.Hour, func() {})
		a.Cancel()
		b := l.CallLater(time.Hour, func() {}) // reuses a's slot
		if a.Cancel() || a.Pending() {
			t.Error("a stale handle cancelled the timer that reused its slot")
		}
		if !b.Pending() || !b.Cancel() {
			t.Error("the new timer was disturbed")
		}
		done()
	})
}

func TestZeroDelayTimerDoesNotStarveCallbacks(t *testing.T) {
	l := newLoop(t, nil)
	spins := 0
	runFor(t, l, func(done func()) {
		var spin func()
		spin = func() { spins++; l.CallLater(0, spin) }
		l.CallLater(0, spin)
		go l.Post(done) // from another goroutine, while the timer spins
	})
	if spins == 0 {
		t.Fatal("the spinning timer never ran")
	}
}

func TestTimerAddedByCallbackDuringTimers(t *testing.T) {
	l := newLoop(t, nil)
	var order []string
	runFor(t, l, func(done func()) {
		l.CallLater(0, func() {
			order = append(order, "t1")
			l.CallLater(0, func() { order = append(order, "t3"); done() })
		})
		l.CallLater(0, func() { order = append(order, "t2") })
	})
	if want := []string{"t1", "t2", "t3"}; !slices.Equal(order, want) {
		t.Fatalf("order %v, want %v", order, want)
	}
}

// A timer callback that schedules a timer whose deadline has passed already
// (CallAt with a past time: a catch-up schedule, the zero Time for "as soon
// as possible") must not hold back the other timers that were due in the
// same batch: the new timer sorted first in the heap, and as it may only run
// on a later iteration, the batch stopped there, every iteration, so a
// timer that keeps doing that starved every other due timer.
func TestPastTimerAddedByTimerDoesNotStarveDueTimers(t *testing.T) {
	l := newLoop(t, nil)
	const rounds = 100
	spins, spinsWhenOtherRan := 0, -1
	runFor(t, l, func(done func()) {
		var spin func()
		spin = func() {
			spins++
			if spins == rounds {
				done()
				return
			}
			l.CallAt(time.Time{}, spin)
		}
		l.CallAt(time.Time{}, spin)
		l.CallLater(0, func() { spinsWhenOtherRan = spins })
	})
	if spinsWhenOtherRan != 1 {
		t.Fatalf("a due timer ran after %d runs of a timer rescheduling itself into the past (-1: never), want after the first", spinsWhenOtherRan)
	}
}
