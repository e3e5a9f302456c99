package stream

import "sync"

// writeQueue holds what the kernel has not taken yet: pooled chunks that
// Write copied the bytes into, so the caller may reuse its slice as soon as
// Write returns. Small writes are coalesced into the last chunk; a flush
// hands up to maxIovecs chunks to one writev. A stream has a queue only
// while bytes or callbacks wait (most writes go straight to the kernel), and
// gives it back to a pool when both are done.
type writeQueue struct {
	bufs   [][]byte // bufs[0][off:] is next; each chunk is pooled
	off    int
	queued int    // bytes waiting
	total  uint64 // bytes accepted since the queue was made
	done   uint64 // of those, bytes handed to the kernel
	cbs    []writeCallback
}

var queuePool = sync.Pool{New: func() any { return new(writeQueue) }}

// pending returns the bytes waiting; a nil queue has none.
func (q *writeQueue) pending() int {
	if q == nil {
		return 0
	}
	return q.queued
}

func (q *writeQueue) hasCallbacks() bool { return q != nil && len(q.cbs) > 0 }

// queue returns the stream's write queue, making one if needed.
func (s *Stream) queue() *writeQueue {
	if s.wq == nil {
		s.wq = queuePool.Get().(*writeQueue)
	}
	return s.wq
}

// releaseWriteQueue gives an empty queue back to the pool.
func (s *Stream) releaseWriteQueue() {
	if q := s.wq; q != nil && q.queued == 0 && len(q.cbs) == 0 {
		q.releaseBufs()
		*q = writeQueue{}
		queuePool.Put(q)
		s.wq = nil
	}
}

// writeCallback fires once the kernel has every byte up to end.
type writeCallback struct {
	end uint64
	cb  func(error)
}

// minChunk is the smallest chunk the queue takes from the pool, so runs of
// tiny writes share one.
const minChunk = 4 << 10

// push copies b into the queue.
func (q *writeQueue) push(b []byte) {
	q.queued += len(b)
	if n := len(q.bufs); n > 0 {
		last := q.bufs[n-1]
		k := copy(last[len(last):cap(last)], b)
		q.bufs[n-1] = last[:len(last)+k]
		b = b[k:]
	}
	if len(b) > 0 {
		chunk := getBuf(max(len(b), minChunk))
		q.bufs = append(q.bufs, append(chunk, b...))
	}
}

// advance drops n written bytes from the front.
func (q *writeQueue) advance(n int) {
	q.queued -= n
	q.done += uint64(n)
	for n > 0 {
		first := len(q.bufs[0]) - q.off
		if n < first {
			q.off += n
			return
		}
		n -= first
		putBuf(q.bufs[0])
		q.bufs[0] = nil
		q.bufs = q.bufs[1:]
		q.off = 0
	}
	if len(q.bufs) == 0 {
		q.bufs = nil // an idle stream keeps no queue memory
	}
}

// due reports whether a write callback can fire: its bytes were written,
// or the stream closed.
func (q *writeQueue) due(closed bool) bool {
	return q != nil && len(q.cbs) > 0 && (closed || q.cbs[0].end <= q.done)
}

// fire calls the first due callback (run loops while more are due, since
// each callback may write again).
func (q *writeQueue) fire(closed bool, cause error) {
	c := q.cbs[0]
	q.cbs[0] = writeCallback{}
	q.cbs = q.cbs[1:]
	if len(q.cbs) == 0 {
		q.cbs = nil
	}
	if c.end <= q.done {
		c.cb(nil)
		return
	}
	c.cb(&ClosedError{Cause: cause})
}

// failAll makes every waiting callback fail: the connect failed (or was
// closed), so nothing written, not even an empty write, reached the peer.
func (q *writeQueue) failAll() {
	if q == nil {
		return
	}
	for i := range q.cbs {
		q.cbs[i].end = ^uint64(0)
	}
}

// releaseBufs returns every chunk to the pool (the stream closed, or the
// queue is empty).
func (q *writeQueue) releaseBufs() {
	if q == nil {
		return
	}
	for i, b := range q.bufs {
		putBuf(b)
		q.bufs[i] = nil
	}
	q.bufs, q.off, q.queued = nil, 0, 0
}

// Write queues b for the peer and calls cb (if not nil) once every byte up
// to and including b has reached the kernel, or with a *ClosedError if the
// stream closes first. The stream copies what the kernel does not take at
// once, so b may be reused as soon as Write returns. An empty write's
// callback fires on the loop's next turn (on a connecting stream, once the
// connect has succeeded or failed). Write fails at once with a
// *ClosedError on a closed stream, ErrWriteClosed after CloseWrite, and
// ErrBufferFull if Options.MaxWriteBufferSize would be exceeded (nothing is
// queued then).
func (s *Stream) Write(b []byte, cb func(err error)) error {
	if s.flags&fClosed != 0 {
		return s.closedErr()
	}
	if s.flags&fShutWrite != 0 {
		return ErrWriteClosed
	}
	if m := s.o.maxWrite; m > 0 && s.outQueued()+len(b) > m {
		return ErrBufferFull
	}
	if s.flags&(fTLS|fHandshake) != 0 {
		return s.tlsWrite(b, cb)
	}
	s.writeRaw(b)
	if cb != nil {
		q := s.queue()
		end := q.total
		if s.flags&fClosed != 0 {
			end = ^uint64(0) // the write failed and closed the stream
		}
		q.cbs = append(q.cbs, writeCallback{end: end, cb: cb})
	}
	s.settle()
	return nil
}

