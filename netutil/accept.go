package netutil

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/poller"
)

// Defaults for AcceptOptions.
const (
	// DefaultMinBackoff is the first pause after an accept error that is
	// not about one connection (EMFILE, ENFILE, ENOBUFS, ...).
	DefaultMinBackoff = 10 * time.Millisecond
	// DefaultMaxBackoff is the longest pause: the pause doubles while the
	// errors go on, up to this.
	DefaultMaxBackoff = time.Second
	// logInterval is the least time between two log lines of one acceptor.
	logInterval = time.Second
)

// AcceptOptions configure AddAcceptHandler. A nil *AcceptOptions gives the
// defaults documented on each field.
type AcceptOptions struct {
	// Batch is the most connections accepted per readiness event before
	// the loop serves other descriptors (the rest are accepted on the next
	// iteration). Default DefaultBacklog (128), as Tornado.
	Batch int
	// MinBackoff and MaxBackoff bound the pause after an accept error that
	// is not about a single connection: the first pause lasts MinBackoff,
	// each one that follows while the errors go on twice the one before,
	// up to MaxBackoff; an accepted connection, or a quiet spell as long as
	// MaxBackoff, starts again from MinBackoff. Defaults DefaultMinBackoff
	// (10 ms) and DefaultMaxBackoff (1 s).
	MinBackoff, MaxBackoff time.Duration
	// Logger receives the acceptor's warnings, at most one per second (each
	// says how many it left out), and a line when accepting works again
	// after a warning. Default slog.Default() at the time of logging.
	Logger *slog.Logger
	// OnError, if set, is called on the loop's goroutine with every accept
	// error that pauses accepting (the process or system is out of
	// descriptors or memory, or the listener itself failed), as the pause
	// begins. Errors about one connection (ECONNABORTED, EINTR, a reset)
	// are skipped without a report. It is not rate-limited.
	OnError func(err error)
	// NoPeerAddr makes the callback's peer nil: the acceptor does not
	// build a net.Addr for every connection (an allocation a busy server
	// can do without; the address is still there, from getpeername, for
	// whoever asks, e.g. stream.Stream.RemoteAddr). Default false.
	NoPeerAddr bool
}

// AcceptStats counts what an Acceptor did.
type AcceptStats struct {
	// Accepted is the number of connections handed to the callback.
	Accepted uint64
	// Shed is the number of connections accepted and closed at once, with
	// the spare descriptor, because descriptors had run out.
	Shed uint64
	// Pauses is the number of times accepting paused after an error.
	Pauses uint64
}

// Acceptor accepts connections on a listener for a loop; see
// AddAcceptHandler.
//
// Concurrency: Stop belongs to the loop's goroutine, like every loop
// method; Stats is safe from any goroutine.
type Acceptor struct {
	l     *loop.Loop
	ln    *Listener
	cb    func(fd poller.FD, peer net.Addr)
	h     loop.Handler
	batch int

	minBackoff, maxBackoff time.Duration
	logger                 *slog.Logger
	onError                func(error)

	// Seams for tests: the accept system call, the spare's opening, and
	// the clock.
	accept    func(fd poller.FD, peer bool) (poller.FD, net.Addr, error)
	noPeer    bool
	openSpare func() (poller.FD, error)
	now       func() time.Time

	stopped  bool
	paused   bool
	detached bool // unregistered during a pause (see handle)
	delay    time.Duration
	timer    loop.Timer
	resumed  time.Time // when the last pause ended

	reserve     poller.FD
	haveReserve bool

	logs          logLimiter
	inEpisode     bool // errors since the last accepted connection
	episodeStart  time.Time
	episodeShed   uint64
	episodeLogged bool // a warning of this episode reached the log

	accepted, shed, pauses atomic.Uint64
}

