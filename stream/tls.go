package stream

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// ErrNotIdle is returned by StartTLS while a read or write is pending.
var ErrNotIdle = errors.New("stream: not idle; cannot start TLS")

// tlsState is a stream's TLS layer: a crypto/tls Conn over a transport
// (tlsTransport) that the loop feeds.
//
// crypto/tls is written for blocking connections, and its handshake cannot
// resume after a would-block error, so the handshake runs on a goroutine:
// the loop reads ciphertext from the socket into in and wakes it; what the
// handshake writes is posted back to the loop, which sends it. Once the
// handshake is done the goroutine ends and the loop drives the Conn
// itself: the transport then reads the socket directly and reports
// would-block as a temporary net.Error, which crypto/tls returns without
// failing the connection, and writes go straight into the stream's write
// queue. So an established TLS connection costs no goroutine.
type tlsState struct {
	s    *Stream
	conn *tls.Conn

	mu          sync.Mutex
	wake        chan struct{} // tells the waiting handshake goroutine to look again
	in          []byte        // ciphertext from the loop, not yet read by crypto/tls
	inErr       error         // end of file or error the loop saw
	handshaking bool
	closed      bool
	closing     bool // on the loop: Close is sending the close_notify
	endSent     bool // on the loop: CloseWrite sent the close_notify

	postedRun func() // the stream's runPosted, made once (see post)

	cb      func(error)
	pending []pendingWrite // plaintext written during the handshake
	held    int            // bytes in pending, counted as queued (outQueued)
}

type pendingWrite struct {
	b  []byte
	cb func(error)
}

// StartTLS starts TLS on the stream, as a server or a client, and calls cb
// on the loop when the handshake is done (nil) or failed (the handshake's
// own error, e.g. a certificate verification error; the stream is then
// closed); if the stream is closed first, cb gets a *ClosedError, before
// the close callback runs. A client verifies the server's certificate
// unless config says otherwise; set config.ServerName (SNI and
// verification) and NextProtos (ALPN) as crypto/tls documents. Bytes
// already buffered (a ClientHello that arrived behind a PROXY header,
// say) are fed to TLS; what the peer sends while the handshake runs is
// held to Options.MaxBufferSize (but at least 320 KiB, room for a
// handshake flight with the largest certificate message crypto/tls
// takes), as reads are (beyond it the stream closes with
// ErrBufferFull). Reads may be started at once: they complete once the
// handshake is done and data arrives; writes made during the handshake are
// sent after it. StartTLS fails with ErrNotIdle while a read or write is
// pending.
//
// cb may be nil, for a caller that only reads and writes (a failed
// handshake still closes the stream, which they learn).
//
// TLS 1.2 renegotiation is not supported: config.Renegotiation is taken as
// tls.RenegotiateNever, so a peer's renegotiation request is refused and
// closes the stream.
//
// The handshake runs on a goroutine (see the package doc for its cost);
// afterwards TLS records are read and written by the loop itself. If the
// loop is closed during the handshake, the goroutine ends and cb is not
// called (no loop is left to run it).
func (s *Stream) StartTLS(config *tls.Config, server bool, cb func(err error)) error {
	if s.flags&fClosed != 0 {
		return s.closedErr()
	}
	if s.rd.kind != rNone || s.wq.pending() > 0 || s.flags&(fConnecting|fTLS|fHandshake) != 0 {
		return ErrNotIdle
	}
	if cb == nil {
		cb = func(error) {}
	}
	t := &tlsState{s: s, handshaking: true, cb: cb, wake: make(chan struct{}, 1)}
	if buf := s.Buffered(); len(buf) > 0 {
		t.in = append([]byte(nil), buf...)
		s.consume(len(buf))
		s.releaseReadBuffer()
	}
	tr := &tlsTransport{t: t, local: s.LocalAddr(), remote: s.RemoteAddr()}
	if config != nil && config.Renegotiation != tls.RenegotiateNever {
		// A renegotiation runs its handshake inside a read, which the
		// loop's reads cannot finish (they would block): the handshake
		// error would be a would-block, kept by crypto/tls for good, and
		// the stream would poll readable with every read "blocking".
		// Refuse the peer instead, as crypto/tls does by default.
		config = config.Clone()
		config.Renegotiation = tls.RenegotiateNever
	}
	if server {
		t.conn = tls.Server(tr, config)
	} else {
		t.conn = tls.Client(tr, config)
	}
	s.ext().tls = t
	s.flags |= fHandshake
	go t.handshake()
	s.settle()
	return nil
}

