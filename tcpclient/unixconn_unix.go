//go:build unix

package tcpclient

import (
	"os"
	"syscall"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/poller"
	"github.com/gale-io/gale/stream"
	"golang.org/x/sys/unix"
)

// unixPending is a connect(2) that returned EINPROGRESS (BSDs may), waiting
// for its socket to become writable.
type unixPending struct {
	fd     int
	active bool
}

// try makes a socket and connects it: at once (the usual case), later
// (EINPROGRESS), or not now (EAGAIN: the listener's backlog is full).
func (u *unixDial) try() {
	u.retry = loop.Timer{}
	if u.done {
		return
	}
	fd, err := unixSocket()
	if err != nil {
		u.fail("connect", os.NewSyscallError("socket", err))
		return
	}
	err = unix.Connect(fd, &unix.SockaddrUnix{Name: u.path})
	switch err {
	case nil:
		u.wrap(fd)
	case unix.EAGAIN:
		unix.Close(fd)
		u.again()
	case unix.EINPROGRESS, unix.EINTR, unix.EALREADY:
		if err := u.l.AddHandler(poller.FD(fd), loop.Writable, loop.HandlerFunc(u.writable)); err != nil {
			unix.Close(fd)
			u.fail("connect", err)
			return
		}
		u.pend = unixPending{fd: fd, active: true}
	default:
		unix.Close(fd)
		u.fail("connect", os.NewSyscallError("connect", err))
	}
}

// writable ends a connect that was in progress.
func (u *unixDial) writable(poller.FD, poller.Events) {
	fd := u.pend.fd
	u.l.RemoveHandler(poller.FD(fd))
	u.pend = unixPending{}
	if soerr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR); err != nil || soerr != 0 {
		unix.Close(fd)
		if err == nil {
			err = syscall.Errno(soerr)
		}
		if err == unix.EAGAIN {
			u.again()
			return
		}
		u.fail("connect", os.NewSyscallError("connect", err))
		return
	}
	u.wrap(fd)
}

// wrap hands the connected socket to a stream.
func (u *unixDial) wrap(fd int) {
	s, err := stream.New(u.l, poller.FD(fd), u.cfg.stream)
	if err != nil {
		unix.Close(fd)
		u.fail("connect", err)
		return
	}
	u.connected(s)
}

// cancelPending drops a connect in progress.
func (u *unixDial) cancelPending() {
	if u.pend.active {
		u.l.RemoveHandler(poller.FD(u.pend.fd))
		unix.Close(u.pend.fd)
		u.pend = unixPending{}
	}
}

// unixSocket makes a non-blocking, close-on-exec Unix stream socket, under
// syscall.ForkLock so that a concurrent fork+exec cannot inherit it before
// close-on-exec is set (portable to the systems whose socket(2) takes no
// flags).
func unixSocket() (int, error) {
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}
