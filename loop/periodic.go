package loop

import (
	"math"
	"math/rand/v2"
	"time"
)

// Periodic calls a function on a loop every period, with Tornado's
// PeriodicCallback semantics: the first call comes one period after Start;
// if a call overruns (or the loop was busy) the missed runs are skipped, not
// queued, and the schedule stays on multiples of the original period; calls
// never overlap; a panic is logged and the schedule goes on. All methods
// belong to the loop's goroutine.
type Periodic struct {
	l       *Loop
	f       func()
	period  time.Duration
	jitter  float64
	running bool
	starts  uint64 // Start calls so far: fire tells a restart inside f
	next    int64  // loop clock of the next call
	timer   Timer
	run     func() // p.fire, bound once so scheduling allocates nothing
}

// NewPeriodic returns a stopped Periodic that calls f every period. A
// non-zero jitter varies each period by up to ±jitter/2 of it (0.1 gives
// ±5%), so that many periodic tasks started together spread out. It panics
// if period <= 0, as time.NewTicker does, and if jitter is not in [0, 2)
// (from 2 on, a period could come out zero or negative: a busy loop).
func NewPeriodic(l *Loop, period time.Duration, jitter float64, f func()) *Periodic {
	if period <= 0 {
		panic("loop: non-positive period for NewPeriodic")
	}
	if !(jitter >= 0 && jitter < 2) { // (NaN too)
		panic("loop: jitter for NewPeriodic not in [0, 2)")
	}
	p := &Periodic{l: l, f: f, period: period, jitter: jitter}
	p.run = p.fire
	return p
}

// Start starts the calls; the first one comes a period from now. Starting a
// running Periodic does nothing.
func (p *Periodic) Start() {
	if p.running {
		return
	}
	p.running = true
	p.starts++
	p.next = p.l.clock()
	p.schedule()
}

// Stop stops the calls. A Stop from inside the function itself takes
// effect at once: no further call is scheduled.
func (p *Periodic) Stop() {
	p.running = false
	p.timer.Cancel()
}

// Running reports whether the Periodic is started.
func (p *Periodic) Running() bool { return p.running }

func (p *Periodic) fire() {
	if !p.running {
		return
	}
	starts := p.starts
	defer func() { // after a panic too
		if p.starts == starts { // not restarted by f: Start scheduled that
			p.schedule()
		}
	}()
	p.f()
}

// schedule advances next past now by whole periods, skipping missed runs.
func (p *Periodic) schedule() {
	if !p.running {
		return
	}
	period := int64(p.period)
	if p.jitter != 0 {
		// Converted with bounds: a float beyond int64's range (a huge
		// period drawn longer) converts to a negative number on amd64.
		switch f := float64(period) * (1 + p.jitter*(rand.Float64()-0.5)); {
		case f >= math.MaxInt64:
			period = math.MaxInt64
		case f >= 1:
			period = int64(f)
		default: // below 1 ns, or NaN
			period = 1
		}
	}
	now := p.l.clock()
	if p.next <= now {
		p.next = addClock(p.next, time.Duration(((now-p.next)/period+1)*period))
	} else {
		p.next = addClock(p.next, time.Duration(period))
	}
	p.timer.Cancel()
	p.timer = p.l.callAtClock(p.next, p.run)
}
