package loop

import (
	"math"
	"time"
)

// Timer is a handle to a callback scheduled with CallLater or CallAt. It is
// a small value: copy it freely. The zero Timer is not scheduled. Like every
// loop method, Cancel and Pending belong to the loop's goroutine.
type Timer struct {
	l    *Loop
	slot uint32
	gen  uint32
}

// Cancel stops the timer and reports whether it did: false if the timer had
// already run, was cancelled, or is the zero Timer. Cancelling a timer that
// is due but has not run yet (say, from another timer's callback in the same
// iteration) keeps it from running. It costs O(log n) in the number of
// pending timers.
func (t Timer) Cancel() bool {
	if t.l == nil {
		return false
	}
	return t.l.timers.cancel(t.slot, t.gen)
}

// Pending reports whether the timer is still waiting to run.
func (t Timer) Pending() bool {
	return t.l != nil && t.l.timers.live(t.slot, t.gen)
}

// CallLater runs f on the loop's goroutine after d (at once, on the next
// iteration, if d <= 0). Timers with equal deadlines run in the order they
// were added. A timer added by a timer callback runs on a later iteration,
// never in the batch that added it.
func (l *Loop) CallLater(d time.Duration, f func()) Timer {
	return l.callAtClock(addClock(l.clock(), d), f)
}

// addClock returns the loop clock d after now, saturating: a huge d (such
// as math.MaxInt64 for "never") must not wrap around into the past.
func addClock(now int64, d time.Duration) int64 {
	if d <= 0 {
		return now
	}
	if now > 0 && int64(d) > math.MaxInt64-now {
		return math.MaxInt64
	}
	return now + int64(d)
}

// CallAt runs f on the loop's goroutine at t, measured on the monotonic
// clock when t has a monotonic reading (as time.Now and its Add results
// do), so changes to the wall clock do not move it. A t without one (from
// time.Unix or time.Date, say) is a wall clock time: the delay to it is
// reckoned on the wall clock at the call, as Tornado does. A time in the
// past runs on the next iteration.
func (l *Loop) CallAt(t time.Time, f func()) Timer {
	if t != t.Round(0) { // a monotonic reading, which Round(0) strips
		return l.callAtClock(int64(t.Sub(l.base)), f)
	}
	return l.callAtClock(l.wallToClock(t), f)
}

// wallToClock converts a wall clock time to the loop's clock as the wall
// clock reads now. Not through l.base's wall reading: that would measure
// from the wall clock at New, off by every step of the system clock since
// (NTP setting a clock that started in 1970, a resume from suspend, which
// the monotonic clock does not count).
func (l *Loop) wallToClock(t time.Time) int64 {
	now := time.Now()
	// wallZero, the wall clock at loop clock 0, is measured anew only when
	// it moved by more than a millisecond (the clock was stepped): measured
	// on every call, it would jitter by the nanoseconds between the reads
	// of the two clocks, and equal deadlines would not keep their order.
	zero := now.Round(0).Add(-now.Sub(l.base))
	if l.wallZero.IsZero() || zero.Sub(l.wallZero).Abs() > time.Millisecond {
		l.wallZero = zero
	}
	return int64(t.Sub(l.wallZero)) // saturates for times centuries away
}

func (l *Loop) callAtClock(when int64, f func()) Timer {
	slot, gen := l.timers.push(when, f)
	return Timer{l: l, slot: slot, gen: gen}
}

// runTimers runs the timers that are due now and were scheduled before this
// batch began (seq below the counter at the start), so a timer that keeps
// re-adding itself with no delay cannot hold the loop here.
func (l *Loop) runTimers() {
	if l.timers.len() == 0 {
		return
	}
	now := l.clock()
	limit := l.timers.seq
	l.timers.floor, l.timers.inBatch = now, true
	for {
		f, ok := l.timers.popDue(now, limit)
		if !ok {
			l.timers.inBatch = false
			return
		}
		l.runTimer(f)
	}
}

func (l *Loop) runTimer(f func()) {
	defer func() {
		if r := recover(); r != nil {
			l.logPanic("timer", r)
		}
	}()
	f()
}

