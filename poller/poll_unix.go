//go:build unix

package poller

import (
	"os"

	"golang.org/x/sys/unix"
)

// NewPoll returns a poll(2) poller, the portable Unix fallback.
func NewPoll() (Poller, error) {
	p, err := newPollPoller("poll")
	if err != nil {
		return nil, err
	}
	return p, nil
}

type pollFD = unix.PollFd

// makePollFD builds the record in place with untyped flag constants:
// the type of Events differs between systems (int16 on most, uint16 on AIX).
func makePollFD(fd FD, ev Events) pollFD {
	p := pollFD{Fd: int32(fd)}
	if ev&Readable != 0 {
		p.Events |= unix.POLLIN
	}
	if ev&Writable != 0 {
		p.Events |= unix.POLLOUT
	}
	return p
}

func sysPoll(fds []pollFD, ms int) (int, error) { return unix.Poll(fds, ms) }

func isEINTR(err error) bool { return err == unix.EINTR }

// checkPollable accepts any kind of descriptor, since poll(2) watches them
// all, but only an open one, as epoll_ctl and kevent do: poll(2) itself takes
// any number, and would report a closed one (POLLNVAL) on every Wait.
func checkPollable(fd FD) error {
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
		return os.NewSyscallError("fcntl", err)
	}
	return nil
}

// pollDesc returns the descriptor a pollFD watches.
func pollDesc(p *pollFD) FD { return FD(p.Fd) }

// pollReady translates the kernel's revents. POLLNVAL (a registered
// descriptor was closed behind the poller's back) is reported as an error.
func pollReady(p *pollFD) Events {
	r := p.Revents
	var got Events
	if r&unix.POLLIN != 0 {
		got |= Readable
	}
	if r&unix.POLLOUT != 0 {
		got |= Writable
	}
	if r&(unix.POLLERR|unix.POLLNVAL) != 0 {
		got |= Error
	}
	if r&unix.POLLHUP != 0 {
		got |= Hangup
	}
	return got
}
