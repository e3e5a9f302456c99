package stream

import (
	"errors"
	"io"
	"log/slog"
	"syscall"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/poller"
)

// Stream is a buffered, non-blocking byte stream over one descriptor (a
// connected socket or a pipe) on one loop: Tornado's IOStream.
//
// Concurrency: a Stream belongs to its loop. Every method must be called on
// the loop's goroutine (from a callback, handler or timer of that loop),
// and every callback the stream makes runs there. To reach a stream from
// another goroutine, Post to its loop.
//
// Callbacks never run inside the call that registers them: a read that the
// buffer can already satisfy completes on a later turn of the loop (or, when
// started from a stream callback, right after that callback returns), so
// code after a Read call never races its callback and deep recursion cannot
// build up on pipelined input.
type Stream struct {
	l  *loop.Loop
	o  *resolved
	fd poller.FD

	// Read side: the buffer is nil while empty (idle streams hold none).
	rb *readBuf
	rd readOp

	wq *writeQueue // nil while nothing waits to be written
	x  *extra      // nil until a read or Connect needs it

	closeCb    func(error)
	shutdownFn func() // SetShutdownHandler's

	interest poller.Events // registered with the loop
	flags    flags
}

type flags uint16

const (
	fRegistered    flags = 1 << iota // the fd is registered with the loop
	fClosed                          // closed: the fd is released
	fEOF                             // the peer closed its side (AllowHalfOpen)
	fInRun                           // inside run: completions are picked up by its loop
	fPosted                          // a run is posted to the loop
	fPaused                          // reading paused: the write queue is above the high-water mark
	fIdleEvent                       // a read event came with no read pending
	fShutWrite                       // CloseWrite was called
	fShutDone                        // the write side is shut down
	fConnecting                      // a Connect is in progress
	fCloseNotified                   // the close callback is scheduled
	fNotSocket                       // a pipe: no socket options
	fHandshake                       // a TLS handshake is running
	fTLS                             // TLS is established: I/O goes through it
	fTLSMore                         // crypto/tls may hold data the socket will not signal
	fHangup                          // the poller reported a hangup (for good)
)

// handler is the Stream as a loop.Handler, so that HandleEvents is not part
// of Stream's API.
type handler Stream

func (h *handler) HandleEvents(_ poller.FD, ev poller.Events) { (*Stream)(h).handleEvents(ev) }

// New returns a stream over fd, a socket (connected, or to be connected with
// Connect), on loop l. The stream owns fd from then on: it makes it
// non-blocking and closes it when the stream closes. If New fails, fd is
// left as it was, and still the caller's to close. New must be called on
// l's goroutine (or before l runs).
func New(l *loop.Loop, fd poller.FD, opts *Options) (*Stream, error) {
	if err := sysSetNonblock(fd); err != nil {
		return nil, err
	}
	return newStream(l, fd, opts), nil
}

func newStream(l *loop.Loop, fd poller.FD, opts *Options) *Stream {
	return &Stream{l: l, o: resolveShared(opts), fd: fd}
}

// Loop returns the loop the stream belongs to.
func (s *Stream) Loop() *loop.Loop { return s.l }

// FD returns the stream's descriptor, for socket options the stream does not
// offer. Do not read, write or close it.
func (s *Stream) FD() poller.FD { return s.fd }

// Closed reports whether the stream is closed. Buffered data may still be
// read after close.
func (s *Stream) Closed() bool { return s.flags&fClosed != 0 }

// Err returns what closed the stream: nil while open or after a local Close,
// io.EOF if the peer closed it, or the error that did.
func (s *Stream) Err() error {
	if s.x == nil {
		return nil
	}
	return s.x.err
}

// Reading reports whether a read is pending.
func (s *Stream) Reading() bool { return s.rd.kind != rNone }

// ReadPaused reports whether reading is held back because more than
// Options.WriteHighWater bytes wait to be written (it resumes at the
// low-water mark): meanwhile nothing the peer sends is read.
func (s *Stream) ReadPaused() bool {
	// As updateInterest will decide (the flag itself is updated there,
	// after the callbacks of a turn).
	hw := s.o.highWater
	if hw <= 0 || s.flags&fClosed != 0 {
		return false
	}
	q := s.outQueued()
	return q > hw || (s.flags&fPaused != 0 && q > s.o.lowWater)
}

