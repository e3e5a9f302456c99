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
// through SetReadDeadline, which runSessions sets on every connection.
func startNet(r *runState, sessions []session) (func(), error) {
	return waitGroup(len(sessions), func(i int) { runNetConn(r, sessions[i]) }), nil
}

func runNetConn(r *runState, s session) {
	b := s.base()
	if _, err := b.conn.Write(s.initial(time.Now())); err != nil {
		b.err = fmt.Errorf("connection %d: write: %w", b.id, err)
		return
	}
	for {
		n, rerr := b.conn.Read(s.unread())
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
				b.err = s.missingErr("after the drain timeout")
			case errors.Is(rerr, net.ErrClosed):
				b.err = fmt.Errorf("connection %d: closed", b.id)
			default:
				b.err = s.missingErr(fmt.Sprintf("when the read failed: %v", rerr))
			}
			return
		}
		if done > 0 && phase != phaseStop {
			if _, err := b.conn.Write(s.next(done, now)); err != nil {
				b.err = fmt.Errorf("connection %d: write: %w", b.id, err)
				return
			}
		}
	}
}