// AddAcceptHandler registers ln with l and calls cb on the loop's goroutine
// for every connection accepted, like Tornado's add_accept_handler. cb owns
// the descriptor (non-blocking and close-on-exec) and must close it; peer is
// a *net.TCPAddr, or a *net.UnixAddr for a Unix-domain listener.
//
// Each readiness event accepts up to opts.Batch connections, stopping early
// when none is left, when cb calls Stop, or on an error. Errors about one
// connection (ECONNABORTED, EINTR, ECONNRESET, EPROTO, EPERM and the network
// errors Linux passes on from the new socket) are skipped. Any other error
// pauses accepting: the listener's Readable interest is dropped with
// loop.UpdateHandler and restored by a loop.CallLater timer after a delay
// that grows while the errors go on (see AcceptOptions). When the error is
// EMFILE or ENFILE, the acceptor first closes the spare descriptor it keeps
// open (on /dev/null), accepts and closes the connections waiting in the
// backlog, so their clients learn at once that they will not be served, and
// reopens the spare (libuv's trick). Before closing a connection it tries
// to reopen the spare: if that works, descriptors have come back, so the
// connection is served and accepting goes on without a pause. Warnings are
// logged at most once a second. The listener is never closed, and accepting
// resumes by itself when descriptors free up.
//
// AddAcceptHandler belongs to the loop's goroutine (or runs before Run), as
// every loop method. Call Stop before closing the listener.
func AddAcceptHandler(l *loop.Loop, ln *Listener, cb func(fd poller.FD, peer net.Addr), opts *AcceptOptions) (*Acceptor, error) {
	if l == nil || ln == nil || cb == nil {
		return nil, errors.New("netutil: AddAcceptHandler needs a loop, a listener and a callback")
	}
	if ln.isClosed() {
		return nil, fmt.Errorf("netutil: accept on %v: %w", ln.addr, net.ErrClosed)
	}
	var o AcceptOptions
	if opts != nil {
		o = *opts
	}
	if o.Batch <= 0 {
		o.Batch = DefaultBacklog
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	o.MaxBackoff = max(o.MaxBackoff, o.MinBackoff)
	a := &Acceptor{
		l:          l,
		ln:         ln,
		cb:         cb,
		batch:      o.Batch,
		minBackoff: o.MinBackoff,
		maxBackoff: o.MaxBackoff,
		logger:     o.Logger,
		onError:    o.OnError,
		accept:     acceptConn,
		noPeer:     o.NoPeerAddr,
		openSpare:  openReserve,
		now:        time.Now,
	}
	a.h = loop.HandlerFunc(a.handle)
	// The spare must be opened now: once descriptors run out it is too
	// late. Without one (none free now, or Windows) only the pause helps;
	// resume tries again.
	a.openReserve()
	if err := l.AddHandler(ln.fd, loop.Readable, a.h); err != nil {
		a.closeReserve()
		return nil, err
	}
	return a, nil
}

// Stop unregisters the listener and releases the spare descriptor; the
// callback is not called again, even in the middle of a batch. The listener
// stays open (close it after Stop). Stop is idempotent and belongs to the
// loop's goroutine.
func (a *Acceptor) Stop() {
	if a.stopped {
		return
	}
	a.stopped = true
	a.timer.Cancel()
	if !a.detached {
		a.l.RemoveHandler(a.ln.fd) // an error here means the poller is closed: nothing to undo
	}
	a.closeReserve()
}

// Stats returns the acceptor's counters. It is safe from any goroutine.
func (a *Acceptor) Stats() AcceptStats {
	return AcceptStats{Accepted: a.accepted.Load(), Shed: a.shed.Load(), Pauses: a.pauses.Load()}
}

// handle is the listener's fd handler.
func (a *Acceptor) handle(fd poller.FD, _ poller.Events) {
	if a.paused {
		// The interest is None, so this is Error or Hangup, which the
		// poller reports on every iteration whatever the interest: stop
		// watching the listener altogether until the pause ends.
		if !a.detached && !a.stopped {
			a.l.RemoveHandler(fd)
			a.detached = true
		}
		return
	}
	for i := 0; i < a.batch && !a.stopped; i++ {
		nfd, peer, err := a.accept(fd, !a.noPeer)
		if err != nil {
			switch classifyAccept(err) {
			case acceptAgain:
				return
			case acceptSkip:
				continue
			case acceptExhausted:
				shed, conn, ok := a.shedPending(fd)
				if !ok {
					a.pause(err, shed)
					return
				}
				if shed > 0 {
					a.startEpisode(false)
					a.episodeShed += shed
					if a.logf(slog.LevelWarn, "gale/netutil: out of descriptors; closed pending connections",
						"err", err, "shed", shed) {
						a.episodeLogged = true
					}
				}
				nfd, peer = conn.fd, conn.peer
			default:
				a.pause(err, 0)
				return
			}
		}
		if a.inEpisode {
			a.recovered()
		}
		a.accepted.Add(1)
		a.cb(nfd, peer)
	}
}

type conn struct {
	fd   poller.FD
	peer net.Addr
}

// shedPending accepts and closes the connections waiting in the backlog,
// with the spare descriptor freed for the purpose, and returns how many it
// closed. Before closing one it tries to take the spare back: if that
// works, descriptors are available again (others closed some meanwhile),
// so it stops and returns that connection, to be served, with ok true.
func (a *Acceptor) shedPending(fd poller.FD) (shed uint64, c conn, ok bool) {
	if !a.haveReserve {
		return 0, conn{}, false
	}
	a.closeReserve()
	defer func() { a.shed.Add(shed) }()
	for i := 0; i < a.batch; i++ {
		nfd, peer, err := a.accept(fd, !a.noPeer)
		if err != nil {
			if classifyAccept(err) == acceptSkip {
				continue
			}
			break
		}
		if a.openReserve(); a.haveReserve {
			return shed, conn{nfd, peer}, true
		}
		closeSocket(nfd)
		shed++
	}
	a.openReserve()
	return shed, conn{}, false
}

// pause stops watching the listener for the current delay.
func (a *Acceptor) pause(err error, shed uint64) {
	if a.startEpisode(a.delay == 0 || a.now().Sub(a.resumed) >= a.maxBackoff) {
		a.delay = a.minBackoff
	} else {
		a.delay = min(2*a.delay, a.maxBackoff)
	}
	a.episodeShed += shed
	a.pauses.Add(1)
	a.paused = true
	if uerr := a.l.UpdateHandler(a.ln.fd, loop.None); uerr != nil {
		a.logf(slog.LevelError, "gale/netutil: cannot pause accepting", "err", uerr)
	}
	a.timer = a.l.CallLater(a.delay, a.resume)
	msg := "gale/netutil: accept failed; pausing"
	if classifyAccept(err) == acceptExhausted {
		msg = "gale/netutil: out of descriptors; pausing accept"
	}
	if a.logf(slog.LevelWarn, msg, "err", err, "pause", a.delay, "shed", shed) {
		a.episodeLogged = true
	}
	if a.onError != nil {
		a.onError(err)
	}
}

// resume watches the listener again after a pause.
func (a *Acceptor) resume() {
	if a.stopped {
		return
	}
	a.paused = false
	a.resumed = a.now()
	if !a.haveReserve {
		a.openReserve()
	}
	var err error
	if a.detached {
		if err = a.l.AddHandler(a.ln.fd, loop.Readable, a.h); err == nil {
			a.detached = false
		}
	} else {
		err = a.l.UpdateHandler(a.ln.fd, loop.Readable)
	}
	if err != nil {
		a.pause(err, 0) // try again later
	}
}

// startEpisode starts an episode of errors unless one is under way and
// fresh is false, and reports whether it started one.
func (a *Acceptor) startEpisode(fresh bool) bool {
	if a.inEpisode && !fresh {
		return false
	}
	a.inEpisode = true
	a.episodeStart, a.episodeShed, a.episodeLogged = a.now(), 0, false
	return true
}

// recovered ends an episode of errors: an accept succeeded. It says so in
// the log if the episode's warning got there, so at most one warning and
// one recovery line per second reach it.
func (a *Acceptor) recovered() {
	a.delay, a.inEpisode = 0, false
	if a.episodeLogged {
		a.episodeLogged = false
		a.emit(slog.LevelInfo, "gale/netutil: accepting again",
			"after", a.now().Sub(a.episodeStart).Round(time.Millisecond), "shed", a.episodeShed)
	}
}

func (a *Acceptor) openReserve() {
	if fd, err := a.openSpare(); err == nil {
		a.reserve, a.haveReserve = fd, true
	}
}

func (a *Acceptor) closeReserve() {
	if a.haveReserve {
		closeReserve(a.reserve)
		a.haveReserve = false
	}
}

// logf logs through the rate limiter, adding the number of lines left out
// since the last one, and reports whether the line got through.
func (a *Acceptor) logf(level slog.Level, msg string, args ...any) bool {
	ok, suppressed := a.logs.allow(a.now())
	if !ok {
		return false
	}
	if suppressed > 0 {
		args = append(args, "suppressed", suppressed)
	}
	a.emit(level, msg, args...)
	return true
}

// emit logs a line naming the listener.
func (a *Acceptor) emit(level slog.Level, msg string, args ...any) {
	lg := a.logger
	if lg == nil {
		lg = slog.Default()
	}
	args = append(args, "listener", a.ln.addr.String())
	lg.Log(context.Background(), level, msg, args...)
}

// logLimiter lets one line through per logInterval and counts the rest.
type logLimiter struct {
	last       time.Time
	suppressed int
}

func (r *logLimiter) allow(now time.Time) (ok bool, suppressed int) {
	if !r.last.IsZero() && now.Sub(r.last) < logInterval {
		r.suppressed++
		return false, 0
	}
	suppressed, r.suppressed, r.last = r.suppressed, 0, now
	return true, suppressed
}

// acceptClass sorts accept errors by what the acceptor does about them.
type acceptClass uint8

const (
	acceptAgain     acceptClass = iota // nothing left to accept now
	acceptSkip                         // one connection failed: go on
	acceptExhausted                    // out of descriptors: shed, then pause
	acceptPause                        // anything else: pause
)