// Writing reports whether written bytes are still waiting to reach the
// kernel.
func (s *Stream) Writing() bool { return s.outQueued() > 0 }

// WriteBuffered returns how many written bytes wait to reach the kernel.
func (s *Stream) WriteBuffered() int { return s.outQueued() }

// WriteRoom returns how many more bytes Write accepts now before
// Options.MaxWriteBufferSize refuses it with ErrBufferFull: the cap less
// WriteBuffered, or 0 when the queue is at (or, with TLS records' overhead,
// past) the cap; -1 when no cap is set. It lets a caller that must not be
// cut short between Writes, such as a framing protocol sending a header
// and its payload separately, check that everything fits before sending
// anything. With TLS, the queue holds encrypted records, a little larger
// than the bytes written.
func (s *Stream) WriteRoom() int {
	m := s.o.maxWrite
	if m <= 0 {
		return -1
	}
	return max(m-s.outQueued(), 0)
}

// SetCloseCallback sets a function called once, on the loop, after the
// stream closes (by Close, the peer, or an error), with Err(). As in
// Tornado it runs through Post, after the callbacks already queued, and
// after the pending read and write callbacks have been told. Setting it on
// an idle stream also makes the stream watch for the peer's close.
func (s *Stream) SetCloseCallback(cb func(err error)) {
	s.closeCb = cb
	s.settle()
}

// SetShutdownHandler sets how the protocol that owns the stream ends it
// gracefully when the server it belongs to shuts down (tcpserver's and
// httpserver's Shutdown): f is called on the loop instead of the server's
// default handling (httpserver closes a connection handed over to another
// protocol at once), and should end the session properly (a WebSocket
// sends its Close frame) and close the stream. The server waits for the
// stream to close, up to its Shutdown's deadline. nil restores the
// default.
func (s *Stream) SetShutdownHandler(f func()) { s.shutdownFn = f }

// ShutdownHandler returns what SetShutdownHandler set, or nil.
func (s *Stream) ShutdownHandler() func() { return s.shutdownFn }

// Close closes the stream and releases its descriptor. Unwritten bytes are
// dropped (see CloseWrite for a graceful end); a pending read completes if
// the buffer satisfies it and fails with a *ClosedError otherwise; write
// callbacks still waiting fail with it. Closing a closed stream does nothing.
// On a TLS stream with nothing queued, Close (and CloseWithError) first
// sends a close_notify alert, best effort, as crypto/tls's Close does.
func (s *Stream) Close() {
	s.sendCloseNotify()
	s.closeWith(nil)
}

// CloseWithError closes the stream with err as its cause, which Err and the
// *ClosedError of pending operations report.
func (s *Stream) CloseWithError(err error) {
	s.sendCloseNotify()
	s.closeWith(err)
}

// closeWith closes the stream: the descriptor goes at once, the callbacks are
// told by run.
func (s *Stream) closeWith(cause error) {
	if s.flags&fClosed != 0 {
		return
	}
	s.flags |= fClosed
	if ce, ok := cause.(*ClosedError); ok {
		// Closing with another stream's closed error (a proxy passing its
		// peer's on): keep the cause, not a closed error of a closed error.
		cause = ce.Cause
	}
	if cause != nil {
		s.ext().err = cause
	}
	if s.flags&fRegistered != 0 {
		s.l.RemoveHandler(s.fd)
		s.flags &^= fRegistered
	}
	s.interest = poller.None
	if s.x != nil && s.x.tls != nil {
		t := s.x.tls
		t.shut()
		if s.flags&fHandshake != 0 {
			if cb := t.cb; cb != nil {
				// Closed during the handshake: its callback learns it now,
				// as Tornado fails the handshake future at close, before
				// the close callback, not once the handshake goroutine
				// (maybe held in a GetCertificate) is done.
				t.cb = nil
				err := s.closedErr()
				s.l.Post(func() { cb(err) })
			}
			s.failHeldWritesAtClose(t)
		}
	}
	if s.flags&fConnecting != 0 {
		// Closed while connecting: the Connect callback learns it.
		s.flags &^= fConnecting
		s.wq.failAll()
		cb, err := s.x.connect, s.closedErr()
		s.x.connect = nil
		s.l.Post(func() { cb(err) })
	}
	sysClose(s.fd)
	s.wq.releaseBufs()
	if s.o.onClose != nil {
		s.o.onClose(s, cause)
	}
	s.settle()
}

