package tcpclient

import (
	"context"
	"errors"
	"time"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream"
)

// ConnectUnix opens a connection to the Unix-domain stream socket at path
// on loop l and calls cb with the connected stream, or with an *Error (Op
// "connect" or "tls", Host the path, Port 0). It is Connect for a local
// socket: ctx and Options.Timeout bound it the same way, Options.Stream
// configures the stream and Options.TLS, if set, starts TLS on it (set
// its ServerName: there is no host name to default it to). The options
// about addresses and TCP (Resolver, Network, AttemptDelay, LocalAddr,
// LocalPort, NoDelay) do not apply and are ignored.
//
// A listener whose backlog is full makes connect(2) fail with EAGAIN on
// Linux; ConnectUnix then tries again, every few milliseconds and more
// slowly as it goes, until the deadline.
//
// Platform limitation: on Windows, ConnectUnix fails with an *Error
// wrapping errors.ErrUnsupported.
//
// Like Connect, it must be called on l's goroutine (or before l runs);
// cb runs there exactly once, never inside ConnectUnix, and owns the
// stream.
func ConnectUnix(ctx context.Context, l *loop.Loop, path string, opts *Options, cb func(*stream.Stream, error)) {
	u := &unixDial{l: l, ctx: ctx, path: path, cb: cb}
	u.cfg.set(opts)
	u.inline = true
	u.begin()
	u.inline = false
}

// unixDial is one ConnectUnix in progress, on the loop's goroutine.
type unixDial struct {
	l      *loop.Loop
	ctx    context.Context
	path   string
	cfg    config
	cb     func(*stream.Stream, error)
	s      *stream.Stream // once connected (TLS may still run)
	pend   unixPending    // a connect waiting for the socket (platform part)
	retry  loop.Timer     // the next try after EAGAIN
	wait   time.Duration  // the delay before that try
	dead   loop.Timer     // the deadline
	stop   func() bool    // stops watching ctx
	inline bool
	done   bool
}

func (u *unixDial) begin() {
	if err := u.ctx.Err(); err != nil {
		u.fail("connect", err)
		return
	}
	deadline, ok := u.ctx.Deadline()
	if u.cfg.timeout > 0 {
		if t := u.l.Now().Add(u.cfg.timeout); !ok || t.Before(deadline) {
			deadline, ok = t, true
		}
	}
	if ok {
		u.dead = u.l.CallAt(deadline, func() { u.fail(u.stage(), context.DeadlineExceeded) })
	}
	if u.ctx.Done() != nil {
		u.stop = context.AfterFunc(u.ctx, func() {
			u.l.Post(func() { u.fail(u.stage(), u.ctx.Err()) })
		})
	}
	u.try()
}

// stage names the step a deadline or cancellation interrupts, as
// Connect's Error reports it: the TLS handshake once connected, else the
// connect.
func (u *unixDial) stage() string {
	if u.s != nil {
		return "tls"
	}
	return "connect"
}

// connected takes the stream of a successful connect.
func (u *unixDial) connected(s *stream.Stream) {
	if u.done {
		s.Close()
		return
	}
	u.s = s
	if u.cfg.tls == nil {
		u.finish(s, nil)
		return
	}
	if err := s.StartTLS(u.cfg.tls, false, func(err error) {
		if u.done {
			return // the deadline or ctx came first and closed s
		}
		if err != nil {
			u.fail("tls", err)
			return
		}
		u.finish(s, nil)
	}); err != nil {
		u.fail("tls", err)
	}
}

// again schedules another try after EAGAIN: 1 ms, doubling up to 100 ms.
func (u *unixDial) again() {
	u.wait = min(max(2*u.wait, time.Millisecond), 100*time.Millisecond)
	u.retry = u.l.CallLater(u.wait, u.try)
}

func (u *unixDial) fail(op string, err error) {
	if err == nil {
		err = errors.New("connection failed")
	}
	u.finish(nil, &Error{Op: op, Host: u.path, Err: err})
}

// finish stops whatever runs and calls cb once (posted when still inside
// ConnectUnix).
func (u *unixDial) finish(s *stream.Stream, err error) {
	if u.done {
		return
	}
	u.done = true
	u.retry.Cancel()
	u.dead.Cancel()
	u.cancelPending()
	if u.stop != nil {
		u.stop()
	}
	if err != nil && u.s != nil {
		u.s.Close()
	}
	cb := u.cb
	u.cb = nil
	if u.inline {
		u.l.Post(func() { cb(s, err) })
		return
	}
	cb(s, err)
}
