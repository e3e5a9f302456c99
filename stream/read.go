package stream

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"sync"

	"github.com/gale-io/gale/internal/stock"
)

type readKind uint8

const (
	rNone       readKind = iota
	rBytes               // ReadBytes: n bytes, or 1..n with partial
	rUntil               // ReadUntil: through a delimiter, max n bytes
	rRegexp              // ReadUntilRegexp: through a match, max n bytes
	rInto                // ReadInto: fill the caller's buffer
	rUntilClose          // ReadUntilClose: everything, at close
	rStream              // ReadStream: every chunk as it arrives, until close
	rPeek                // Peek: at least n bytes buffered, nothing consumed
)

// readOp is the one pending read. The fields only some reads use live in
// the stream's extra, allocated the first time one of them is used, so
// that a Stream stays small (it is most of a connection's memory).
type readOp struct {
	kind    readKind
	partial bool
	n       int // bytes wanted, or the max-bytes limit (0: none)
	cb      func([]byte, error)
}

// extra is the part of a stream that only some streams need.
type extra struct {
	delim   []byte // rUntil
	scanned int    // rUntil: bytes already searched for the delimiter
	re      *regexp.Regexp
	into    []byte // rInto
	filled  int
	intoCb  func(int, error)
	connect func(error) // a Connect in progress
	tls     *tlsState   // after StartTLS
	remote  net.Addr    // SetRemoteAddr's override
	err     error       // what closed the stream (nil for a local Close)
}

// ext returns the stream's extra, allocating it on first use.
func (s *Stream) ext() *extra {
	if s.x == nil {
		s.x = new(extra)
	}
	return s.x
}

// readBuf is a stream's read buffer while it holds data: the unread bytes
// are b[pos:]. It (with its pooled bytes) goes back to a pool once empty.
type readBuf struct {
	b   []byte
	pos int
}

var readBufPool = sync.Pool{New: func() any { return new(readBuf) }}

// readBufs is each loop's stock of drained read buffers (internal/stock):
// a busy stream takes one for each message and gives it back once the
// message is consumed, without a trip through sync.Pool (about 2% of a
// small message's CPU). Only buffers of at most maxStockedBuf bytes are
// stocked; the rest go to the pools as before, and a stream still holds
// no buffer while idle.
var readBufs = stock.NewKey[*readBuf]()

const maxStockedBuf = defaultChunk

// takeStocked returns a stocked buffer with room for at least chunk bytes,
// or nil.
func (s *Stream) takeStocked(chunk int) *readBuf {
	st := stock.Of(s.l, readBufs)
	if rb, ok := st.Top(); !ok || cap(rb.b) < chunk {
		return nil
	}
	rb, _ := st.Pop()
	return rb
}

// keepStocked stocks a drained buffer, reporting false when the stock is
// full or the buffer too big to hold on to.
func (s *Stream) keepStocked(rb *readBuf) bool {
	if cap(rb.b) > maxStockedBuf {
		return false
	}
	rb.b, rb.pos = rb.b[:0], 0
	return stock.Of(s.l, readBufs).Push(rb)
}

func (s *Stream) unread() int {
	if s.rb == nil {
		return 0
	}
	return len(s.rb.b) - s.rb.pos
}

// consume drops n buffered bytes (n <= unread).
func (s *Stream) consume(n int) {
	if n > 0 {
		s.rb.pos += n
	}
}

// Buffered returns the bytes read from the peer and not yet consumed,
// without copying. The slice stays valid until the stream reads again or
// the caller returns to the loop; it must not be modified. With Consume it
// is the codec-facing view: parse in place, then Consume what was used.
func (s *Stream) Buffered() []byte {
	if s.rb == nil {
		return nil
	}
	return s.rb.b[s.rb.pos:]
}

// Consume discards the first n buffered bytes (see Buffered and Peek). It
// panics if n is negative or more than is buffered.
func (s *Stream) Consume(n int) {
	if n < 0 || n > s.unread() {
		panic("stream: Consume(" + strconv.Itoa(n) + ") with " + strconv.Itoa(s.unread()) + " bytes buffered")
	}
	s.consume(n)
	if s.rd.kind == rUntil {
		s.x.scanned = max(0, s.x.scanned-n)
	}
	if s.flags&fInRun == 0 {
		s.releaseReadBuffer()
	}
}

