//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package poller

import (
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// kqueue is the backend for macOS and the BSDs: level-triggered kqueue
// (EV_ADD without EV_CLEAR) with a pipe waker.
//
// kqueue watches (descriptor, filter) pairs, not descriptors: Readable is an
// EVFILT_READ filter and Writable an EVFILT_WRITE filter, each added and
// deleted on its own, and each reported in its own event (so one descriptor
// may appear twice in a batch, as the contract allows). A descriptor's fdEntry
// ev is exactly the set of filters registered in the kernel, so that a
// change only ever deletes filters that exist (EV_DELETE of a missing one
// fails with ENOENT).
//
// Tokens live in fdTable, found by the event's Ident, and never in Udata:
// Udata is a pointer on most BSDs, and an integer hidden in a pointer field
// is unsafe for the garbage collector. The waker is recognised by its Ident.
//
// What kqueue reports:
//
//   - Hangup: EV_EOF on either filter. On EVFILT_READ it means no more data
//     will arrive (the peer shut down its writing side, which may be only a
//     half-close); on EVFILT_WRITE that nothing more can be written (the
//     reader is gone). In both cases the registered interests are reported
//     too, per the contract.
//   - Error: EV_ERROR, or EV_EOF with a nonzero Fflags, which is where the
//     kernel puts a socket's pending error (so_error).
//   - A refused or failed connect makes EVFILT_WRITE fire (with EV_EOF and
//     the error in Fflags), so it is reported as Writable|Error|Hangup.
//
// None: kqueue has no filter-less registration, so a descriptor registered
// with None has nothing in the kernel at all. Its errors and hangups are not
// reported until an interest is set again; a consumer that parks a
// descriptor with None learns of them at its next read or write, or when it
// re-arms an interest. Add still checks that the descriptor is open.
//
// Some filters can refuse to attach, and then Add or Modify fails instead of
// reporting an event later: for example EVFILT_WRITE on a pipe whose reader
// is closed fails with EPIPE on FreeBSD, and EVFILT_WRITE on a regular file
// fails with EINVAL on macOS.
type kqueue struct {
	kq     int
	w      *waker
	fds    fdTable
	buf    []unix.Kevent_t
	ts     unix.Timespec // Wait's timeout, kept here so Wait does not allocate
	chg    [len(kqFilters)]unix.Kevent_t
	res    [len(kqFilters)]unix.Kevent_t
	closed bool
}

// kqFilters pairs each interest with the kqueue filter that watches it.
var kqFilters = [...]struct {
	ev     Events
	filter int
}{
	{Readable, unix.EVFILT_READ},
	{Writable, unix.EVFILT_WRITE},
}

// kqNoWait is the zero timeout of the kevent calls that apply changes.
var kqNoWait unix.Timespec

// kqMaxWait bounds Wait's timeout. Some kernels reject a timespec that is too
// long (macOS returns EINVAL), so longer timeouts are cut to the same bound
// the millisecond backends have; the contract lets Wait return with no
// events.
const kqMaxWait = (1<<31 - 1) * time.Millisecond

// NewKqueue returns a kqueue(2) poller.
func NewKqueue() (Poller, error) {
	// Not every BSD here has kqueue1 or a close-on-exec flag for kqueue:
	// hold ForkLock until close-on-exec is set, as for the waker's pipe.
	syscall.ForkLock.RLock()
	kq, err := unix.Kqueue()
	if err == nil {
		unix.CloseOnExec(kq)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, os.NewSyscallError("kqueue", err)
	}
	w, err := newWaker()
	if err != nil {
		unix.Close(kq)
		return nil, err
	}
	p := &kqueue{kq: kq, w: w}
	if _, err := p.change(w.rfd, None, Readable); err != nil {
		w.close()
		unix.Close(kq)
		return nil, err
	}
	return p, nil
}

func (p *kqueue) Name() string { return "kqueue" }

// change adds and deletes, in one kevent call, the filters that take fd from
// the registered set have to the set want. It returns the set registered
// afterwards, which is have with every change that succeeded applied, and
// the first error.
//
// kevent reports a failed change as an EV_ERROR entry in the event list
// (errno in Data) and still applies the others, provided the list has room
// for every error: it has one slot per change. When no change fails, the
// kernel goes on to fill the list with pending events (the timeout is zero,
// so it never blocks); those are not EV_ERROR entries and are ignored here.
// Being level-triggered, they are reported again by the next Wait.
func (p *kqueue) change(fd FD, have, want Events) (Events, error) {
	n := 0
	for _, f := range kqFilters {
		var flags int
		switch {
		case want&f.ev != 0 && have&f.ev == 0:
			flags = unix.EV_ADD
		case want&f.ev == 0 && have&f.ev != 0:
			flags = unix.EV_DELETE
		default:
			continue
		}
		p.chg[n] = unix.Kevent_t{}
		unix.SetKevent(&p.chg[n], fd, f.filter, flags)
		n++
	}
	if n == 0 {
		return have, nil
	}
	changes, results := p.chg[:n], p.res[:n]
	var got int
	var err error
	for {
		// A retry after EINTR is harmless: EV_ADD of a present filter
		// only updates it, and a repeated EV_DELETE's ENOENT is ignored.
		got, err = unix.Kevent(p.kq, changes, results, &kqNoWait)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return have, os.NewSyscallError("kevent", err)
	}
	var errs [len(kqFilters)]syscall.Errno
	for i := range got {
		r := &results[i]
		if r.Flags&unix.EV_ERROR == 0 || r.Data == 0 || int(r.Ident) != fd {
			continue
		}
		for j := range changes {
			if changes[j].Filter == r.Filter {
				errs[j] = syscall.Errno(r.Data)
			}
		}
	}
	now := have
	var first error
	for j := range changes {
		bit := kqInterest(int(changes[j].Filter))
		del := changes[j].Flags&unix.EV_DELETE != 0
		switch errno := errs[j]; {
		case errno == 0, del && errno == unix.ENOENT:
			// Deleting a filter that is already gone reached the
			// goal all the same.
			if del {
				now &^= bit
			} else {
				now |= bit
			}
		case first == nil:
			first = os.NewSyscallError("kevent", errno)
		}
	}
	return now, first
}

// kqInterest returns the interest a kqueue filter watches.
func kqInterest(filter int) Events {
	for _, f := range kqFilters {
		if f.filter == filter {
			return f.ev
		}
	}
	return None
}

func (p *kqueue) Add(fd FD, ev Events, token uint64) error {
	if p.closed {
		return ErrClosed
	}
	if fd == p.w.rfd || fd == p.w.wfd {
		return fmt.Errorf("%w: fd %d is the poller's own", ErrRegistered, fd)
	}
	ev = ev.interest()
	e, err := p.fds.add(fd, None, token)
	if err != nil {
		return err
	}
	if ev == None {
		// Nothing goes into the kernel (see the type's doc), so check
		// here that fd is open, as registering a filter would.
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			p.fds.remove(fd)
			return os.NewSyscallError("fcntl", err)
		}
		return nil
	}
	now, err := p.change(fd, None, ev)
	if err != nil {
		// Undo a half-done registration (one filter added, one refused).
		if now != None {
			p.change(fd, now, None)
		}
		p.fds.remove(fd)
		return err
	}
	e.ev = now
	return nil
}

