package load

import (
	"fmt"
	"net"
	"time"
)

// A session is one connection's request/response bookkeeping, which the
// drivers (driver_net.go, driver_epoll_linux.go) run without knowing the
// protocol: the echo run's echoState or the HTTP run's httpState. It
// belongs to the goroutine driving the connection.
type session interface {
	// base is what every session has: its index, connection, counters
	// and error.
	base() *connBase
	// initial fills and returns the first requests, counted as sent at
	// now; the driver writes them all.
	initial(now time.Time) []byte
	// unread is where the next read goes; it is never empty.
	unread() []byte
	// received accounts n new bytes in unread(), read at now: it checks
	// every completed answer, records it when measuring, and returns how
	// many new requests to write (next's k, 0 for none). On a wrong answer
	// it sets the error and returns it.
	received(n int, now time.Time, phase int32) (int, error)
	// next fills and returns k new requests (k as received returned),
	// counted as sent at now; the driver writes them all.
	next(k int, now time.Time) []byte
	// idle reports whether every request sent has been answered.
	idle() bool
	// missingErr describes the answers that never came.
	missingErr(cause string) error
}

// connBase is the part of a session the drivers and the run read.
type connBase struct {
	id    int
	conn  net.Conn // the net driver's connection; nil once the epoll driver took it over
	stats *connStats
	err   error // why the connection stopped early
}

func (b *connBase) base() *connBase { return b }

// echoState is one connection's echo bookkeeping: what was sent, what came
// back, and the check of every echo.
type echoState struct {
	connBase
	size   int
	depth  int
	rbuf   []byte      // depth messages; the unread part of an echo is at the front
	have   int         // bytes in rbuf
	wbuf   []byte      // the messages of one write
	sentAt []time.Time // write time of message seq, at sentAt[seq%depth]
	sent   uint64      // messages written
	recv   uint64      // echoes read and checked
}

func newEchoState(id int, c net.Conn, size, depth int) *echoState {
	return &echoState{
		connBase: connBase{id: id, conn: c, stats: new(connStats)},
		size:     size, depth: depth,
		rbuf:   make([]byte, size*depth),
		wbuf:   make([]byte, size*depth),
		sentAt: make([]time.Time, depth),
	}
}

// initial is depth messages: the pipeline filled.
func (s *echoState) initial(now time.Time) []byte { return s.next(s.depth, now) }

// unread is where the next read goes; depth messages of room always leave
// some, since at most depth are in flight.
func (s *echoState) unread() []byte { return s.rbuf[s.have:] }

// received checks every completed echo and asks for as many new messages,
// so that depth stay in flight.
func (s *echoState) received(n int, now time.Time, phase int32) (int, error) {
	s.have += n
	done, off := 0, 0
	for ; s.have-off >= s.size; off += s.size {
		if err := checkMsg(s.rbuf[off:off+s.size], s.id, s.recv); err != nil {
			s.err = err
			return done, err
		}
		if phase == phaseMeasure {
			s.stats.hist.add(now.Sub(s.sentAt[s.recv%uint64(s.depth)]))
			s.stats.requests.Add(1)
		}
		s.recv++
		done++
	}
	if off > 0 {
		s.have = copy(s.rbuf, s.rbuf[off:s.have])
	}
	return done, nil
}

// next fills and returns the next k messages (k <= depth).
func (s *echoState) next(k int, now time.Time) []byte {
	b := s.wbuf[:k*s.size]
	for i := range k {
		seq := s.sent + uint64(i)
		fillMsg(b[i*s.size:(i+1)*s.size], s.id, seq)
		s.sentAt[seq%uint64(s.depth)] = now
	}
	s.sent += uint64(k)
	return b
}

func (s *echoState) idle() bool { return s.recv == s.sent }

func (s *echoState) missingErr(cause string) error {
	missing := int(s.sent-s.recv)*s.size - s.have
	return fmt.Errorf("connection %d: %d echoed bytes missing %s (%d of %d bytes of message %d arrived)",
		s.id, missing, cause, s.have, s.size, s.recv)
}
