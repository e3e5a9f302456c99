package poller

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// devPoll is the Solaris and illumos backend: the /dev/poll driver (poll(7D)),
// level-triggered like poll(2) but with the interest set kept in the kernel,
// and a pipe waker.
//
// Registration writes pollfd records to the /dev/poll descriptor. The
// driver ORs a record's events into what it already has for that
// descriptor, so adding an interest is one record, while dropping one takes
// a POLLREMOVE record followed by the remaining events, in the same write
// (the driver applies a write's records in order, and no DP_POLL runs in the
// middle of a write). Delete writes POLLREMOVE.
//
// None: the descriptor stays registered with events 0, which the driver
// accepts. It then reports only what a driver reports unasked: POLLHUP,
// POLLERR where the driver sets it, and POLLNVAL for a descriptor closed
// behind the poller's back. Solaris sockets report a pending error as
// POLLIN/POLLOUT, and only when those were asked for, so a socket error on
// a None descriptor shows up at the next read or write rather than as an
// event.
//
// The driver never notices a close by itself: a registered descriptor that
// is closed without Delete is reported with POLLNVAL (Error) until it is
// deleted, as the contract says.
type devPoll struct {
	dpfd   int
	w      *waker
	fds    fdTable
	buf    []unix.PollFd
	rec    [2]unix.PollFd // the records of one registration write
	dvp    dvpoll         // DP_POLL's argument, kept here so Wait does not allocate
	closed bool
}

// From <sys/devpoll.h> and <sys/poll.h>, which golang.org/x/sys does not
// carry.
const (
	dpPoll     = 0xD001 // DP_POLL: (0xD0 << 8) | 1
	pollRemove = 0x0800 // POLLREMOVE: forget the descriptor
)

// dvpoll is struct dvpoll, DP_POLL's argument: where the kernel writes the
// ready descriptors, how many fit (nfds_t is an unsigned long, 64 bits on
// amd64, the only 64-bit port), and the timeout in milliseconds (-1:
// forever). 24 bytes with the trailing padding.
type dvpoll struct {
	fds     *unix.PollFd
	nfds    uint64
	timeout int32
	_       int32
}

// The kernel copies in exactly 24 bytes; fail to compile if the layout
// drifts.
var _ = [1]struct{}{}[unsafe.Sizeof(dvpoll{})-24]

// NewDevPoll returns a /dev/poll poller.
func NewDevPoll() (Poller, error) {
	dpfd, err := unix.Open("/dev/poll", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: "/dev/poll", Err: err}
	}
	w, err := newWaker()
	if err != nil {
		unix.Close(dpfd)
		return nil, err
	}
	p := &devPoll{dpfd: dpfd, w: w}
	p.rec[0] = makePollFD(w.rfd, Readable)
	if err := p.write(1); err != nil {
		w.close()
		unix.Close(dpfd)
		return nil, err
	}
	return p, nil
}

func (p *devPoll) Name() string { return "devpoll" }

// write hands the first n records of p.rec to the driver.
func (p *devPoll) write(n int) error {
	b := unsafe.Slice((*byte)(unsafe.Pointer(&p.rec[0])), n*int(unsafe.Sizeof(p.rec[0])))
	for {
		m, err := unix.Write(p.dpfd, b)
		if err == unix.EINTR {
			// Interrupted while waiting for another writer, before any
			// record was applied; and the records are idempotent anyway.
			continue
		}
		if err != nil {
			return os.NewSyscallError("write", err)
		}
		if m != len(b) {
			return os.NewSyscallError("write", io.ErrShortWrite)
		}
		return nil
	}
}

func removeRecord(fd FD) unix.PollFd {
	return unix.PollFd{Fd: int32(fd), Events: pollRemove}
}

func (p *devPoll) Add(fd FD, ev Events, token uint64) error {
	if p.closed {
		return ErrClosed
	}
	if fd == p.w.rfd || fd == p.w.wfd {
		return fmt.Errorf("%w: fd %d is the poller's own", ErrRegistered, fd)
	}
	ev = ev.interest()
	if _, err := p.fds.add(fd, ev, token); err != nil {
		return err
	}
	// The driver takes any number without complaint and reports a bad one
	// only later (POLLNVAL), or never if it is beyond the descriptor
	// limit: check here that fd is open, as epoll_ctl would.
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
		p.fds.remove(fd)
		return os.NewSyscallError("fcntl", err)
	}
	// POLLREMOVE first clears whatever the driver may still hold for this
	// number (a descriptor closed without Delete), so that the new
	// registration starts from exactly ev; for an unknown descriptor it
	// does nothing.
	p.rec[0] = removeRecord(fd)
	p.rec[1] = makePollFD(fd, ev)
	if err := p.write(2); err != nil {
		p.fds.remove(fd)
		return err
	}
	return nil
}

