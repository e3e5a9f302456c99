package load

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// DefaultDriver is the leanest driver the platform has.
const DefaultDriver = DriverEpoll

// epollConn is a connection driven by an epoll worker.
type epollConn struct {
	session
	*connBase
	fd       int
	out      []byte // the unwritten rest of a write (the socket buffer was full)
	owed     int    // requests to send once out is written
	finished bool
}

// startEpoll takes the connections' descriptors over from net (as
// duplicates; the net.Conns are closed) and splits them round-robin over
// the workers.
func startEpoll(r *runState, sessions []session, workers int) (func(), error) {
	workers = max(1, min(workers, len(sessions)))
	conns := make([][]*epollConn, workers)
	stats := make([]*connStats, workers) // one per worker, shared by its connections
	for i := range stats {
		stats[i] = new(connStats)
	}
	for i, s := range sessions {
		b := s.base()
		fd, err := detach(b.conn)
		if err != nil {
			for _, cs := range conns {
				for _, c := range cs {
					unix.Close(c.fd)
				}
			}
			return nil, fmt.Errorf("load: connection %d: %w", b.id, err)
		}
		b.conn = nil
		b.stats = stats[i%workers]
		conns[i%workers] = append(conns[i%workers], &epollConn{session: s, connBase: b, fd: fd})
	}
	return waitGroup(workers, func(i int) { runEpollWorker(r, conns[i]) }), nil
}

// detach returns a non-blocking duplicate of c's descriptor and closes c,
// so Go's netpoller no longer watches the socket.
func detach(c net.Conn) (int, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1, errors.New("not a socket")
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var derr error
	if err := raw.Control(func(s uintptr) {
		fd, derr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return -1, err
	}
	if derr != nil {
		return -1, fmt.Errorf("dup: %w", derr)
	}
	c.Close()
	// Go made the socket non-blocking; the flag belongs to the open file
	// description, which the duplicate shares. Make sure anyway.
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// runEpollWorker drives its connections until they all finished: each
// readiness event gets one read (level triggering reports what is left),
// the session checks the completed answers and says how many new requests
// to write.
// They share one connStats.
func runEpollWorker(r *runState, conns []*epollConn) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		for _, c := range conns {
			c.err = fmt.Errorf("connection %d: epoll_create1: %w", c.id, err)
			unix.Close(c.fd)
		}
		return
	}
	defer unix.Close(epfd)
	live := 0
	finish := func(c *epollConn, err error) {
		if c.finished {
			return
		}
		if err != nil && c.err == nil {
			c.err = err
		}
		c.finished = true
		unix.EpollCtl(epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
		unix.Close(c.fd)
		live--
	}
	now := time.Now()
	for i, c := range conns {
		live++
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(i)}
		if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, c.fd, &ev); err != nil {
			finish(c, fmt.Errorf("connection %d: epoll_ctl: %w", c.id, err))
			continue
		}
		c.write(epfd, i, c.initial(now))
	}

	events := make([]unix.EpollEvent, 256)
	stopSeen := false
	for live > 0 {
		n, err := unix.EpollWait(epfd, events, 10)
		if err != nil && err != unix.EINTR {
			for _, c := range conns {
				finish(c, fmt.Errorf("connection %d: epoll_wait: %w", c.id, err))
			}
			return
		}
		now = time.Now()
		phase := r.phase.Load()
		for _, ev := range events[:max(n, 0)] {
			c := conns[ev.Fd]
			if c.finished {
				continue
			}
			if ev.Events&unix.EPOLLOUT != 0 && c.out != nil {
				c.write(epfd, int(ev.Fd), c.out)
				if c.out == nil && c.owed > 0 && phase != phaseStop {
					k := c.owed
					c.owed = 0
					c.write(epfd, int(ev.Fd), c.next(k, now))
				}
			}
			if ev.Events&(unix.EPOLLIN|unix.EPOLLERR|unix.EPOLLHUP) == 0 {
				continue
			}
			m, errno := rawRead(c.fd, c.unread())
			switch {
			case errno == unix.EAGAIN || errno == unix.EINTR:
				continue
			case errno != 0:
				finish(c, c.missingErr(fmt.Sprintf("when the read failed: %v", errno)))
				continue
			case m == 0:
				finish(c, c.missingErr("when the server closed the connection"))
				continue
			}
			done, err := c.received(m, now, phase)
			if err != nil {
				finish(c, err)
				continue
			}
			if phase == phaseStop {
				if c.idle() {
					finish(c, nil)
				}
				continue
			}
			if done > 0 {
				if c.out != nil {
					c.owed += done
				} else {
					c.write(epfd, int(ev.Fd), c.next(done, now))
				}
			}
		}
		if phase == phaseStop {
			if !stopSeen { // connections with nothing in flight get no more events
				stopSeen = true
				for _, c := range conns {
					if c.idle() && c.out == nil {
						finish(c, nil)
					}
				}
			}
			if now.After(r.drainBy) {
				for _, c := range conns {
					finish(c, c.missingErr("after the drain timeout"))
				}
			}
		}
		// Let RunEcho's timers run even when events never stop coming.
		runtime.Gosched()
	}
}

// write writes b, or keeps the rest and waits for the socket to be
// writable when the send buffer is full.
func (c *epollConn) write(epfd, idx int, b []byte) {
	for len(b) > 0 {
		m, errno := rawWrite(c.fd, b)
		if errno == unix.EINTR {
			continue
		}
		if errno == unix.EAGAIN {
			break
		}
		if errno != 0 {
			c.err = fmt.Errorf("connection %d: write: %v", c.id, errno)
			c.out = nil
			// The read side reports the failure to the loop as an error event.
			unix.Shutdown(c.fd, unix.SHUT_RD)
			return
		}
		b = b[m:]
	}
	wasWaiting := c.out != nil
	if len(b) == 0 {
		c.out = nil
	} else {
		c.out = b
	}
	if wasWaiting != (c.out != nil) {
		events := uint32(unix.EPOLLIN)
		if c.out != nil {
			events |= unix.EPOLLOUT
		}
		ev := unix.EpollEvent{Events: events, Fd: int32(idx)}
		unix.EpollCtl(epfd, unix.EPOLL_CTL_MOD, c.fd, &ev)
	}
}

// rawRead and rawWrite skip the runtime's system-call bookkeeping: the
// socket is non-blocking, so the call never blocks the thread. They are
// recvfrom and sendto, which reach the socket layer without the file
// layer's work that read and write do first: a leaner load generator
// leaves more of the measurement to the server.
func rawRead(fd int, p []byte) (int, unix.Errno) {
	if len(p) == 0 {
		return 0, unix.EAGAIN // buffer full; sessions always leave room
	}
	n, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), 0, 0, 0)
	return int(n), e
}

func rawWrite(fd int, p []byte) (int, unix.Errno) {
	n, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), unix.MSG_NOSIGNAL, 0, 0)
	return int(n), e
}