// TLSState returns the TLS connection state once the handshake is done.
func (s *Stream) TLSState() (tls.ConnectionState, bool) {
	if s.flags&fTLS == 0 {
		return tls.ConnectionState{}, false
	}
	return s.x.tls.conn.ConnectionState(), true
}

// handshake runs on its own goroutine.
func (t *tlsState) handshake() {
	err := t.conn.HandshakeContext(context.Background())
	if t.s.l.Post(func() { t.s.finishHandshake(err) }) != nil {
		// The loop is closed: nobody is left to tell.
		return
	}
}

// feedHandshake runs on the loop while the handshake goroutine runs: it
// moves ciphertext from the socket to the goroutine.
func (s *Stream) feedHandshake() {
	t := s.x.tls
	var buf [16 << 10]byte
	for {
		n, err := s.sysRead(buf[:])
		if err != nil && wouldBlock(err) {
			return
		}
		t.mu.Lock()
		if limit := max(s.o.maxBuffer, minHandshakeInput); err == nil && n > 0 && len(t.in)+n > limit {
			// The handshake goroutine is not keeping up (it may be
			// waiting on a GetCertificate): hold the peer to the read
			// buffer's cap, as any read is.
			t.mu.Unlock()
			slog.Error("gale/stream: reached maximum read buffer size during TLS handshake, closing connection", "max", limit, "peer", s.RemoteAddr())
			s.closeWith(ErrBufferFull)
			return
		}
		switch {
		case err != nil:
			t.inErr = wrapSyscall("read", err)
		case n == 0:
			t.inErr = io.EOF
		default:
			t.in = append(t.in, buf[:n]...)
		}
		t.signal()
		stop := t.inErr != nil || n < len(buf)
		t.mu.Unlock()
		if stop {
			return
		}
	}
}

// minHandshakeInput is the least ciphertext a handshake may have waiting,
// whatever Options.MaxBufferSize says: the cap bounds plaintext, and a
// handshake flight (a ClientHello with post-quantum key shares, a
// certificate chain) is often larger than a small cap while it arrives in
// one read. crypto/tls takes a handshake message of up to 64 KiB, and a
// certificate message of up to 256 KiB: room for one of those in its
// records, with the rest of its flight, since the loop may read a whole
// flight before the handshake goroutine takes any of it (always so with
// one P).
const minHandshakeInput = 320 << 10

// failHeldWrites tells the writes held during a handshake that ended with
// the stream closed: each callback gets the closed error, as for any write
// pending at close.
func (s *Stream) failHeldWrites(t *tlsState) {
	held := t.pending
	t.pending, t.held = nil, 0
	for _, w := range held {
		if w.cb != nil {
			w.cb(s.closedErr())
		}
	}
}

// failHeldWritesAtClose moves the callbacks of the writes held during a
// handshake that the stream's close ends to the write queue, failed, so
// that run tells them before the close callback, as it does any write
// pending at close.
func (s *Stream) failHeldWritesAtClose(t *tlsState) {
	for _, w := range t.pending {
		if w.cb != nil {
			q := s.queue()
			q.cbs = append(q.cbs, writeCallback{end: ^uint64(0), cb: w.cb})
		}
	}
	clear(t.pending)
	t.pending, t.held = nil, 0
}

