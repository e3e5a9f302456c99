package load

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// startNet drives each connection on its own goroutine with blocking
// reads and writes. The drain deadline reaches a goroutine blocked in Read
// through SetReadDeadline, which RunEcho sets on every connection.
func startNet(r *runState, states []*echoState) (func(), error) {
	return waitGroup(len(states), func(i int) { runNetConn(r, states[i]) }), nil
}

func runNetConn(r *runState, s *echoState) {
	if _, err := s.conn.Write(s.next(s.depth, time.Now())); err != nil {
		s.err = fmt.Errorf("connection %d: write: %w", s.id, err)
		return
	}
	for {
		n, rerr := s.conn.Read(s.unread())
		now := time.Now()
		phase := r.phase.Load()
		done, err := s.received(n, now, phase)
		if err != nil {
			return
		}
		if phase == phaseStop && s.idle() {
			return
		}
		if rerr != nil {
			switch {
			case phase == phaseStop && errors.Is(rerr, os.ErrDeadlineExceeded):
				s.err = s.missingErr("after the drain timeout")
			case errors.Is(rerr, net.ErrClosed):
				s.err = fmt.Errorf("connection %d: closed", s.id)
			default:
				s.err = s.missingErr(fmt.Sprintf("when the read failed: %v", rerr))
			}
			return
		}
		if done > 0 && phase != phaseStop {
			if _, err := s.conn.Write(s.next(done, now)); err != nil {
				s.err = fmt.Errorf("connection %d: write: %w", s.id, err)
				return
			}
		}
	}
}
