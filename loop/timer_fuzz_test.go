package loop

import (
	"slices"
	"testing"
)

// FuzzTimerQueue drives the timer heap with a random program of pushes,
// cancels (of live and stale handles) and pops, and checks every result
// against a plain sorted-slice model.
func FuzzTimerQueue(f *testing.F) {
	f.Add([]byte{0, 5, 0, 3, 1, 0, 2, 9, 0, 3, 1, 1, 2, 9})
	f.Add([]byte{0, 1, 0, 1, 0, 1, 2, 1, 2, 1, 2, 1})
	f.Fuzz(func(t *testing.T, prog []byte) {
		var q timerQueue
		type model struct {
			when int64
			seq  uint64
			id   int
		}
		var live []model
		type handle struct{ slot, gen uint32 }
		var handles []handle
		ids := map[handle]int{}
		fired := -1
		for i := 0; i+1 < len(prog); i += 2 {
			op, arg := prog[i]%3, int64(prog[i+1])
			switch op {
			case 0: // push at time arg
				id := len(handles)
				slot, gen := q.push(arg, func() { fired = id })
				h := handle{slot, gen}
				handles = append(handles, h)
				ids[h] = id
				live = append(live, model{arg, q.seq, id})
			case 1: // cancel handle number arg (maybe fired or cancelled)
				if len(handles) == 0 {
					continue
				}
				h := handles[int(arg)%len(handles)]
				id := int(arg) % len(handles)
				want := slices.IndexFunc(live, func(m model) bool { return m.id == id })
				got := q.cancel(h.slot, h.gen)
				if got != (want >= 0) {
					t.Fatalf("cancel of timer %d: %v, model says %v", id, got, want >= 0)
				}
				if want >= 0 {
					live = slices.Delete(live, want, want+1)
				}
			case 2: // pop everything due at time arg
				for {
					fired = -1
					fn, ok := q.popDue(arg, q.seq)
					slices.SortFunc(live, func(a, b model) int {
						if a.when != b.when {
							return int(a.when - b.when)
						}
						return int(a.seq) - int(b.seq)
					})
					wantOK := len(live) > 0 && live[0].when <= arg
					if ok != wantOK {
						t.Fatalf("popDue(%d): %v, model says %v", arg, ok, wantOK)
					}
					if !ok {
						break
					}
					fn()
					if fired != live[0].id {
						t.Fatalf("popDue(%d) gave timer %d, model says %d", arg, fired, live[0].id)
					}
					live = live[1:]
				}
			}
			if q.len() != len(live) {
				t.Fatalf("queue holds %d, model %d", q.len(), len(live))
			}
		}
	})
}
