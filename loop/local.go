package loop

import "sync/atomic"

// A LocalKey names one value that every loop keeps for its user (Local):
// per-loop state, such as a cache of buffers, that the loop's goroutine
// reads and writes without locks. Make keys once, at package level, with
// NewLocalKey.
type LocalKey struct{ i int32 }

var localKeys atomic.Int32

// NewLocalKey returns a key distinct from every other. Keys are never
// freed: make a fixed few at package initialisation, not one per
// connection.
func NewLocalKey() LocalKey { return LocalKey{localKeys.Add(1) - 1} }

// Local returns the loop's slot for k, which holds nil until something is
// stored in it. Like every Loop method but Post and Stop it belongs to the
// loop's goroutine (or to setup before Run): the slot is unsynchronised.
// Do not keep the pointer: call Local each time, since a key made later
// may move the slots. It costs an index (about a nanosecond) and, the
// first time a loop sees a key made after its last growth, a small
// allocation.
func (l *Loop) Local(k LocalKey) *any {
	if int(k.i) >= len(l.locals) {
		grown := make([]any, max(int(k.i)+1, int(localKeys.Load())))
		copy(grown, l.locals)
		l.locals = grown
	}
	return &l.locals[k.i]
}
