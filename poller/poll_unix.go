//go:build unix

package poller

import "golang.org/x/sys/unix"

// NewPoll returns a poll(2) poller, the portable Unix fallback.
func NewPoll() (Poller, error) {
	p, err := newPollPoller("poll")
	if err != nil {
		return nil, err
	}
	return p, nil
}

type pollFD = unix.PollFd

func makePollFD(fd FD, ev Events) pollFD {
	var e int16
	if ev&Readable != 0 {
		e |= unix.POLLIN
	}
	if ev&Writable != 0 {
		e |= unix.POLLOUT
	}
	return pollFD{Fd: int32(fd), Events: e}
}

func sysPoll(fds []pollFD, ms int) (int, error) { return unix.Poll(fds, ms) }

func isEINTR(err error) bool { return err == unix.EINTR }

// checkPollable accepts every descriptor: poll(2) watches any kind.
func checkPollable(FD) error { return nil }

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