// finishHandshake runs on the loop once the handshake goroutine is done.
func (s *Stream) finishHandshake(err error) {
	defer s.recoverPanic()
	t := s.x.tls
	t.mu.Lock()
	t.handshaking = false
	t.wake = nil // the goroutine is done with it; an idle stream keeps less
	t.mu.Unlock()
	s.flags &^= fHandshake
	s.flags |= fInRun
	cb := t.cb
	t.cb = nil
	switch {
	case s.flags&fClosed != 0:
		// Closed during the handshake: closeWith told cb already.
		s.failHeldWrites(t)
	case err != nil:
		if !quietErr(err) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			slog.Warn("gale/stream: TLS handshake failed", "err", err, "peer", s.RemoteAddr())
		}
		s.closeWith(err)
		cb(err)
		s.failHeldWrites(t)
	default:
		// The handshake's reads may have taken application data that
		// came right behind it (into t.in, or into crypto/tls's own
		// buffer): the socket will not signal it again, so look.
		// The held writes go first, so that the callback's own writes
		// follow them; they were accepted (and counted against the cap)
		// when written, so they skip Write's checks.
		s.flags |= fTLS | fTLSMore
		pending := t.pending
		t.pending, t.held = nil, 0
		for _, w := range pending {
			if s.flags&fClosed != 0 {
				if w.cb != nil {
					w.cb(s.closedErr())
				}
				continue
			}
			s.tlsWrite(w.b, w.cb)
		}
		if s.flags&(fShutWrite|fClosed) == fShutWrite {
			// CloseWrite was called during the handshake: end the output now.
			t.closeWrite()
			if s.wq.pending() == 0 {
				s.shutdownWrite()
			}
		}
		cb(nil)
	}
	s.run()
}

// tlsRead reads plaintext into dst on the loop, after the handshake.
func (s *Stream) tlsRead(dst []byte) (int, error) {
	n, err := s.x.tls.conn.Read(dst)
	if n > 0 {
		// crypto/tls may hold more, decrypted or not, that the socket will
		// not signal: look again before waiting on the poller.
		s.flags |= fTLSMore
		return n, nil
	}
	s.flags &^= fTLSMore
	switch {
	case err == nil:
		return 0, errAgain
	case errors.Is(err, errTLSWouldBlock):
		return 0, errAgain
	case errors.Is(err, io.EOF):
		return 0, nil
	case temporary(err):
		return 0, errAgain
	}
	return 0, err
}

// temporary reports whether err is a net.Error that says it is temporary.
// (A function of its own: the net.Error errors.As fills escapes, and
// declared in tlsRead it cost an allocation on every read.)
func temporary(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Temporary()
}

// sendCloseNotify ends an established TLS session with a close_notify
// alert before a local Close (RFC 8446 section 6.1: each party MUST send
// one before closing its write side), as crypto/tls's Conn.Close does, so
// that a peer telling a truncation from a proper end (OpenSSL 3 does) sees
// the end. It is best effort: only when nothing is queued ahead of it
// (Close drops queued bytes, and the alert must not follow part of a
// record) and only what the kernel takes at once; a failure is ignored.
func (s *Stream) sendCloseNotify() {
	if s.flags&(fTLS|fShutWrite|fClosed) != fTLS || s.wq.pending() > 0 {
		return
	}
	t := s.x.tls
	t.closing = true
	t.conn.CloseWrite() // writes the alert through tlsTransport.Write
	t.closing = false
}

// closeWrite queues the close_notify alert for CloseWrite; nothing is
// sent after it.
func (t *tlsState) closeWrite() {
	t.conn.CloseWrite()
	t.endSent = true
}

// tlsWrite encrypts b into the raw write queue, or holds it during the
// handshake.
func (s *Stream) tlsWrite(b []byte, cb func(error)) error {
	if s.flags&fHandshake != 0 {
		t := s.x.tls
		t.pending = append(t.pending, pendingWrite{b: append([]byte(nil), b...), cb: cb})
		t.held += len(b)
		s.settle()
		return nil
	}
	if len(b) > 0 {
		if _, err := s.x.tls.conn.Write(b); err != nil {
			s.fail(err)
			if cb != nil {
				q := s.queue()
				q.cbs = append(q.cbs, writeCallback{end: ^uint64(0), cb: cb})
			}
			return nil
		}
	}
	if cb != nil {
		q := s.queue()
		end := q.total
		if s.flags&fClosed != 0 {
			// A record's write failed and closed the stream (crypto/tls
			// does not see it: the transport takes every record).
			end = ^uint64(0)
		}
		q.cbs = append(q.cbs, writeCallback{end: end, cb: cb})
	}
	s.settle()
	return nil
}