// recoverPanic closes a stream whose callback panicked (its state is
// unknown), then lets the panic go on to the loop, which logs it and serves
// the other descriptors.
func (s *Stream) recoverPanic() {
	if r := recover(); r != nil {
		s.flags &^= fInRun
		s.closeWith(&PanicError{Value: r})
		// If the callback had closed the stream itself, the run it
		// interrupted would have told the close callback: post one.
		s.settle()
		panic(r)
	}
}

// fail closes the stream after an I/O error, logging it unless it only says
// the peer went away (Tornado logs the others as warnings).
func (s *Stream) fail(err error) {
	if !quietErr(err) && !errors.Is(err, io.ErrUnexpectedEOF) {
		// (io.ErrUnexpectedEOF: the peer closed in the middle of a TLS
		// record, Tornado's quiet SSL_ERROR_EOF.)
		slog.Warn("gale/stream: I/O error, closing connection", "err", err, "peer", s.RemoteAddr())
	}
	s.closeWith(err)
}

func (s *Stream) closedErr() error { return &ClosedError{Cause: s.Err()} }

// settle makes sure run happens soon: now if a stream callback is running
// (its run loop will pick the change up), else on the loop's next turn.
func (s *Stream) settle() {
	if s.flags&fInRun != 0 {
		return
	}
	if s.hasCompletions() || s.tlsPending() {
		// (crypto/tls may hold records the poller will not report: run
		// reads them.)
		s.post()
		return
	}
	s.updateInterest()
	if s.tlsPending() {
		s.post() // resumed (below the low-water mark) with records held
	}
}

func (s *Stream) post() {
	if s.flags&fPosted != 0 {
		return
	}
	s.flags |= fPosted
	if s.x != nil && s.x.tls != nil {
		// TLS streams post a run on most turns (tlsPending): they keep
		// the function, which costs an allocation to make.
		t := s.x.tls
		if t.postedRun == nil {
			t.postedRun = s.runPosted
		}
		s.l.Post(t.postedRun)
		return
	}
	s.l.Post(s.runPosted)
}

// runPosted is the run post asked for.
func (s *Stream) runPosted() {
	s.flags &^= fPosted
	s.run()
}

// tlsPending reports whether a pending read should try TLS again without
// waiting for the poller.
func (s *Stream) tlsPending() bool {
	// Not while paused: reading what crypto/tls holds reads the socket too.
	return s.flags&(fTLS|fTLSMore|fClosed|fEOF|fPaused) == fTLS|fTLSMore && s.rd.kind != rNone && !s.readComplete()
}

// hasCompletions reports whether run has a callback to make.
func (s *Stream) hasCompletions() bool {
	return s.readComplete() || s.writeDue() || s.closeDue()
}

// writeDue reports whether a write callback can fire. None can while the
// stream connects: an empty write's bytes are "written" at once, but
// nothing reached the peer (the connect may still fail), and the connect
// callback goes first.
func (s *Stream) writeDue() bool {
	return s.flags&fConnecting == 0 && s.wq.due(s.flags&fClosed != 0)
}

func (s *Stream) closeDue() bool {
	return s.flags&(fClosed|fCloseNotified) == fClosed && s.closeCb != nil && s.rd.kind == rNone && !s.wq.hasCallbacks()
}

// run makes every callback that is due, in a loop, because each may start
// another read or write that completes at once; then it releases an empty
// read buffer and updates the loop registration.
func (s *Stream) run() {
	defer s.recoverPanic()
	s.flags |= fInRun
	pumped := false
	for {
		switch {
		case !pumped && s.tlsPending():
			// TLS may have data the poller will not report: read it.
			pumped = true
			s.handleRead()
		case s.readComplete():
			s.completeRead()
		case s.writeDue():
			s.wq.fire(s.flags&fClosed != 0, s.Err())
		case s.closeDue():
			s.flags |= fCloseNotified
			cb, err := s.closeCb, s.Err()
			s.l.Post(func() { cb(err) })
		default:
			s.flags &^= fInRun
			s.releaseReadBuffer()
			s.releaseWriteQueue()
			s.updateInterest()
			if s.tlsPending() {
				s.post() // more on the next turn, after other descriptors
			}
			return
		}
	}
}