func (p *devPoll) Modify(fd FD, ev Events, token uint64) error {
	if p.closed {
		return ErrClosed
	}
	e := p.fds.get(fd)
	if e == nil {
		return ErrNotRegistered
	}
	ev = ev.interest()
	if ev != e.ev {
		n := 0
		if e.ev&^ev != 0 {
			// Dropping an interest: the driver only ORs events in, so
			// start over from nothing.
			p.rec[n] = removeRecord(fd)
			n++
		}
		p.rec[n] = makePollFD(fd, ev)
		n++
		if err := p.write(n); err != nil {
			return err
		}
		e.ev = ev
	}
	e.token = token
	return nil
}

func (p *devPoll) Delete(fd FD) error {
	if p.closed {
		return ErrClosed
	}
	if p.fds.get(fd) == nil {
		return ErrNotRegistered
	}
	p.fds.remove(fd)
	p.rec[0] = removeRecord(fd)
	return p.write(1)
}

func (p *devPoll) Wait(events []Event, timeout time.Duration) (int, error) {
	if p.closed {
		return 0, ErrClosed
	}
	if len(events) == 0 {
		return 0, errNoRoom
	}
	if len(p.buf) < len(events) {
		p.buf = make([]unix.PollFd, len(events))
	}
	n, err := p.poll(p.buf[:len(events)], timeoutMillis(timeout))
	if err != nil {
		if err == unix.EINTR {
			return 0, nil
		}
		return 0, os.NewSyscallError("ioctl", err)
	}
	k := 0
	for i := range min(n, len(events)) {
		pfd := &p.buf[i]
		fd := int(pfd.Fd)
		if fd == p.w.rfd {
			p.w.drain()
			continue
		}
		e := p.fds.get(fd)
		if e == nil {
			continue
		}
		got := pollReady(pfd)
		if got == 0 {
			continue
		}
		if got&(Error|Hangup) != 0 {
			got |= e.ev
		}
		events[k] = Event{Token: e.token, Events: got}
		k++
	}
	return k, nil
}

// poll runs the DP_POLL ioctl: it waits up to ms milliseconds (-1: forever)
// and fills fds from the front with the ready descriptors, returning how
// many. The driver scans round-robin from where the last call stopped, so
// a small fds does not starve descriptors.
func (p *devPoll) poll(fds []unix.PollFd, ms int) (int, error) {
	p.dvp = dvpoll{fds: &fds[0], nfds: uint64(len(fds)), timeout: int32(ms)}
	r, _, errno := sysvicall6(uintptr(unsafe.Pointer(&libcIoctl)), 3,
		uintptr(p.dpfd), dpPoll, uintptr(unsafe.Pointer(&p.dvp)), 0, 0, 0)
	// The kernel reads p.dvp and writes through its pointer into fds
	// during the call.
	runtime.KeepAlive(&p.dvp)
	runtime.KeepAlive(fds)
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}

func (p *devPoll) Wake() error { return p.w.wake() }

func (p *devPoll) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	return closeBackend(p.w, p.dpfd)
}

// golang.org/x/sys exports no ioctl that passes a pointer, so call libc's
// ioctl the way it and package syscall do on Solaris: libcIoctl is bound by
// the dynamic linker to libc's ioctl, and sysvicall6 (an assembly stub that
// jumps to package syscall's) calls it on the system stack with errno
// handling.

//go:cgo_import_dynamic libc_ioctl ioctl "libc.so"

//go:linkname libcIoctl libc_ioctl
var libcIoctl uintptr

// sysvicall6 calls the libc function bound to the variable at address trap
// (such as &libcIoctl) with the first nargs of a1..a6, and returns its
// result and errno. Implemented in devpoll_solaris_amd64.s.
func sysvicall6(trap, nargs, a1, a2, a3, a4, a5, a6 uintptr) (r1, r2 uintptr, err syscall.Errno)
