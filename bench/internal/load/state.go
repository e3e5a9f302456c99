package load

import (
	"fmt"
	"net"
	"time"
)

// echoState is one connection's request/response bookkeeping, shared by
// the drivers: what was sent, what came back, and the check of every echo.
// It belongs to the goroutine driving the connection.
type echoState struct {
	id     int
	conn   net.Conn // the net driver's connection; nil once the epoll driver took it over
	size   int
	depth  int
	rbuf   []byte      // depth messages; the unread part of an echo is at the front
	have   int         // bytes in rbuf
	wbuf   []byte      // the messages of one write
	sentAt []time.Time // write time of message seq, at sentAt[seq%depth]
	sent   uint64      // messages written
	recv   uint64      // echoes read and checked
	stats  *connStats
	err    error // why the connection stopped early
}

func newEchoState(id int, c net.Conn, size, depth int) *echoState {
	return &echoState{
		id: id, conn: c, size: size, depth: depth,
		rbuf:   make([]byte, size*depth),
		wbuf:   make([]byte, size*depth),
		sentAt: make([]time.Time, depth),
		stats:  new(connStats),
	}
}

// unread is where the next read goes.
func (s *echoState) unread() []byte { return s.rbuf[s.have:] }

// received accounts n new bytes in unread(), read at now: it checks every
// completed echo, records it when measuring, and returns how many
// completed. On a wrong echo it sets s.err and returns an error.
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

// next fills and returns the next k messages (k <= depth), counting them
// as sent at now; the caller writes them all.
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

// idle reports whether every message sent has come back.
func (s *echoState) idle() bool { return s.recv == s.sent }

// missingErr describes the echoes that never came.
func (s *echoState) missingErr(cause string) error {
	missing := int(s.sent-s.recv)*s.size - s.have
	return fmt.Errorf("connection %d: %d echoed bytes missing %s (%d of %d bytes of message %d arrived)",
		s.id, missing, cause, s.have, s.size, s.recv)
}