func (s *Stream) handleEvents(ev poller.Events) {
	defer s.recoverPanic()
	s.flags |= fInRun
	if ev&poller.Hangup != 0 {
		s.flags |= fHangup
	}
	if s.flags&fConnecting != 0 {
		if ev&(poller.Writable|poller.Error|poller.Hangup) != 0 {
			s.finishConnect()
		}
	} else if s.flags&fHandshake != 0 {
		if ev&(poller.Writable|poller.Error|poller.Hangup) != 0 && s.wq.pending() > 0 {
			s.flush()
		}
		if ev&(poller.Readable|poller.Error|poller.Hangup) != 0 && s.flags&fClosed == 0 {
			s.feedHandshake()
		}
	} else {
		if ev&(poller.Writable|poller.Error|poller.Hangup) != 0 && s.wq.pending() > 0 {
			s.flush()
		}
		if ev&poller.Error != 0 && s.flags&(fNotSocket|fClosed) == fNotSocket && s.rd.kind == rNone {
			// A pipe's write end watched for its close: the reader is
			// gone, as a write would learn (a read of that end would
			// only fail with EBADF).
			s.closeWith(wrapSyscall("write", syscall.EPIPE))
		}
		if ev&(poller.Readable|poller.Error|poller.Hangup) != 0 && s.flags&fClosed == 0 {
			s.handleRead()
		}
		if ev&poller.Error != 0 && s.flags&(fClosed|fNotSocket) == 0 && s.rd.kind == rNone && s.wq.pending() == 0 {
			// Nothing read or written that would surface it (an idle
			// stream may still be registered for reading).
			if err := sysSocketError(s.fd); err != nil {
				s.closeWith(err)
			}
		}
	}
	s.run()
}

// updateInterest registers what the stream needs from the loop now.
func (s *Stream) updateInterest() {
	if s.flags&fClosed != 0 {
		return
	}
	if hw := s.o.highWater; hw > 0 {
		if q := s.outQueued(); q > hw {
			s.flags |= fPaused
		} else if s.flags&fPaused != 0 && q <= s.o.lowWater {
			s.flags &^= fPaused
		}
	}
	want := poller.None
	switch {
	case s.flags&fConnecting != 0:
		want = poller.Writable
	case s.flags&fHandshake != 0:
		// Until the end of file (or an error) is handed to the handshake
		// goroutine: then nothing is left to read, and a readable end of
		// file would be reported on every poll until the handshake ends.
		// (Only the loop sets inErr.)
		if s.x.tls.inErr == nil {
			want = poller.Readable
		}
	case s.flags&(fEOF|fPaused) != 0:
	case s.rd.kind != rNone:
		want = poller.Readable
	case s.closeCb != nil && s.unread() == 0:
		// Idle with a close callback: watch for the peer's close.
		want = poller.Readable
	case s.interest&poller.Readable != 0 && s.flags&fIdleEvent == 0:
		// No read pending, but keep the registration until a read event
		// finds nothing to do: a request/response protocol usually starts
		// its next read before then, which saves two system calls.
		want = poller.Readable
	}
	s.flags &^= fIdleEvent
	if s.wq.pending() > 0 {
		want |= poller.Writable
	}
	if want == poller.None && s.flags&(fHangup|fRegistered) == fHangup|fRegistered {
		// A hangup is reported on every poll, interest or not: an idle
		// stream that stayed registered would spin the loop. It comes
		// back (and learns of the hangup again) when it wants something.
		s.l.RemoveHandler(s.fd)
		s.flags &^= fRegistered
		s.interest = poller.None
		return
	}
	if want == s.interest && (s.flags&fRegistered != 0 || want == poller.None) {
		return
	}
	var err error
	if s.flags&fRegistered == 0 {
		err = s.l.AddHandler(s.fd, want, (*handler)(s))
		if err == nil {
			s.flags |= fRegistered
		}
	} else {
		err = s.l.UpdateHandler(s.fd, want)
	}
	if err != nil {
		s.closeWith(err)
		return
	}
	s.interest = want
}

// NewPipe returns a stream over one end of a pipe (or any other descriptor
// that is not a socket) on loop l; it owns fd as New does. Socket options do
// nothing on it, and CloseWrite closes the stream (a pipe has no
// half-close).
func NewPipe(l *loop.Loop, fd poller.FD, opts *Options) (*Stream, error) {
	s, err := New(l, fd, opts)
	if err != nil {
		return nil, err
	}
	s.flags |= fNotSocket
	return s, nil
}