// start begins a read. A read that cannot complete because the stream is
// closed fails at once, as in Tornado; one the buffer satisfies completes
// on the loop.
func (s *Stream) start(op readOp) error {
	if s.rd.kind != rNone {
		if s.flags&fClosed != 0 {
			// The pending read is about to be told of the close (on the
			// loop): report the close, as Tornado's _start_read does.
			return s.closedErr()
		}
		return ErrAlreadyReading
	}
	s.rd = op
	if s.flags&(fClosed|fEOF) != 0 && !s.satisfiable(true) {
		s.rd = readOp{}
		return s.eofOrClosedErr() // as a read pending at the end of file gets
	}
	s.settle()
	return nil
}

// ReadBytes reads exactly n bytes and calls cb with them; with partial, it
// completes as soon as at least one byte is there, with at most n. n == 0
// completes with an empty slice. The slice passed to cb is only valid
// until cb returns (copy it to keep it). On close, cb gets a *ClosedError
// unless the buffer already held what was asked.
func (s *Stream) ReadBytes(n int, partial bool, cb func(data []byte, err error)) error {
	if n < 0 {
		return errNegative
	}
	return s.start(readOp{kind: rBytes, n: n, partial: partial, cb: cb})
}

// ReadUntil reads through the first occurrence of delim and calls cb with
// the data, delimiter included (valid until cb returns). With maxBytes > 0,
// if the delimiter does not end within the first maxBytes bytes the stream
// is closed and cb gets a *ClosedError whose cause is an
// *UnsatisfiableReadError, as in Tornado.
func (s *Stream) ReadUntil(delim []byte, maxBytes int, cb func(data []byte, err error)) error {
	if len(delim) == 0 {
		return errEmptyDelim
	}
	if s.rd.kind == rNone {
		x := s.ext()
		x.delim, x.scanned = delim, 0
	}
	return s.start(readOp{kind: rUntil, n: maxBytes, cb: cb})
}

// ReadUntilRegexp reads through the first match of re and calls cb with the
// data, match included (valid until cb returns); maxBytes as in ReadUntil.
// The pattern is searched from the start of the buffer each time data
// arrives, so prefer ReadUntil when a fixed delimiter will do. As in
// Tornado, it matches what is buffered at that moment: a match that more
// data could have extended (`a+` on "aa" with "aaa" still on its way)
// completes with what is there, so the pattern should end in something
// that marks the end, as a delimiter does.
func (s *Stream) ReadUntilRegexp(re *regexp.Regexp, maxBytes int, cb func(data []byte, err error)) error {
	if s.rd.kind == rNone {
		s.ext().re = re
	}
	return s.start(readOp{kind: rRegexp, n: maxBytes, cb: cb})
}

// ReadInto reads into buf, which the stream fills directly (no copy when
// nothing is buffered), and calls cb with the count: len(buf), or with
// partial as soon as at least one byte arrived. buf belongs to the stream
// until cb runs. An empty buf completes with 0. What is buffered when the
// stream reads moves into buf and the rest goes straight there, so buf may
// be larger than Options.MaxBufferSize.
func (s *Stream) ReadInto(buf []byte, partial bool, cb func(n int, err error)) error {
	if s.rd.kind == rNone {
		x := s.ext()
		x.into, x.filled, x.intoCb = buf, 0, cb
	}
	return s.start(readOp{kind: rInto, partial: partial})
}

// ReadUntilClose reads until the stream closes and calls cb with everything
// (valid until cb returns) and a nil error, whatever closed the stream, as
// in Tornado. The data is bounded by Options.MaxBufferSize; use ReadStream
// for unbounded data.
func (s *Stream) ReadUntilClose(cb func(data []byte, err error)) error {
	return s.start(readOp{kind: rUntilClose, cb: cb})
}

// ReadStream calls cb with each chunk of data as it arrives (valid until cb
// returns) until the stream closes; then once more with no data and io.EOF
// if the peer closed, or a *ClosedError otherwise. The read stays pending
// the whole time, so no other read can start; cb may Close the stream.
func (s *Stream) ReadStream(cb func(chunk []byte, err error)) error {
	return s.start(readOp{kind: rStream, cb: cb})
}