// errTLSWouldBlock is what the transport returns when the socket has
// nothing: a temporary net.Error, which crypto/tls passes back without
// marking the connection broken.
var errTLSWouldBlock = &wouldBlockError{}

type wouldBlockError struct{}

func (*wouldBlockError) Error() string   { return "stream: would block" }
func (*wouldBlockError) Timeout() bool   { return true }
func (*wouldBlockError) Temporary() bool { return true }

// tlsTransport is the net.Conn crypto/tls runs over.
type tlsTransport struct {
	t             *tlsState
	local, remote net.Addr
}

func (tr *tlsTransport) Read(p []byte) (int, error) {
	t := tr.t
	t.mu.Lock()
	if t.handshaking {
		// On the handshake goroutine: wait for the loop to feed us.
		// Until the loop closes: then nothing will feed us again.
		for len(t.in) == 0 && t.inErr == nil && !t.closed {
			t.mu.Unlock()
			select {
			case <-t.wake:
			case <-t.s.l.Done():
				t.mu.Lock()
				t.closed = true
				t.mu.Unlock()
			}
			t.mu.Lock()
		}
	}
	if len(t.in) > 0 {
		n := copy(p, t.in)
		t.in = t.in[n:]
		if len(t.in) == 0 {
			t.in = nil
		}
		t.mu.Unlock()
		return n, nil
	}
	err := t.inErr
	if t.closed && err == nil {
		err = net.ErrClosed
	}
	handshaking := t.handshaking
	t.mu.Unlock()
	if err != nil || handshaking {
		return 0, err
	}
	// On the loop, after the handshake: read the socket directly.
	s := t.s
	n, err := s.sysRead(p)
	switch {
	case err != nil && wouldBlock(err):
		return 0, errTLSWouldBlock
	case err != nil:
		return 0, wrapSyscall("read", err)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

func (tr *tlsTransport) Write(p []byte) (int, error) {
	t := tr.t
	t.mu.Lock()
	handshaking, closed := t.handshaking, t.closed
	t.mu.Unlock()
	if closed {
		return 0, net.ErrClosed
	}
	if handshaking {
		// On the handshake goroutine: the loop sends it.
		b := append([]byte(nil), p...)
		s := t.s
		if s.l.Post(func() { s.writeRaw(b) }) != nil {
			return 0, net.ErrClosed
		}
		return len(p), nil
	}
	if t.closing {
		t.s.sysWrite(p) // best effort: the stream is closing
		return len(p), nil
	}
	if t.endSent {
		// After CloseWrite's close_notify nothing may be sent (RFC 8446
		// section 6.1), and the socket's write side may be shut already
		// (a write would fail the stream with EPIPE and end its
		// half-open reads): what crypto/tls still writes, the answer to
		// a peer's KeyUpdate or an alert, is dropped. It is reported
		// written: a failed KeyUpdate answer would leave crypto/tls on
		// the old read keys, and every later record would fail.
		return len(p), nil
	}
	t.s.writeRaw(p)
	return len(p), nil
}

// Close is called by crypto/tls only on failures; the stream owns the
// socket, so it only stops the handshake goroutine's reads.
func (tr *tlsTransport) Close() error {
	tr.t.shut()
	return nil
}

func (tr *tlsTransport) LocalAddr() net.Addr              { return tr.local }
func (tr *tlsTransport) RemoteAddr() net.Addr             { return tr.remote }
func (tr *tlsTransport) SetDeadline(time.Time) error      { return nil }
func (tr *tlsTransport) SetReadDeadline(time.Time) error  { return nil }
func (tr *tlsTransport) SetWriteDeadline(time.Time) error { return nil }

// shut wakes and fails the handshake goroutine's reads (the stream closed).
func (t *tlsState) shut() {
	t.mu.Lock()
	t.closed = true
	t.signal()
	t.mu.Unlock()
}

// signal wakes the handshake goroutine if it waits (one goroutine waits at
// most; a wake-up it has not taken yet is enough for the next change too).
func (t *tlsState) signal() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}
