package loop

import (
	"errors"
	"slices"
	"testing"
	"time"
	"unsafe"
)

// The schedule arithmetic, checked exactly on the loop's clock.
func TestPeriodicScheduleArithmetic(t *testing.T) {
	l, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const period = int64(10 * time.Millisecond)
	p := NewPeriodic(l, time.Duration(period), 0, func() {})
	p.running = true

	// Behind by 3.5 periods: skip to the next multiple of the original
	// schedule that is in the future.
	now := l.clock()
	p.next = now - 3*period - period/2
	orig := p.next
	p.schedule()
	if p.next != orig+4*period {
		t.Fatalf("behind: next = orig%+d, want orig+4 periods", p.next-orig)
	}
	if p.next <= now {
		t.Fatal("next is not in the future")
	}
	// Ahead (the clock went backwards relative to next): one period on.
	p.next = l.clock() + 5*period
	orig = p.next
	p.schedule()
	if p.next != orig+period {
		t.Fatalf("ahead: next = orig%+d, want orig+1 period", p.next-orig)
	}
	p.Stop()

	// Jitter keeps each period within ±jitter/2.
	j := NewPeriodic(l, time.Duration(period), 0.2, func() {})
	j.running = true
	for range 1000 {
		j.next = l.clock() + 1000*period // ahead: next += one jittered period
		before := j.next
		j.schedule()
		d := j.next - before
		if d < period*9/10 || d > period*11/10 {
			t.Fatalf("jittered period %v outside ±10%% of %v", time.Duration(d), time.Duration(period))
		}
	}
	j.Stop()
}

// A Periodic restarted from inside its own function (Stop, then Start)
// makes its next call a period after that Start, as Start documents: the
// end of the running call does not schedule it once more (it made it two
// periods).
func TestPeriodicRestartInsideCall(t *testing.T) {
	l, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var p *Periodic
	var want, got int64
	p = NewPeriodic(l, time.Hour, 0, func() {
		p.Stop()
		p.Start()
		want = p.next
		l.CallLater(0, func() { // after the call has returned
			got = p.next
			p.Stop()
			l.Stop()
		})
	})
	p.running = true
	l.CallLater(0, p.fire) // one call now, as if the period had passed
	if err := l.Run(); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("next call %v after the restart's, want the restart's (a period after Start)", time.Duration(got-want))
	}
}

// shiftWall returns tm with its wall clock reading moved by d and its
// monotonic reading kept: a time taken before the system clock was set -d
// away, seen from after. (time.Time is {wall uint64; ext int64; loc}, and
// with a monotonic reading wall holds the seconds from 1885 at bit 30; the
// result is checked, and the test skipped should that change.)
func shiftWall(t testing.TB, tm time.Time, d time.Duration) time.Time {
	t.Helper()
	shifted := tm
	w := (*uint64)(unsafe.Pointer(&shifted))
	*w = uint64(int64(*w) + int64(d/time.Second)<<30)
	if shifted.Sub(tm) != 0 || shifted.Round(0).Sub(tm.Round(0)) != d {
		t.Skip("cannot shift a time.Time's wall reading on this Go version")
	}
	return shifted
}

// CallAt of a time with no monotonic reading (from time.Unix or time.Date,
// parsed, or stripped with Round(0)) is a wall clock deadline, counted from
// the wall clock at the call, as Tornado converts its deadlines to a delay
// at scheduling. It was counted from the wall clock when the loop was made
// (plus the monotonic time since): once the system clock had been stepped
// (NTP setting a clock that booted in 1970, a resume from suspend, which
// CLOCK_MONOTONIC does not count) such a timer ran as much too late or too
// early.
func TestCallAtWallClockAfterClockStep(t *testing.T) {
	// The system clock was set an hour ahead, or back, after New.
	for _, step := range []time.Duration{time.Hour, -time.Hour} {
		l, err := New(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		l.base = shiftWall(t, l.base, -step)
		start := time.Now()
		var order []int
		_, err = RunSync(l, 10*time.Second, func(done func(struct{}, error)) {
			at := time.Now().Round(0).Add(50 * time.Millisecond)
			for i := range 100 { // equal deadlines still run in the order added
				l.CallAt(at, func() { order = append(order, i) })
			}
			l.CallAt(at, func() { done(struct{}{}, nil) })
		})
		if errors.Is(err, ErrTimeout) {
			t.Fatalf("clock set %v: a wall clock deadline 50ms away did not run within 10s", step)
		} else if err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el < 40*time.Millisecond {
			t.Fatalf("clock set %v: a wall clock deadline 50ms away ran after %v", step, el)
		}
		if !slices.IsSorted(order) || len(order) != 100 {
			t.Fatalf("clock set %v: equal wall clock deadlines ran in the order %v", step, order)
		}
	}
}
