package loop

import (
	"errors"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gale-io/gale/poller"
)

// parker waits for an epoll poller's readiness on Go's scheduler: the
// loop's goroutine parks in Go's runtime poller instead of blocking its
// thread in Wait, so the processor it ran on is free for other goroutines
// while the loop is idle (Options.HoldThread).
//
// Go's runtime poller watches a second epoll instance, gate, in which the
// loop's own instance is registered for good, but with no events asked
// while the loop works: had it asked for readiness all along, every
// readiness of every socket would travel up the nested wakeup chain into
// the runtime poller, and wake an idle thread in it, even while the loop
// is busy. A park asks for EPOLLIN for its duration (one EPOLL_CTL_MOD
// each way). Registering the loop's instance for each park instead
// (EPOLL_CTL_ADD, then DEL) would cost far more: adding an epoll instance
// to another makes the kernel walk every descriptor of the added one to
// rule out cycles, 84 µs per park with 1,000 connections and 0.4 ms with
// 5,000, where a MOD costs half a microsecond whatever the count.

type parker struct {
	gate *os.File
	rc   syscall.RawConn
	gfd  int // gate's descriptor (gate owns it)
	pfd  int // the poller's epoll descriptor
	fn   func(uintptr) bool

	hasDeadline bool

	// The poll the runtime poller's callback makes, and its result.
	p      poller.Poller
	woken  *atomic.Bool // the loop's: set before a Wake, which Wait drains silently
	events []poller.Event
	n      int
	err    error
}

// newParker returns a parker for p, or nil when p is not a Parker or the
// runtime poller cannot take the gate.
func newParker(p poller.Poller, woken *atomic.Bool) *parker {
	pp, ok := p.(poller.Parker)
	if !ok {
		return nil
	}
	gfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil
	}
	// Non-blocking, so that os.NewFile hands it to the runtime poller.
	if err := unix.SetNonblock(gfd, true); err != nil {
		unix.Close(gfd)
		return nil
	}
	gate := os.NewFile(uintptr(gfd), "gale-loop-gate")
	rc, err := gate.SyscallConn()
	if err != nil {
		gate.Close()
		return nil
	}
	pk := &parker{gate: gate, rc: rc, gfd: gfd, pfd: pp.ParkFD(), p: p, woken: woken}
	// Registered once, asking nothing (see wait), while the loop's
	// instance is small: this ADD is the one that walks it.
	if err := unix.EpollCtl(gfd, unix.EPOLL_CTL_ADD, pk.pfd, &unix.EpollEvent{Fd: int32(pk.pfd)}); err != nil {
		gate.Close()
		return nil
	}
	pk.fn = pk.poll
	return pk
}

// poll is the runtime poller's read attempt: a Wait that does not block.
// It runs first right after the runtime poller forgot any earlier
// readiness of gate, so readiness that came before is seen here and
// readiness that comes after wakes the goroutine: none is lost.
func (pk *parker) poll(uintptr) bool {
	pk.n, pk.err = pk.p.Wait(pk.events, 0)
	// A Wake is reported by no event (the poller drains its waker), only
	// by the loop's flag, which the waker sets before waking.
	return pk.n > 0 || pk.err != nil || pk.woken.Load()
}

// wait is Wait(events, timeout) on Go's scheduler: it polls, and while
// there is nothing it parks the goroutine until the poller has something
// to report or timeout passes (negative: no timeout).
func (pk *parker) wait(events []poller.Event, timeout time.Duration) (int, error) {
	// A busy loop finds something at once: no gate, no runtime poller.
	if n, err := pk.p.Wait(events, 0); n > 0 || err != nil || pk.woken.Load() {
		return n, err
	}
	if timeout > 0 {
		pk.gate.SetReadDeadline(time.Now().Add(timeout))
		pk.hasDeadline = true
	} else if pk.hasDeadline {
		pk.gate.SetReadDeadline(time.Time{})
		pk.hasDeadline = false
	}
	// Arm: from now on the loop's readiness reaches the runtime poller
	// (at once if it is ready already).
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(pk.pfd)}
	if err := unix.EpollCtl(pk.gfd, unix.EPOLL_CTL_MOD, pk.pfd, &ev); err != nil {
		// Cannot park: wait the blocking way.
		return pk.p.Wait(events, timeout)
	}
	pk.events = events
	err := pk.rc.Read(pk.fn)
	pk.events = nil
	// Disarm: asking for nothing also drops the instance from gate's
	// ready list the next time gate is polled.
	ev.Events = 0
	unix.EpollCtl(pk.gfd, unix.EPOLL_CTL_MOD, pk.pfd, &ev)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return 0, nil
		}
		return 0, err
	}
	return pk.n, pk.err
}

func (pk *parker) close() { pk.gate.Close() }
