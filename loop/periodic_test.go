package loop_test

import (
	"math"
	"testing"
	"time"

	"github.com/gale-io/gale/loop"
)

func TestPeriodicSkipsMissedRuns(t *testing.T) {
	l := newLoop(t, nil)
	const period = 20 * time.Millisecond
	var calls []time.Duration
	var start time.Time
	runFor(t, l, func(done func()) {
		var p *loop.Periodic
		p = loop.NewPeriodic(l, period, 0, func() {
			calls = append(calls, time.Since(start))
			if len(calls) == 1 {
				time.Sleep(3*period + period/2) // overrun: miss three runs
			}
			if len(calls) == 4 {
				p.Stop()
				l.CallLater(3*period, done) // no call may come after Stop
			}
		})
		start = time.Now()
		p.Start()
		if !p.Running() {
			t.Error("Running false after Start")
		}
	})
	if len(calls) != 4 {
		t.Fatalf("%d calls, want 4 (a call after Stop?)", len(calls))
	}
	if calls[0] < period {
		t.Fatalf("first call after %v, want one period (%v)", calls[0], period)
	}
	// After the overrun the next call is on the original schedule, not
	// immediately (no catch-up burst): the first call ended at about 4.5
	// periods, so the next is at 5 periods or later.
	if calls[1] < 5*period {
		t.Fatalf("second call at %v: missed runs were queued, not skipped (want >= %v)", calls[1], 5*period)
	}
	// Each call is scheduled for the first multiple of the period after
	// the previous one ran, so no two calls share a period slot, however
	// late a busy machine runs them (the gap covers the few microseconds
	// between start and Start's clock); a catch-up burst would.
	for i := 2; i < len(calls); i++ {
		if calls[i]/period <= calls[i-1]/period && calls[i]-calls[i-1] < period/2 {
			t.Fatalf("calls %d and %d at %v and %v, in the same period: catch-up burst", i-1, i, calls[i-1], calls[i])
		}
	}
}

func TestPeriodicPanicKeepsSchedule(t *testing.T) {
	l := newLoop(t, &loop.Options{Logger: (&logBuffer{}).Logger()})
	n := 0
	runFor(t, l, func(done func()) {
		var p *loop.Periodic
		p = loop.NewPeriodic(l, time.Millisecond, 0.5, func() {
			n++
			if n == 3 {
				p.Stop()
				done()
				return
			}
			panic("periodic boom")
		})
		p.Start()
		p.Start() // no-op
	})
	if n != 3 {
		t.Fatalf("%d calls, want 3", n)
	}
}

func TestNewPeriodicRejectsNonPositivePeriod(t *testing.T) {
	l := newLoop(t, nil)
	defer func() {
		if recover() == nil {
			t.Fatal("NewPeriodic(0) did not panic")
		}
	}()
	loop.NewPeriodic(l, 0, 0, func() {})
}

// A jitter from 2 on could draw a zero or negative period, which would
// spin the loop; negative and NaN jitters make no sense: all are refused.
func TestNewPeriodicRejectsBadJitter(t *testing.T) {
	l := newLoop(t, nil)
	for _, j := range []float64{-0.1, 2, 3, math.NaN(), math.Inf(1)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewPeriodic with jitter %v did not panic", j)
				}
			}()
			loop.NewPeriodic(l, time.Second, j, func() {})
		}()
	}
	loop.NewPeriodic(l, time.Second, 1.99, func() {}) // in range
}

// A "never" period with jitter: a jittered period beyond the largest
// Duration saturates, as CallLater's delay does, instead of converting
// (float to int64 out of range) to a negative number and so to a period
// of 1 ns that spins the loop. Each Periodic has an even chance of
// drawing a factor above 1, so with 20 of them the old code fails
// practically always.
func TestPeriodicHugePeriodWithJitter(t *testing.T) {
	l := newLoop(t, nil)
	calls := 0
	runFor(t, l, func(done func()) {
		ps := make([]*loop.Periodic, 20)
		for i := range ps {
			ps[i] = loop.NewPeriodic(l, time.Duration(math.MaxInt64), 0.5, func() { calls++ })
			ps[i].Start()
		}
		l.CallLater(20*time.Millisecond, func() {
			for _, p := range ps {
				p.Stop()
			}
			done()
		})
	})
	if calls != 0 {
		t.Fatalf("a Periodic of period math.MaxInt64 was called %d times within 20ms", calls)
	}
}