// Peek waits until at least n bytes are buffered (n < 1 counts as 1) and
// calls cb with all the buffered bytes, consuming none: the callee calls
// Consume for what it used. This is the codec-facing read: a parser that
// stopped mid-message with k bytes left asks for k+1. buf is valid until
// the stream reads again or the loop turn ends. If the stream closes first,
// cb gets what is buffered and a *ClosedError (io.EOF as its cause when
// the peer closed).
func (s *Stream) Peek(n int, cb func(buf []byte, err error)) error {
	return s.start(readOp{kind: rPeek, n: max(n, 1), cb: cb})
}

// readComplete reports whether the pending read can complete now, with
// data or with an error.
func (s *Stream) readComplete() bool {
	if s.rd.kind == rNone {
		return false
	}
	ended := s.flags&(fClosed|fEOF) != 0
	return ended || s.satisfiable(false)
}

// satisfiable reports whether the buffer can complete the pending read
// (for a delimiter or pattern read, that includes failing it for the
// max-bytes limit, once more than that many bytes are buffered); ended says whether the stream ended, which is what
// completes ReadUntilClose and ReadStream.
func (s *Stream) satisfiable(ended bool) bool {
	rd := &s.rd
	avail := s.unread()
	switch rd.kind {
	case rBytes:
		return avail >= rd.n || (rd.partial && avail > 0)
	case rUntil:
		return findDelim(s.Buffered(), s.x.delim, &s.x.scanned) >= 0 || (rd.n > 0 && avail > rd.n)
	case rRegexp:
		// As in Tornado, only buffered data is searched: a pattern that
		// matches the empty string waits for data rather than completing
		// with none.
		return avail > 0 && (s.x.re.Match(s.Buffered()) || (rd.n > 0 && avail > rd.n))
	case rInto:
		x := s.x
		return x.filled+avail >= len(x.into) || (rd.partial && x.filled+avail > 0)
	case rUntilClose:
		return ended
	case rStream:
		return avail > 0 || ended
	case rPeek:
		return avail >= rd.n
	}
	return false
}

// findDelim returns the end of delim in buf, or -1. It resumes the search
// where the last one stopped (*scanned bytes were searched already), so a
// long line arriving in small pieces costs linear time, not quadratic.
func findDelim(buf, delim []byte, scanned *int) int {
	from := max(0, *scanned-len(delim)+1)
	if i := bytes.Index(buf[from:], delim); i >= 0 {
		return from + i + len(delim)
	}
	*scanned = len(buf)
	return -1
}

// completeRead makes the pending read's callback; readComplete is true.
func (s *Stream) completeRead() {
	rd := s.rd
	avail := s.unread()
	buf := s.Buffered()
	// A stream read stays pending between chunks.
	if rd.kind != rStream {
		s.rd = readOp{}
	}
	switch rd.kind {
	case rBytes:
		if avail >= rd.n || (rd.partial && avail > 0) {
			n := min(avail, rd.n)
			s.consume(n)
			rd.cb(buf[:n], nil)
			return
		}
	case rUntil, rRegexp:
		end, what := -1, ""
		x := s.x
		if rd.kind == rUntil {
			end = findDelim(buf, x.delim, &x.scanned)
			what = "delimiter " + strconv.Quote(string(x.delim))
			x.delim = nil
		} else {
			if loc := x.re.FindIndex(buf); loc != nil && avail > 0 {
				end = loc[1]
			}
			what = "pattern " + strconv.Quote(x.re.String())
			x.re = nil
		}
		// As in Tornado, only data beyond the limit makes it unsatisfiable.
		if rd.n > 0 && (end > rd.n || (end < 0 && avail > rd.n)) {
			err := &UnsatisfiableReadError{What: what, MaxBytes: rd.n}
			slog.Info("gale/stream: unsatisfiable read, closing connection", "err", err, "peer", s.RemoteAddr())
			s.closeWith(err)
			rd.cb(nil, s.closedErr())
			return
		}
		if end >= 0 {
			s.consume(end)
			rd.cb(buf[:end], nil)
			return
		}
	case rInto:
		x := s.x
		n := copy(x.into[x.filled:], buf)
		s.consume(n)
		filled, full, cb := x.filled+n, x.filled+n == len(x.into), x.intoCb
		x.into, x.filled, x.intoCb = nil, 0, nil
		if full || (rd.partial && filled > 0) {
			cb(filled, nil)
			return
		}
		cb(filled, s.eofOrClosedErr())
		return
	case rUntilClose:
		s.consume(avail)
		rd.cb(buf, nil)
		return
	case rStream:
		if avail > 0 {
			s.consume(avail)
			rd.cb(buf, nil)
			return
		}
		s.rd = readOp{}
		if s.Err() == io.EOF || (s.flags&fEOF != 0 && s.flags&fClosed == 0) {
			rd.cb(nil, io.EOF)
		} else {
			rd.cb(nil, s.closedErr())
		}
		return
	case rPeek:
		if avail >= rd.n {
			rd.cb(buf, nil)
			return
		}
		rd.cb(buf, s.eofOrClosedErr())
		return
	}
	// The stream ended before the read could complete.
	rd.cb(nil, s.eofOrClosedErr())
}