// timerQueue is a 4-ary min-heap of deadlines ordered by (when, seq), over a
// slab of timer slots recycled through a free list, so scheduling and
// cancelling allocate nothing once the slab has grown. A Timer names a slot
// and its generation; the generation changes each time the slot is freed,
// so stale handles are recognised.
type timerQueue struct {
	heap  []heapEntry
	slots []timerSlot
	free  []uint32
	seq   uint64

	// While runTimers runs a batch, inBatch is set and floor is the
	// batch's now: a timer added then with an earlier deadline (CallAt in
	// the past) is moved up to floor, behind every timer of the batch.
	// Sorted first, it would end the batch (it may only run on a later
	// iteration) and hold back the due timers behind it, on every
	// iteration if it keeps re-adding itself.
	floor   int64
	inBatch bool
}

type heapEntry struct {
	when int64
	seq  uint64
	slot uint32
}

type timerSlot struct {
	f   func()
	pos int32 // index in heap, or -1 when not scheduled
	gen uint32
}

func (q *timerQueue) len() int { return len(q.heap) }

// next returns the earliest deadline; the queue must not be empty.
func (q *timerQueue) next() int64 { return q.heap[0].when }

func (q *timerQueue) push(when int64, f func()) (uint32, uint32) {
	var slot uint32
	if n := len(q.free); n > 0 {
		slot = q.free[n-1]
		q.free = q.free[:n-1]
	} else {
		slot = uint32(len(q.slots))
		q.slots = append(q.slots, timerSlot{pos: -1})
	}
	s := &q.slots[slot]
	s.f = f
	if q.inBatch && when < q.floor {
		when = q.floor
	}
	q.seq++
	q.heap = append(q.heap, heapEntry{when: when, seq: q.seq, slot: slot})
	s.pos = int32(len(q.heap) - 1)
	q.up(len(q.heap) - 1)
	return slot, s.gen
}

func (q *timerQueue) live(slot, gen uint32) bool {
	return int(slot) < len(q.slots) && q.slots[slot].gen == gen && q.slots[slot].pos >= 0
}

func (q *timerQueue) cancel(slot, gen uint32) bool {
	if !q.live(slot, gen) {
		return false
	}
	q.removeAt(int(q.slots[slot].pos))
	return true
}

// popDue removes and returns the earliest timer if it is due at now and
// was scheduled before limit.
func (q *timerQueue) popDue(now int64, limit uint64) (func(), bool) {
	if len(q.heap) == 0 || q.heap[0].when > now || q.heap[0].seq > limit {
		return nil, false
	}
	f := q.slots[q.heap[0].slot].f
	q.removeAt(0)
	return f, true
}

// removeAt takes heap[i] out and frees its slot.
func (q *timerQueue) removeAt(i int) {
	slot := q.heap[i].slot
	last := len(q.heap) - 1
	if i != last {
		q.heap[i] = q.heap[last]
		q.slots[q.heap[i].slot].pos = int32(i)
	}
	q.heap = q.heap[:last]
	if i != last {
		if !q.up(i) {
			q.down(i)
		}
	}
	s := &q.slots[slot]
	s.f = nil
	s.pos = -1
	s.gen++
	q.free = append(q.free, slot)
}

func (q *timerQueue) reset() {
	*q = timerQueue{}
}

func (e *heapEntry) less(o *heapEntry) bool {
	return e.when < o.when || (e.when == o.when && e.seq < o.seq)
}

// up moves heap[i] towards the root and reports whether it moved.
func (q *timerQueue) up(i int) bool {
	start := i
	e := q.heap[i]
	for i > 0 {
		parent := (i - 1) / 4
		if !e.less(&q.heap[parent]) {
			break
		}
		q.heap[i] = q.heap[parent]
		q.slots[q.heap[i].slot].pos = int32(i)
		i = parent
	}
	q.heap[i] = e
	q.slots[e.slot].pos = int32(i)
	return i != start
}

func (q *timerQueue) down(i int) {
	n := len(q.heap)
	e := q.heap[i]
	for {
		first := 4*i + 1
		if first >= n {
			break
		}
		best := first
		for c := first + 1; c < first+4 && c < n; c++ {
			if q.heap[c].less(&q.heap[best]) {
				best = c
			}
		}
		if !q.heap[best].less(&e) {
			break
		}
		q.heap[i] = q.heap[best]
		q.slots[q.heap[i].slot].pos = int32(i)
		i = best
	}
	q.heap[i] = e
	q.slots[e.slot].pos = int32(i)
}
