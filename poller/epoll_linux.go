//go:build linux

package poller

import (
	"errors"
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// epoll is the Linux backend: level-triggered epoll with an eventfd waker.
// The epoll data field carries the descriptor; tokens live in a table, so a
// token is never confused with the waker.
type epoll struct {
	epfd   int
	w      *waker
	fds    fdTable
	buf    []unix.EpollEvent
	closed bool
}

// NewEpoll returns an epoll(7) poller.
func NewEpoll() (Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	w, err := newWaker()
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	p := &epoll{epfd: epfd, w: w}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(w.rfd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, w.rfd, &ev); err != nil {
		w.close()
		unix.Close(epfd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return p, nil
}

func (p *epoll) Name() string { return "epoll" }

func epollInterest(ev Events) uint32 {
	var e uint32
	if ev&Readable != 0 {
		e |= unix.EPOLLIN
	}
	if ev&Writable != 0 {
		e |= unix.EPOLLOUT
	}
	return e
}

func (p *epoll) ctl(op int, fd FD, ev Events) error {
	e := unix.EpollEvent{Events: epollInterest(ev), Fd: int32(fd)}
	if err := unix.EpollCtl(p.epfd, op, fd, &e); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

func (p *epoll) Add(fd FD, ev Events, token uint64) error {
	if p.closed {
		return ErrClosed
	}
	if fd == p.w.rfd {
		return fmt.Errorf("%w: fd %d is the poller's own", ErrRegistered, fd)
	}
	if _, err := p.fds.add(fd, ev.interest(), token); err != nil {
		return err
	}
	if err := p.ctl(unix.EPOLL_CTL_ADD, fd, ev); err != nil {
		p.fds.remove(fd)
		if errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("%w: %w", ErrRegistered, err)
		}
		return err
	}
	return nil
}

func (p *epoll) Modify(fd FD, ev Events, token uint64) error {
	if p.closed {
		return ErrClosed
	}
	e := p.fds.get(fd)
	if e == nil {
		return ErrNotRegistered
	}
	ev = ev.interest()
	if ev != e.ev {
		if err := p.ctl(unix.EPOLL_CTL_MOD, fd, ev); err != nil {
			return err
		}
		e.ev = ev
	}
	e.token = token
	return nil
}

func (p *epoll) Delete(fd FD) error {
	if p.closed {
		return ErrClosed
	}
	if p.fds.get(fd) == nil {
		return ErrNotRegistered
	}
	p.fds.remove(fd)
	if err := p.ctl(unix.EPOLL_CTL_DEL, fd, 0); err != nil {
		return err
	}
	return nil
}

// ParkFD implements Parker: the epoll instance is readable when one of its
// descriptors (the waker included) is ready.
func (p *epoll) ParkFD() FD { return p.epfd }

func (p *epoll) Wait(events []Event, timeout time.Duration) (int, error) {
	if p.closed {
		return 0, ErrClosed
	}
	if len(events) == 0 {
		return 0, errNoRoom
	}
	if len(p.buf) < len(events) {
		p.buf = make([]unix.EpollEvent, len(events))
	}
	var n int
	var err error
	if timeout == 0 {
		n, err = epollPoll(p.epfd, p.buf[:len(events)])
	} else {
		n, err = unix.EpollWait(p.epfd, p.buf[:len(events)], timeoutMillis(timeout))
	}
	if err != nil {
		if err == unix.EINTR {
			return 0, nil
		}
		return 0, os.NewSyscallError("epoll_wait", err)
	}
	k := 0
	for i := range n {
		raw := &p.buf[i]
		fd := int(raw.Fd)
		if fd == p.w.rfd {
			p.w.drain()
			continue
		}
		e := p.fds.get(fd)
		if e == nil {
			continue
		}
		var got Events
		if raw.Events&unix.EPOLLIN != 0 {
			got |= Readable
		}
		if raw.Events&unix.EPOLLOUT != 0 {
			got |= Writable
		}
		if raw.Events&unix.EPOLLERR != 0 {
			got |= Error | e.ev
		}
		if raw.Events&unix.EPOLLHUP != 0 {
			got |= Hangup | e.ev
		}
		events[k] = Event{Token: e.token, Events: got}
		k++
	}
	return k, nil
}

// epollPoll is epoll_wait with a zero timeout as a raw system call: it
// cannot block, so it skips the runtime's entersyscall/exitsyscall
// bookkeeping, which a busy loop would otherwise pay on every turn.
// epoll_pwait with no signal mask is epoll_wait on every architecture,
// including those (arm64, riscv64) that lack epoll_wait itself.
func epollPoll(epfd int, buf []unix.EpollEvent) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func (p *epoll) Wake() error { return p.w.wake() }

func (p *epoll) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	return closeBackend(p.w, p.epfd)
}
