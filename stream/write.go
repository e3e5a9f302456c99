package stream

// writeQueue holds what the kernel has not taken yet: pooled chunks that
// Write copied the bytes into, so the caller may reuse its slice as soon as
// Write returns. Small writes are coalesced into the last chunk; a flush
// hands up to maxIovecs chunks to one writev.
type writeQueue struct {
	bufs   [][]byte // bufs[0][off:] is next; each chunk is pooled
	off    int
	queued int    // bytes waiting
	total  uint64 // bytes ever accepted by Write
	done   uint64 // bytes ever handed to the kernel
	cbs    []writeCallback
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
	return len(q.cbs) > 0 && (closed || q.cbs[0].end <= q.done)
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

// release returns every chunk to the pool (the stream closed).
func (q *writeQueue) release() {
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
// callback fires on the loop's next turn. Write fails at once with a
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
	if m := s.o.maxWrite; m > 0 && s.wq.queued+len(b) > m {
		return ErrBufferFull
	}
	s.wq.total += uint64(len(b))
	if s.wq.queued == 0 && s.flags&fConnecting == 0 && len(b) > 0 {
		// Nothing queued: hand b to the kernel directly, no copy.
		n, err := sysWrite(s.fd, b)
		switch {
		case err == nil:
			s.wq.done += uint64(n)
			b = b[n:]
		case !wouldBlock(err):
			if cb != nil {
				s.wq.cbs = append(s.wq.cbs, writeCallback{end: ^uint64(0), cb: cb})
			}
			s.fail(wrapSyscall("write", err))
			return nil
		}
	}
	if len(b) > 0 {
		s.wq.push(b)
	}
	if cb != nil {
		s.wq.cbs = append(s.wq.cbs, writeCallback{end: s.wq.total, cb: cb})
	}
	s.settle()
	return nil
}

// flush writes queued bytes until the kernel stops taking them or the
// loop's I/O budget for this event is spent.
func (s *Stream) flush() {
	budget := s.l.IOBudget()
	for s.wq.queued > 0 && budget > 0 {
		var iov [maxIovecs][]byte
		k := 0
		for i := 0; i < len(s.wq.bufs) && k < maxIovecs; i++ {
			if i == 0 {
				iov[k] = s.wq.bufs[0][s.wq.off:]
			} else {
				iov[k] = s.wq.bufs[i]
			}
			k++
		}
		n, err := sysWritev(s.fd, iov[:k])
		if err != nil {
			if !wouldBlock(err) {
				s.fail(wrapSyscall("writev", err))
			}
			return
		}
		s.wq.advance(n)
		budget -= n
	}
	if s.wq.queued == 0 && s.flags&(fShutWrite|fShutDone) == fShutWrite {
		s.shutdownWrite()
	}
}

// CloseWrite ends the stream's output once everything queued is written:
// the peer reads end of file, while this side can still read (a TCP
// half-close). Later writes fail with ErrWriteClosed.
func (s *Stream) CloseWrite() error {
	if s.flags&fClosed != 0 {
		return s.closedErr()
	}
	s.flags |= fShutWrite
	if s.wq.queued == 0 && s.flags&fConnecting == 0 {
		s.shutdownWrite()
	}
	return nil
}

func (s *Stream) shutdownWrite() {
	s.flags |= fShutDone
	if err := sysShutdownWrite(s.fd); err != nil && !quietErr(err) && s.flags&fNotSocket == 0 {
		s.fail(wrapSyscall("shutdown", err))
	}
	if s.flags&fNotSocket != 0 {
		// A pipe has no half-close: closing the write end is the end.
		s.closeWith(nil)
	}
}