// outQueued returns the bytes written and not yet taken by the kernel: the
// write queue's, and those held during a TLS handshake.
func (s *Stream) outQueued() int {
	n := s.wq.pending()
	if s.flags&fHandshake != 0 {
		n += s.x.tls.held
	}
	return n
}

// writeRaw sends b to the socket, straight to the kernel when nothing is
// queued, and queues (copies) what the kernel does not take. A write error
// closes the stream.
func (s *Stream) writeRaw(b []byte) {
	if s.flags&fClosed != 0 || len(b) == 0 {
		return
	}
	written := 0
	if s.wq.pending() == 0 && s.flags&fConnecting == 0 {
		n, err := s.sysWrite(b)
		switch {
		case err == nil:
			written = n
		case !wouldBlock(err):
			if s.flags&fInRun == 0 {
				// (Inside a stream callback a read callback may hold
				// slices of the read buffer: no reading then.)
				s.salvageRead()
			}
			s.fail(wrapSyscall("write", err))
			return
		}
	}
	if q := s.wq; q != nil {
		q.total += uint64(written)
		q.done += uint64(written)
	}
	if b = b[written:]; len(b) > 0 {
		q := s.queue()
		q.total += uint64(len(b))
		q.push(b)
		s.settle()
	}
}

// flush writes queued bytes until the kernel stops taking them or the
// loop's I/O budget for this event is spent.
func (s *Stream) flush() {
	budget := s.l.IOBudget()
	q := s.wq
	for q.pending() > 0 && budget > 0 {
		var iov [maxIovecs][]byte
		k := 0
		for i := 0; i < len(q.bufs) && k < maxIovecs; i++ {
			if i == 0 {
				iov[k] = q.bufs[0][q.off:]
			} else {
				iov[k] = q.bufs[i]
			}
			k++
		}
		n, err := sysWritev(s.fd, iov[:k])
		if err != nil {
			if !wouldBlock(err) {
				s.salvageRead()
				s.fail(wrapSyscall("writev", err))
			}
			return
		}
		q.advance(n)
		budget -= n
	}
	if q.pending() == 0 && s.flags&(fShutWrite|fShutDone|fHandshake) == fShutWrite {
		s.shutdownWrite()
	}
}

// salvageRead buffers for the pending read what the kernel still holds,
// before a write error closes the stream: a peer that answers early and
// closes with our data unread (an HTTP 413 to an upload) resets the
// connection, and its answer, received before the reset, is still
// readable. Tornado handles reads before writes, and net/http's client
// returns such an answer. End of file and read errors are left to the
// write error, which stays the close's cause. Not for TLS (its records go
// through crypto/tls) nor while a read callback may hold buffer slices
// (flush runs before any callback of its event). A pause for a full write
// queue does not hold it: the output is dead.
func (s *Stream) salvageRead() {
	if s.flags&(fTLS|fHandshake|fEOF|fClosed) != 0 {
		return
	}
	for s.rd.kind != rNone && !s.readComplete() && s.unread() < s.o.maxBuffer {
		s.makeRoom()
		b := s.rb.b
		room := min(cap(b)-len(b), s.o.chunk, s.o.maxBuffer-s.unread())
		n, err := s.sysRead(b[len(b) : len(b)+room])
		if err != nil || n <= 0 {
			return
		}
		s.rb.b = b[:len(b)+n]
	}
}

// CloseWrite ends the stream's output once everything queued is written:
// the peer reads end of file, while this side can still read (a TCP
// half-close). Later writes fail with ErrWriteClosed.
func (s *Stream) CloseWrite() error {
	if s.flags&fClosed != 0 {
		return s.closedErr()
	}
	if s.flags&fTLS != 0 && s.flags&fShutWrite == 0 {
		s.x.tls.closeWrite()
	}
	s.flags |= fShutWrite
	if s.wq.pending() == 0 && s.flags&(fConnecting|fHandshake) == 0 {
		// (During a TLS handshake, finishHandshake ends the output once
		// the handshake and the writes held during it are sent.)
		s.shutdownWrite()
	}
	return nil
}

func (s *Stream) shutdownWrite() {
	if s.flags&fClosed != 0 {
		// The close_notify's write failed and closed the stream: its
		// descriptor number may be another connection's by now.
		return
	}
	s.flags |= fShutDone
	if err := sysShutdownWrite(s.fd); err != nil && notSocket(err) {
		// A descriptor given to New that no read or write has found
		// out yet: a pipe after all.
		s.flags |= fNotSocket
	} else if err != nil && !quietErr(err) && s.flags&fNotSocket == 0 {
		s.fail(wrapSyscall("shutdown", err))
	}
	if s.flags&fNotSocket != 0 {
		// A pipe has no half-close: closing the write end is the end.
		s.closeWith(nil)
	}
}
