//go:build unix || windows

package poller

import (
	"os"
	"time"
)

// pollPoller is the portable backend over poll(2) on Unix and WSAPoll on
// Windows (the platform files supply pollFD, sysPoll and the flag values).
// The descriptors live in one array handed to the kernel on every Wait, so
// Wait costs O(registered descriptors); slot 0 is the waker.
type pollPoller struct {
	name   string
	w      *waker
	fds    fdTable
	pfds   []pollFD
	next   int // where the next Wait starts scanning, for fairness
	closed bool
}

func newPollPoller(name string) (*pollPoller, error) {
	w, err := newWaker()
	if err != nil {
		return nil, err
	}
	p := &pollPoller{name: name, w: w}
	p.pfds = append(p.pfds, makePollFD(w.rfd, Readable))
	return p, nil
}

func (p *pollPoller) Name() string { return p.name }

func (p *pollPoller) Add(fd FD, ev Events, token uint64) error {
	if p.closed {
		return ErrClosed
	}
	if fd == p.w.rfd {
		return ErrRegistered
	}
	if err := checkPollable(fd); err != nil {
		return err
	}
	e, err := p.fds.add(fd, ev.interest(), token)
	if err != nil {
		return err
	}
	e.pos = int32(len(p.pfds))
	p.pfds = append(p.pfds, makePollFD(fd, e.ev))
	return nil
}

func (p *pollPoller) Modify(fd FD, ev Events, token uint64) error {
	if p.closed {
		return ErrClosed
	}
	e := p.fds.get(fd)
	if e == nil {
		return ErrNotRegistered
	}
	e.ev, e.token = ev.interest(), token
	p.pfds[e.pos] = makePollFD(fd, e.ev)
	return nil
}

func (p *pollPoller) Delete(fd FD) error {
	if p.closed {
		return ErrClosed
	}
	e := p.fds.get(fd)
	if e == nil {
		return ErrNotRegistered
	}
	pos, last := int(e.pos), len(p.pfds)-1
	if pos != last {
		moved := p.pfds[last]
		p.pfds[pos] = moved
		p.fds.get(pollDesc(&moved)).pos = int32(pos)
	}
	p.pfds = p.pfds[:last]
	p.fds.remove(fd)
	return nil
}

func (p *pollPoller) Wait(events []Event, timeout time.Duration) (int, error) {
	if p.closed {
		return 0, ErrClosed
	}
	if len(events) == 0 {
		return 0, errNoRoom
	}
	n, err := sysPoll(p.pfds, timeoutMillis(timeout))
	if err != nil {
		if isEINTR(err) {
			return 0, nil
		}
		return 0, os.NewSyscallError(p.name, err)
	}
	if n <= 0 {
		return 0, nil
	}
	if pollReady(&p.pfds[0]) != 0 {
		p.w.drain()
		n--
	}
	// Scan the caller's slots round-robin from where the last full batch
	// stopped, so that descriptors at the end of the array are not starved
	// when more are ready than events can hold.
	slots := len(p.pfds) - 1
	if p.next >= slots {
		p.next = 0
	}
	k := 0
	for i := 0; i < slots && n > 0 && k < len(events); i++ {
		pos := 1 + (p.next+i)%slots
		got := pollReady(&p.pfds[pos])
		if got == 0 {
			continue
		}
		n--
		e := p.fds.get(pollDesc(&p.pfds[pos]))
		if got&(Error|Hangup) != 0 {
			got |= e.ev
		}
		events[k] = Event{Token: e.token, Events: got}
		k++
		if k == len(events) {
			p.next = (p.next + i + 1) % slots
		}
	}
	return k, nil
}

func (p *pollPoller) Wake() error { return p.w.wake() }

func (p *pollPoller) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	p.pfds = nil
	return p.w.close()
}
