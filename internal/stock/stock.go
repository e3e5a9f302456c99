// Package stock keeps, per loop, a few values for reuse: drained buffers
// that a busy connection takes for each message and gives back after it.
// Served from the loop's own slot (loop.Local), they come and go without
// the per-processor pinning of a sync.Pool round trip. A stock is bounded
// (Max values) and belongs to its loop's goroutine.
package stock

import "github.com/gale-io/gale/loop"

// Max is the most values a stock keeps: with one connection at a time
// running on a loop, a single buffer cycles in steady state.
const Max = 4

// Stack is a bounded last-in first-out stock of T. The zero value is empty.
type Stack[T any] struct {
	n     int
	items [Max]T
}

// Key names one kind of stock in every loop; make one per kind, at package
// level.
type Key[T any] struct{ k loop.LocalKey }

// NewKey returns a key for stocks of T.
func NewKey[T any]() Key[T] { return Key[T]{loop.NewLocalKey()} }

// Of returns l's stock for k, making it on first use.
func Of[T any](l *loop.Loop, k Key[T]) *Stack[T] {
	p := l.Local(k.k)
	s, _ := (*p).(*Stack[T])
	if s == nil {
		s = new(Stack[T])
		*p = s
	}
	return s
}

// Top returns the value Pop would return, without taking it.
func (s *Stack[T]) Top() (v T, ok bool) {
	if s.n == 0 {
		return v, false
	}
	return s.items[s.n-1], true
}

// Pop takes the most recently pushed value.
func (s *Stack[T]) Pop() (v T, ok bool) {
	if s.n == 0 {
		return v, false
	}
	s.n--
	v = s.items[s.n]
	var zero T
	s.items[s.n] = zero
	return v, true
}

// Push stocks v, reporting false (v not kept) when the stock is full.
func (s *Stack[T]) Push(v T) bool {
	if s.n == Max {
		return false
	}
	s.items[s.n] = v
	s.n++
	return true
}

// Len returns the number of values stocked.
func (s *Stack[T]) Len() int { return s.n }