func (p *kqueue) Modify(fd FD, ev Events, token uint64) error {
	if p.closed {
		return ErrClosed
	}
	e := p.fds.get(fd)
	if e == nil {
		return ErrNotRegistered
	}
	ev = ev.interest()
	if ev != e.ev {
		now, err := p.change(fd, e.ev, ev)
		if err != nil {
			// Put back what was there, so that a failed Modify changes
			// nothing; if even that fails, e.ev keeps tracking what
			// the kernel really has.
			if now != e.ev {
				now, _ = p.change(fd, now, e.ev)
			}
			e.ev = now
			return err
		}
		e.ev = now
	}
	e.token = token
	return nil
}

func (p *kqueue) Delete(fd FD) error {
	if p.closed {
		return ErrClosed
	}
	e := p.fds.get(fd)
	if e == nil {
		return ErrNotRegistered
	}
	have := e.ev
	p.fds.remove(fd)
	if _, err := p.change(fd, have, None); err != nil {
		return err
	}
	return nil
}

func (p *kqueue) Wait(events []Event, timeout time.Duration) (int, error) {
	if p.closed {
		return 0, ErrClosed
	}
	if len(events) == 0 {
		return 0, errNoRoom
	}
	if len(p.buf) < len(events) {
		p.buf = make([]unix.Kevent_t, len(events))
	}
	var ts *unix.Timespec
	if timeout >= 0 {
		p.ts = unix.NsecToTimespec(int64(min(timeout, kqMaxWait)))
		ts = &p.ts
	}
	n, err := unix.Kevent(p.kq, nil, p.buf[:len(events)], ts)
	if err != nil {
		if err == unix.EINTR {
			return 0, nil
		}
		return 0, os.NewSyscallError("kevent", err)
	}
	k := 0
	for i := range n {
		raw := &p.buf[i]
		fd := int(raw.Ident)
		if fd == p.w.rfd {
			p.w.drain()
			continue
		}
		e := p.fds.get(fd)
		if e == nil {
			continue
		}
		got := kqInterest(int(raw.Filter))
		if got == None {
			continue
		}
		if raw.Flags&unix.EV_EOF != 0 {
			got |= Hangup | e.ev
			if raw.Fflags != 0 {
				got |= Error
			}
		}
		if raw.Flags&unix.EV_ERROR != 0 {
			got |= Error | e.ev
		}
		events[k] = Event{Token: e.token, Events: got}
		k++
	}
	return k, nil
}

func (p *kqueue) Wake() error { return p.w.wake() }

func (p *kqueue) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	return closeBackend(p.w, p.kq)
}