// eofOrClosedErr is the error of a read cut short by the end of the stream.
func (s *Stream) eofOrClosedErr() error {
	if s.flags&fClosed == 0 && s.flags&fEOF != 0 {
		return &ClosedError{Cause: io.EOF}
	}
	return s.closedErr()
}

// handleRead reads from the descriptor while the pending read needs more,
// up to the loop's I/O budget per event.
func (s *Stream) handleRead() {
	if s.rd.kind == rNone {
		if s.closeCb != nil && s.unread() == 0 {
			// Watching for the peer's close: read until the kernel has
			// nothing more (or a chunk is buffered), so that end of file
			// right behind the data is seen now. Data stays buffered.
			for s.flags&(fClosed|fEOF) == 0 && s.unread() < s.o.chunk {
				if n, _ := s.readOnce(); n <= 0 {
					break
				}
			}
		} else {
			s.flags |= fIdleEvent
		}
		return
	}
	budget := s.l.IOBudget()
	for budget > 0 && s.flags&(fClosed|fEOF) == 0 {
		n, full := s.readOnce()
		if n <= 0 {
			return
		}
		budget -= n
		// Under TLS a read returns one record at most: while the read
		// wants more, read on (crypto/tls may hold more records, or the
		// socket may), as a read that filled its room does, rather than
		// one record per loop turn.
		if (!full && s.flags&fTLSMore == 0) || s.readComplete() {
			return
		}
	}
}

// readOnce makes one read system call into the buffer (or straight into a
// ReadInto buffer, after moving there what is buffered). It returns the
// byte count and whether the call filled all the room it was given (more
// may be waiting).
// End of file, errors and a full buffer are handled here.
func (s *Stream) readOnce() (int, bool) {
	var dst []byte
	var one [1]byte
	over := false
	if s.rd.kind == rInto && s.unread() > 0 {
		// Move what is buffered into the caller's buffer and read the rest
		// straight into it, so that a ReadInto started with a few bytes
		// buffered neither goes through (and grows) the read buffer nor
		// fails against MaxBufferSize where one started a moment earlier,
		// with nothing buffered, would not.
		x := s.x
		n := copy(x.into[x.filled:], s.Buffered())
		s.consume(n)
		x.filled += n
	}
	direct := s.rd.kind == rInto // what stays buffered (buf full) waits
	if direct {
		x := s.x
		dst = x.into[x.filled:]
	} else if over = s.unread() >= s.o.maxBuffer; over {
		// The buffer is at its cap. As in Tornado, only a byte more
		// exceeds it: the end of file (or nothing yet) right behind
		// exactly MaxBufferSize bytes is no error. Read one byte to tell.
		dst = one[:]
	} else {
		s.makeRoom()
		b := s.rb.b
		room := min(cap(b)-len(b), s.o.chunk, s.o.maxBuffer-s.unread())
		dst = b[len(b) : len(b)+room]
	}
	if len(dst) == 0 {
		return 0, false
	}
	var n int
	var err error
	if s.flags&fTLS != 0 {
		n, err = s.tlsRead(dst)
	} else {
		n, err = s.sysRead(dst)
	}
	switch {
	case err != nil && wouldBlock(err):
		return 0, false
	case err != nil:
		if s.flags&fTLS == 0 {
			// (Under TLS the transport wrapped the socket's errors
			// already; the rest are the TLS layer's own.)
			err = wrapSyscall("read", err)
		}
		s.fail(err)
		return 0, false
	case n == 0:
		s.eof()
		return 0, false
	case over:
		slog.Error("gale/stream: reached maximum read buffer size, closing connection", "max", s.o.maxBuffer, "peer", s.RemoteAddr())
		s.closeWith(ErrBufferFull)
		return 0, false
	}
	if direct {
		s.x.filled += n
	} else {
		s.rb.b = s.rb.b[:len(s.rb.b)+n]
	}
	return n, n == len(dst)
}

