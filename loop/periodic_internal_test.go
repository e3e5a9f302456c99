package loop

import (
	"testing"
	"time"
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
