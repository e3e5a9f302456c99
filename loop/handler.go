package loop

import (
	"errors"
	"fmt"

	"github.com/gale-io/gale/internal/paged"
	"github.com/gale-io/gale/poller"
)

// Re-exported readiness names, so users of loop need not import poller.
const (
	// Readable: reading will not block (see poller.Readable).
	Readable = poller.Readable
	// Writable: writing will not block (see poller.Writable).
	Writable = poller.Writable
	// Error: the descriptor has a pending error; always delivered.
	Error = poller.Error
	// Hangup: the peer hung up; always delivered.
	Hangup = poller.Hangup
	// None: registered, but only Error and Hangup are delivered.
	None = poller.None
)

// Handler handles readiness events for one descriptor. HandleEvents runs on
// the loop's goroutine with the registered interests that are ready, plus
// Error and Hangup whenever they occur (see package poller for what they
// mean). Readiness is level-triggered: a handler may do part of the work
// (Loop.IOBudget bytes is the guide) and is called again on the next
// iteration while the descriptor stays ready. A handler may update or
// remove its own registration, or any other.
type Handler interface {
	HandleEvents(fd poller.FD, ev poller.Events)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(fd poller.FD, ev poller.Events)

// HandleEvents calls f(fd, ev).
func (f HandlerFunc) HandleEvents(fd poller.FD, ev poller.Events) { f(fd, ev) }

// handlerTable is the loop's registry of descriptors: slots recycled through
// a free list, each with a generation that changes when the slot is freed.
// The poller token is gen<<32 | slot, so an event collected before its
// descriptor was removed (and perhaps closed, its number reused and
// registered again) in the same batch carries an old generation and is
// dropped, as libuv and mio do.
type handlerTable struct {
	slots paged.Array[handlerSlot] // in pages: they never move
	n     uint32                   // slots in use or on the free list
	free  []uint32
	byFD  fdIndex // descriptor -> slot
}

type handlerSlot struct {
	h   Handler
	fd  poller.FD
	ev  poller.Events
	gen uint32
}

func (t *handlerTable) init() { t.byFD.init() }

func (t *handlerTable) registered() []poller.FD {
	var fds []poller.FD
	for i := range int(t.n) {
		if s := t.slots.At(i); s.h != nil {
			fds = append(fds, s.fd)
		}
	}
	return fds
}

// ErrNilHandler is AddHandler's error for a nil Handler.
var ErrNilHandler = errors.New("loop: nil Handler")

func token(slot, gen uint32) uint64 { return uint64(gen)<<32 | uint64(slot) }

// AddHandler registers fd with the poller and calls h when any of the events
// in ev (Readable, Writable, both, or None) is ready. Adding a descriptor
// twice is an error (poller.ErrRegistered), as in Tornado. A nil h is an
// error too (ErrNilHandler): its events would go nowhere while the
// level-triggered poller reported them again on every turn.
func (l *Loop) AddHandler(fd poller.FD, ev poller.Events, h Handler) error {
	if l.isClosed() {
		return ErrClosed
	}
	if h == nil {
		return ErrNilHandler
	}
	t := &l.fds
	if _, ok := t.byFD.get(fd); ok {
		return fmt.Errorf("%w: fd %v added twice", poller.ErrRegistered, fd)
	}
	var slot uint32
	if n := len(t.free); n > 0 {
		slot = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		slot = t.n
		t.n++
		t.slots.Grow(int(t.n))
	}
	s := t.slots.At(int(slot))
	ev &= Readable | Writable
	if err := l.p.Add(fd, ev, token(slot, s.gen)); err != nil {
		t.free = append(t.free, slot)
		return err
	}
	s.h, s.fd, s.ev = h, fd, ev
	t.byFD.set(fd, slot)
	return nil
}

// UpdateHandler changes the events fd's handler is called for. Setting the
// interest it already has costs no system call.
func (l *Loop) UpdateHandler(fd poller.FD, ev poller.Events) error {
	t := &l.fds
	slot, ok := t.byFD.get(fd)
	if !ok {
		return fmt.Errorf("%w: fd %v", poller.ErrNotRegistered, fd)
	}
	s := t.slots.At(int(slot))
	ev &= Readable | Writable
	if ev == s.ev {
		return nil
	}
	if err := l.p.Modify(fd, ev, token(slot, s.gen)); err != nil {
		return loopErr(err)
	}
	s.ev = ev
	return nil
}

// loopErr returns the loop's ErrClosed for the poller's, which a closed
// loop's poller returns: ErrClosed is what the handler methods promise.
func loopErr(err error) error {
	if errors.Is(err, poller.ErrClosed) {
		return ErrClosed
	}
	return err
}

// Events returns the interest set fd is registered with, and whether it is
// registered.
func (l *Loop) Events(fd poller.FD) (poller.Events, bool) {
	slot, ok := l.fds.byFD.get(fd)
	if !ok {
		return 0, false
	}
	return l.fds.slots.At(int(slot)).ev, true
}

// RemoveHandler unregisters fd; its handler is not called again, not even
// for events already collected in the current iteration. Removing a
// descriptor that is not registered does nothing, as in Tornado. Remove
// before closing the descriptor. The registration is gone even when the
// poller reports an error, which RemoveHandler returns.
func (l *Loop) RemoveHandler(fd poller.FD) error {
	t := &l.fds
	slot, ok := t.byFD.get(fd)
	if !ok {
		return nil
	}
	t.byFD.del(fd)
	s := t.slots.At(int(slot))
	*s = handlerSlot{gen: s.gen + 1}
	t.free = append(t.free, slot)
	return loopErr(l.p.Delete(fd))
}

// dispatch delivers the first n events of the batch. A handler that panics
// is logged and the rest of the batch still runs.
func (l *Loop) dispatch(n int) {
	for i := 0; i < n; {
		i = l.dispatchFrom(n, i)
	}
}

func (l *Loop) dispatchFrom(n, i int) (next int) {
	defer func() {
		if r := recover(); r != nil {
			l.logPanic("fd handler", r)
			next = i
		}
	}()
	t := &l.fds
	for i < n {
		e := l.events[i]
		i++
		slot, gen := uint32(e.Token), uint32(e.Token>>32)
		if slot >= t.n {
			continue
		}
		s := t.slots.At(int(slot))
		if s.gen != gen || s.h == nil {
			continue // removed (and perhaps reused) earlier in this batch
		}
		// Drop interests removed earlier in this batch.
		ev := e.Events & (s.ev | Error | Hangup)
		if ev == 0 {
			continue
		}
		s.h.HandleEvents(s.fd, ev)
	}
	return i
}