// makeRoom makes sure the read buffer has a chunk of free space at its end:
// it takes a buffer from the pool, slides unread bytes to the front, or
// moves them to a larger buffer.
func (s *Stream) makeRoom() {
	chunk := s.o.chunk
	if s.rb == nil {
		if rb := s.takeStocked(chunk); rb != nil {
			s.rb = rb
			return
		}
		s.rb = readBufPool.Get().(*readBuf)
		s.rb.b, s.rb.pos = getBuf(chunk), 0
		return
	}
	rb := s.rb
	if cap(rb.b)-len(rb.b) >= chunk {
		return
	}
	unread := s.unread()
	if rb.pos > 0 && cap(rb.b)-unread >= chunk {
		copy(rb.b, rb.b[rb.pos:])
		rb.b, rb.pos = rb.b[:unread], 0
		return
	}
	// At least double (the pools' size classes do that up to 64 MiB; past
	// them getBuf gives the exact size, and growing by a chunk at a time
	// would copy the whole buffer for every chunk), within the cap.
	grown := getBuf(max(unread+chunk, min(2*cap(rb.b), s.o.maxBuffer)))
	grown = append(grown, rb.b[rb.pos:]...)
	putBuf(rb.b)
	rb.b, rb.pos = grown, 0
}

// releaseReadBuffer gives an empty read buffer back to the pool, and
// moves a few bytes left in one grown for a large read to one of a chunk's
// size, so that they do not keep the large one.
func (s *Stream) releaseReadBuffer() {
	if rb := s.rb; rb != nil && rb.pos != len(rb.b) && cap(rb.b) > max(2*s.o.chunk, maxStockedBuf) && len(rb.b)-rb.pos <= s.o.chunk {
		b := append(getBuf(s.o.chunk), rb.b[rb.pos:]...)
		putBuf(rb.b)
		rb.b, rb.pos = b, 0
	}
	if rb := s.rb; rb != nil && rb.pos == len(rb.b) {
		s.rb = nil
		if s.keepStocked(rb) {
			return
		}
		putBuf(rb.b)
		rb.b, rb.pos = nil, 0
		readBufPool.Put(rb)
		s.rb = nil
	}
}

// unfill takes back the bytes a cancelled ReadInto read straight into the
// caller's buffer: they go to the front of the read buffer, so that the
// next read gets them first.
func (s *Stream) unfill() {
	x := s.x
	rest := s.Buffered()
	b := getBuf(x.filled + len(rest))
	b = append(append(b, x.into[:x.filled]...), rest...)
	if s.rb == nil {
		s.rb = readBufPool.Get().(*readBuf)
	} else {
		putBuf(s.rb.b)
	}
	s.rb.b, s.rb.pos = b, 0
}

// eof handles the peer's close: the stream closes (Tornado), or with
// AllowHalfOpen it only stops reading.
func (s *Stream) eof() {
	if s.o.allowHalf {
		s.flags |= fEOF
		return
	}
	// Under TLS, closing ends our side too: answer the peer's close_notify
	// with ours, as Close does (RFC 5246 section 7.2.1 requires the
	// answer; a peer that waits for it, in a bidirectional shutdown, would
	// see a truncation).
	s.sendCloseNotify()
	s.closeWith(io.EOF)
}

// CancelRead withdraws the pending read, if any, without calling its
// callback: the bytes buffered stay buffered for the next read (a ReadInto's
// too, those it already put in the caller's buffer). It reports
// whether a read was pending. A protocol that watches for the peer's close
// while it is busy (a Peek it no longer needs) cancels it this way before
// reading for real.
func (s *Stream) CancelRead() bool {
	if s.rd.kind == rNone {
		return false
	}
	if s.rd.kind == rInto && s.x.filled > 0 {
		s.unfill()
	}
	s.rd = readOp{}
	if s.x != nil {
		s.x.delim, s.x.re, s.x.scanned = nil, nil, 0
		s.x.into, s.x.filled, s.x.intoCb = nil, 0, nil
	}
	s.settle()
	return true
}
