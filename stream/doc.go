// Package stream is gale's buffered non-blocking byte stream on a loop, the
// counterpart of Tornado's IOStream: reads that complete when their
// condition is met (a delimiter, a pattern, a byte count, a caller's buffer,
// the peer's close, or every chunk as it arrives), queued writes with
// completion callbacks, close notification, half-close, and backpressure.
//
// # Reads
//
// A stream has at most one pending read; starting another fails with
// ErrAlreadyReading. The stream reads from the socket only while a read is
// pending (demand-driven, as Tornado does): that is what applies
// backpressure to a peer that sends faster than the program consumes.
//
//	ReadBytes(n, partial, cb)        exactly n bytes (or 1..n with partial)
//	ReadUntil(delim, max, cb)        through a delimiter, within max bytes
//	ReadUntilRegexp(re, max, cb)     through a pattern match
//	ReadInto(buf, partial, cb)       into the caller's buffer, no copy
//	ReadUntilClose(cb)               everything, once the stream closes
//	ReadStream(cb)                   every chunk as it arrives, then the end
//	Peek(n, cb) + Buffered + Consume the codec view: parse in place
//
// The data passed to a read callback is a view of the stream's buffer,
// valid only until the callback returns; copy what must outlive it. This is
// what keeps the hot path free of copies and allocations.
//
// A read the buffer already satisfies completes even after the peer closed.
// A pending read that can no longer be satisfied fails with a *ClosedError
// wrapping the cause; a read started on a closed stream that the buffer
// cannot satisfy fails at once with the same error.
//
// # Writes
//
// Write hands the bytes straight to the kernel when nothing is queued, and
// copies what the kernel does not take into pooled chunks flushed with
// writev, so the caller may reuse its slice as soon as Write returns. The
// callback fires when every byte up to that write has reached the kernel.
// While more than Options.WriteHighWater bytes wait, the stream stops
// reading from the peer, and resumes below Options.WriteLowWater: a peer
// that sends but never reads cannot grow a server's memory.
//
// # Memory
//
// Read buffers come from a pool of power-of-two size classes and return to
// it as soon as they are empty, so an idle stream holds no buffer at all;
// the few bytes of a next message left behind a large one move to a
// buffer of a read chunk's size, so that the large buffer goes back too.
// The read buffer is capped at Options.MaxBufferSize (Tornado's 100 MiB by
// default); exceeding it closes the stream with ErrBufferFull as the cause.
//
// # TLS
//
// StartTLS runs TLS with the standard crypto/tls package. crypto/tls cannot
// resume a handshake after a would-block, so the handshake runs on a
// goroutine of its own that the loop feeds with ciphertext; when it is done
// the goroutine ends and the loop reads and writes records itself (a
// would-block is a temporary net.Error, which crypto/tls does not hold
// against the connection). An established TLS connection therefore costs
// no goroutine. The hand-offs cost: measured here, a full TLS 1.3
// handshake took a median of 458 µs of server CPU on gale against 356 µs
// for crypto/tls over a net.Conn (about +30%), and 20 more allocations.
//
// # Threading
//
// A stream belongs to one loop: call its methods on that loop's goroutine;
// its callbacks run there. Callbacks never run inside the call that starts
// the operation.
//
// # Tornado mapping
//
//	IOStream(socket)                 New(loop, fd, opts)
//	PipeIOStream(fd)                 NewPipe(loop, fd, opts)
//	read_until / read_until_regex    ReadUntil / ReadUntilRegexp
//	read_bytes / read_into           ReadBytes / ReadInto
//	read_until_close                 ReadUntilClose (ReadStream for streaming_callback)
//	write                            Write
//	set_close_callback / close       SetCloseCallback / Close, CloseWithError
//	reading() / writing() / closed() Reading / Writing / Closed
//	set_nodelay                      SetNoDelay (and SetKeepAlive)
//	connect                          Connect (tcpclient wraps it)
//	StreamClosedError                *ClosedError (errors.Is(err, ErrClosed))
//	UnsatisfiableReadError           *UnsatisfiableReadError (as the cause)
//	StreamBufferFullError            ErrBufferFull
package stream
