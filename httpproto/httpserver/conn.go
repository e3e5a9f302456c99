package httpserver

import (
	"errors"
	"io"
	"net/netip"
	"runtime/debug"
	"time"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream"
)

// connState is where a connection is in its request cycle.
//
//	stIdle     waiting for a request; no byte of it yet  → stHead, stBody, stHandling, closed
//	stHead     part of a request head has arrived         → stBody, stHandling, closed
//	stBody     reading a request body                     → stHandling, closed
//	stHandling the request is read; awaiting its response → stIdle (kept alive), stClosing, detached
//	stClosing  the last response is being flushed         → closed
//	stDetached handed to another protocol (Detach)        (terminal)
//
// In stIdle the previous response may still be being written (a slow
// reader): the idle time starts once it has been (see awaitWrite).
type connState uint8

const (
	stIdle connState = iota
	stHead
	stBody
	stHandling
	stClosing
	stDetached
)

// conn is one HTTP connection, driven on its loop: the parser reads
// requests from the stream's buffer in place, the handler answers through
// the reused ResponseWriter, and responses gather in out until the end of
// the turn (so pipelined requests answered together go out in one write).
type conn struct {
	srv *Server
	ls  *loopState
	s   *stream.Stream
	p   httpproto.Parser
	enc httpproto.Encoder
	req Request
	w   ResponseWriter

	state    connState
	inData   bool // inside onData: output is flushed at its end
	paused   bool // a BodyDelegate paused the body
	closed   bool
	closing  bool // Shutdown asked, or the response must be the last
	retained bool // the head was copied out of the stream's buffer
	earlyEnd bool // answered from the StreamHandler of a bodiless request
	// continue100: "100 Continue" is due when the paused body resumes.
	continue100 bool
	lingering   bool // finishClose ran: flushing the last bytes, then closing

	delegate BodyDelegate
	bodyView []byte // a body that is one view of the input so far
	bodyBuf  []byte // a body gathered from several pieces
	arena    []byte // retained request-line bytes

	out  []byte // response bytes not yet handed to the stream
	used int    // input parsed in this onData turn, not yet consumed
	// starved: the parser has seen all buffered input and needs more.
	starved bool
	// watching: a Peek is pending only to notice the client's close.
	watching bool
	// detachedInData: the handler detached the connection during onData
	// (a native upgrade), so that onData's end is the last use of it.
	detachedInData bool
	// backlogged: answers past writeAhead wait to be written; the next
	// request is read once they have been (see nextRequest).
	backlogged bool
	// toldShutdown: Server.Shutdown told this connection (see detach).
	toldShutdown bool
	// toldEnd: the handler of the request in progress was told (OnClose)
	// that the client's input ended (see watch).
	toldEnd bool
	// closeErr is what OnClose reports once the connection closed;
	// closeTold: a callback was told of that close.
	closeErr  error
	closeTold bool

	deadline  int64 // when the current timed state expires (monoNow; 0: none)
	wpending  int   // finished-response bytes unwritten at the timer's last look
	wprogress int64 // when wpending last changed (see awaitWrite)
	timer     loop.Timer
	timerAt   int64 // when timer fires (monoNow)
	onDataFn  func([]byte, error)
	timerFn   func()
	onCloseFn func(error)

	remote netip.AddrPort // the peer's, if it is IP
	scheme string
}

func (s *Server) serve(st *stream.Stream) {
	ls := s.loopState(st.Loop())
	var c *conn
	if n := len(ls.free); n > 0 {
		c = ls.free[n-1]
		ls.free[n-1] = nil
		ls.free = ls.free[:n-1]
		ls.freeUsed = true
	} else {
		c = &conn{}
		c.onDataFn = c.onData
		c.timerFn = c.onTimer
		c.onCloseFn = c.onClose
	}
	c.srv, c.ls, c.s = s, ls, st
	c.p.InitRequest(&s.opts.Limits)
	c.scheme = "http"
	if _, ok := st.TLSState(); ok {
		c.scheme = "https"
	}
	c.remote = st.RemoteAddrPort() // no allocation, unlike RemoteAddr
	ls.conns[st] = c
	st.SetCloseCallback(c.onCloseFn)
	c.setDeadline(s.opts.IdleTimeout)
	c.read()
}

// read asks the stream for input. When the parser has seen everything
// buffered and needs more (c.starved), it asks for one byte beyond it, so
// that a parser waiting for the rest of a head is called only when
// something new arrived; otherwise (pipelined requests waiting while a
// response was in progress) whatever is buffered.
func (c *conn) read() {
	if c.closed || c.s.Reading() {
		return
	}
	want := 1
	if c.starved {
		want = len(c.s.Buffered()) + 1
	}
	err := c.s.Peek(want, c.onDataFn)
	switch {
	case err == nil:
	case errors.Is(err, stream.ErrClosed) && !c.s.Closed():
		// The peer shut down its side and what is buffered completes no
		// further request: every complete one has been answered (a
		// request cut short gets no answer). Close after the output.
		c.closing = true
		if c.state == stBody {
			// A body cut short (its delegate had paused it while the
			// input ended): the request ends without its Finish.
			if c.cutShort() || c.closed || c.s.Closed() {
				return
			}
		}
		c.finishClose()
	case !errors.Is(err, stream.ErrClosed):
		c.s.CloseWithError(err)
	}
}

// onData parses what the stream holds, runs handlers, and gathers their
// responses; at the end it consumes what was parsed, flushes the output
// and asks for more input if the connection is waiting for some.
func (c *conn) onData(buf []byte, rerr error) {
	// (A request handled since an earlier turn has nothing of this one.)
	wasHandling := c.state == stHandling
	defer c.recoverPanic()
	c.inData = true
	c.used = 0
	c.starved = false
	c.watching = false
	for !c.closed {
		if c.state == stHandling || c.state == stClosing || c.state == stDetached || c.paused || c.backlogged {
			break
		}
		ev, n, err := c.p.Next(buf[c.used:])
		c.used += n
		if err != nil {
			c.protocolError(err)
			break
		}
		if ev.Kind == httpproto.None {
			if n == 0 {
				c.starved = true
				break
			}
			continue
		}
		c.event(ev)
	}
	if c.state == stIdle && c.used < len(buf) && !c.closed && !c.backlogged {
		c.state = stHead // bytes of the next request's head are here
		c.setDeadline(c.srv.opts.HeaderTimeout)
	}
	// A request still being read or handled must not keep views into the
	// stream's buffer past this turn.
	if (c.state == stBody || c.state == stHandling) && !c.retained {
		c.retain()
	} else if c.state == stHandling && !wasHandling {
		// Retained while the body was read (the head came in an earlier
		// read): the body and trailers, views of this read, are copied
		// still.
		if c.req.Trailers.Len() > 0 {
			c.req.Trailers.Retain()
		}
		c.ownBody()
	}
	if c.bodyView != nil && c.state == stBody {
		c.bodyBuf = append(c.bodyBuf[:0], c.bodyView...)
		c.bodyView = nil
	}
	c.inData = false
	if !c.closed && !c.s.Closed() {
		c.s.Consume(c.used)
	}
	c.used = 0
	if c.state == stDetached && c.detachedInData {
		c.release()
		return
	}
	if c.closed || c.state == stDetached {
		return
	}
	if c.state == stClosing {
		if c.w.finished || c.lingering {
			c.finishClose() // flushes the output, then closes
		} else if len(c.out) > 0 {
			// A delegate whose body failed may still finish the
			// response it began (awaitResponse): what it wrote goes out.
			c.flushOut(nil)
		}
		return
	}
	if len(c.out) > 0 {
		c.flushOut(nil)
	}
	if rerr != nil {
		// The peer shut down its side (the stream is half-open, so the
		// answers to what it sent still go out) or the stream failed.
		// A request cut short gets no answer.
		switch c.state {
		case stHandling:
			// The response in progress goes out, then the requests
			// pipelined after it are answered in order (read finds the
			// end of the input after the last of them and closes). A
			// handler that asked is told of the end of the input: it
			// cannot be told from a client that went away.
			if c.w.onClose != nil && !c.w.finished {
				c.toldEnd = true
			}
			c.notifyGone(rerr)
		case stClosing:
		default:
			if c.backlogged && c.state == stIdle {
				// Requests wait in the buffer for the answers to be
				// written: read, once they are, answers them and then
				// finds the end of the input.
				return
			}
			c.closing = true
			if c.state == stBody && c.cutShort() {
				return
			}
			if c.s.Closed() {
				return
			}
			c.finishClose()
		}
		return
	}
	switch c.state {
	case stIdle, stHead:
		if !c.backlogged {
			c.read()
		}
	case stBody:
		if !c.paused {
			c.read()
		}
	case stHandling:
		if c.w.onClose != nil {
			c.watch()
		}
	}
}

// errHandlerPanic is what the writes of a response whose handler panicked
// report (a callback it left behind may still try).
var errHandlerPanic = errors.New("httpserver: handler panicked")

// recoverPanic, deferred by onData, handles a panic of a Handler,
// StreamHandler or BodyDelegate (or of the server) as Tornado handles an
// uncaught exception and net/http a handler's panic: it is logged to
// Options.Logger and the connection closes. The responses finished before
// it, gathered in c.out, still go out first (otherwise the stream, closed
// by the panic, dropped them); a response the handler had begun is cut
// off at once instead, so that a close-delimited one cannot pass for
// whole.
func (c *conn) recoverPanic() {
	p := recover()
	if p == nil {
		return
	}
	c.inData = false
	if c.state == stDetached {
		panic(p) // the stream has a new owner: its end is the stream's call
	}
	c.srv.log.Error("gale/httpserver: panic serving request", "remote", c.s.RemoteAddr(), "panic", p, "stack", string(debug.Stack()))
	if c.closed || c.s.Closed() {
		return
	}
	c.closing = true
	c.dropDecoder()
	if c.w.finished {
		c.finishClose()
		return
	}
	c.w.failed = errHandlerPanic
	if c.w.headSent {
		c.s.Close()
		return
	}
	c.finishClose()
}

// resume goes on parsing a request whose body was paused, from what is
// buffered, in a callback of its own: the rest of the request may need no
// further byte from the client (the end of a sized body, a request
// without one), so waiting for input as read does could wait for ever.
func (c *conn) resume() {
	st := c.s
	c.ls.l.Post(func() {
		if c.s != st || c.closed || c.paused || c.state != stBody || c.s.Closed() || c.s.Reading() {
			return
		}
		if c.continue100 {
			c.continue100 = false
			if !c.w.headSent && !c.w.finished {
				c.out = append(c.out, httpproto.Continue100...)
			}
		}
		if d, ok := c.delegate.(*gzipStream); ok && d.pending() {
			// What the decompressor holds of the body comes first.
			d.pump(false)
			if c.closed || c.paused || c.state != stBody {
				if len(c.out) > 0 && c.state != stClosing {
					c.flushOut(nil)
				}
				return
			}
		}
		c.onData(c.s.Buffered(), nil)
	})
}

// watchLimit bounds what a watch buffers of the pipelined requests that
// follow a request in progress.
const watchLimit = 64 << 10

// watch keeps a read pending while a handler works on a request, so that
// the client's going away is noticed (Peek completes with an error) and
// the handler told (ResponseWriter.OnClose), as net/http cancels a
// request's context. Bytes that arrive meanwhile (pipelined requests) stay
// buffered, up to watchLimit.
//
// If the stream has already seen the end of the client's input (while no
// one watched, or while an earlier pipelined request was answered), the
// read fails at once: the handler is told of that end now, from a
// callback of its own, once, as a watch's read would have told it.
func (c *conn) watch() {
	if c.closed || c.s.Reading() || len(c.s.Buffered()) >= watchLimit {
		return
	}
	err := c.s.Peek(len(c.s.Buffered())+1, c.onDataFn)
	if err == nil {
		c.watching = true
		return
	}
	if c.toldEnd || !errors.Is(err, stream.ErrClosed) || c.s.Closed() {
		return // (a closed stream tells the handler through onClose)
	}
	st := c.s
	c.ls.l.Post(func() {
		if c.s != st || c.closed || c.state != stHandling || c.toldEnd || c.w.onClose == nil || c.w.finished {
			return
		}
		c.toldEnd = true
		c.notifyGone(err)
	})
}

// unwatch withdraws a watch's read.
func (c *conn) unwatch() {
	if c.watching {
		c.watching = false
		c.s.CancelRead()
	}
}

// abortBody: the request whose body was being read ends without its
// BodyDelegate's Finish (err says why: a malformed or too large body, the
// client's input ending or the connection closing). A gzip decoder lets go
// of its state, and a delegate that asked (OnClose) is told, once: Tornado
// calls on_connection_close instead of finish.
func (c *conn) abortBody(err error) {
	c.dropDecoder()
	c.notifyGone(err)
}

// cutShort: the client's input ended in the body of the request being
// read; the request ends without its Finish. It reports whether the
// connection now waits for the response the delegate began (awaitResponse)
// instead of closing after its output.
func (c *conn) cutShort() bool {
	if !c.w.headSent {
		c.w.failed = io.ErrUnexpectedEOF
	}
	c.abortBody(io.ErrUnexpectedEOF)
	if c.w.headSent && !c.w.finished && !c.closed && !c.lingering && !c.s.Closed() {
		c.awaitResponse()
		return true
	}
	return false
}

// awaitResponse: the body of the request being read failed (see failBody,
// cutShort) after its delegate began the response, which it may still
// finish; the connection closes after it. What the delegate wrote goes out
// now (at the end of the turn, in onData). A delegate that does not finish
// within WriteTimeout has the connection closed (onTimer): nothing else
// would end it, and the client cannot send another request on it.
func (c *conn) awaitResponse() {
	c.state = stClosing
	c.setDeadline(c.srv.opts.WriteTimeout)
	if !c.inData && len(c.out) > 0 {
		c.flushOut(nil)
	}
}

// dropDecoder releases the state of a streaming gzip decoder whose request
// ends without its Finish.
func (c *conn) dropDecoder() {
	if d, ok := c.delegate.(*gzipStream); ok {
		d.abort()
	}
}

// notifyGone tells a handler that asked (OnClose) that the client is gone.
func (c *conn) notifyGone(err error) {
	if cb := c.w.onClose; cb != nil && !c.w.finished {
		c.w.onClose = nil
		c.closeTold = c.closed
		if err == nil {
			err = io.EOF
		}
		cb(err)
	}
}

// bodyChunk is the largest piece of body a BodyDelegate's Data receives:
// Tornado's chunk_size.
const bodyChunk = 64 << 10

// event handles one parser event.
func (c *conn) event(ev httpproto.Event) {
	switch ev.Kind {
	case httpproto.HeadDone:
		c.startRequest()
	case httpproto.BodyData:
		c.setDeadline(c.srv.opts.BodyTimeout)
		if c.delegate != nil {
			// In pieces of at most bodyChunk, as Tornado's chunk_size
			// bounds data_received, however much one read brought.
			for p := ev.Data; len(p) > 0; {
				n := min(len(p), bodyChunk)
				c.delegate.Data(p[:n])
				p = p[n:]
				if c.closed || c.state != stBody || c.delegate == nil {
					break // answered early: the rest is not wanted
				}
			}
			return
		}
		c.gatherBody(ev.Data)
	case httpproto.MessageDone:
		c.endRequest()
	}
}

func (c *conn) startRequest() {
	srv := c.srv
	r := &c.req
	*r = Request{Request: c.p.Request(), c: c, Scheme: c.scheme, RemoteIP: c.remote.Addr().Unmap(), remote: c.remote, st: c.s}
	r.splitTarget()
	r.applyXHeaders(srv.opts.TrustedProxies)
	c.w.reset(c)
	c.enc.Reset()
	c.retained = false
	c.earlyEnd = false
	c.toldEnd = false
	c.delegate = nil
	c.continue100 = false
	c.bodyView = nil
	c.bodyBuf = c.bodyBuf[:0]
	if cap(c.bodyBuf) > maxKeptBody {
		c.bodyBuf = nil
	}
	hasBody := r.ContentLength != 0
	c.state = stBody
	if hasBody {
		c.setDeadline(srv.opts.BodyTimeout)
	}
	// A gzip body is inflated for whoever takes the request, as by
	// Tornado's _GzipMessageDelegate, which sees the head first: the
	// fields describe the decompressed body.
	gz := hasBody && srv.gz != nil && !srv.gz.opts.NoRequestBodies && consumeGzipCoding(r)
	if srv.opts.StreamHandler != nil {
		c.delegate = srv.opts.StreamHandler(&c.w, r)
		if c.closed || c.state == stDetached {
			return
		}
	}
	if gz {
		if c.delegate != nil {
			c.delegate = newGzipStream(c, c.delegate)
		} else {
			c.delegate = srv.gz.requestDecoder(c)
		}
	}
	// No "100 Continue" for a body the limit refuses already (RFC 9110
	// section 10.1.1): the client gets the 413 instead, without sending it.
	// A StreamHandler that paused the body is still deciding (Tornado
	// awaits headers_received first): the 100 waits for ResumeBody, and
	// an early answer replaces it.
	if hasBody && r.Expect100 && !c.w.headSent && !c.w.finished && r.ContentLength <= c.p.MaxBodySize() {
		if c.paused {
			c.continue100 = true
		} else {
			c.out = append(c.out, httpproto.Continue100...)
		}
	}
}

// gatherBody keeps a body that arrives in one piece as a view (no copy);
// a second piece starts a copy.
func (c *conn) gatherBody(p []byte) {
	if c.bodyView == nil && len(c.bodyBuf) == 0 {
		c.bodyView = p
		return
	}
	if c.bodyView != nil {
		c.bodyBuf = append(c.bodyBuf[:0], c.bodyView...)
		c.bodyView = nil
	}
	c.bodyBuf = append(c.bodyBuf, p...)
}

func (c *conn) endRequest() {
	r := &c.req
	c.state = stHandling
	c.cancelDeadline()
	if t := c.p.Trailers(); t != nil {
		r.Trailers = *t
	}
	if c.earlyEnd {
		// Answered at the head of a request without a body.
		c.nextRequest()
		return
	}
	if c.delegate != nil {
		c.delegate.Finish()
		return
	}
	if c.bodyView != nil {
		r.Body = c.bodyView
	} else if len(c.bodyBuf) > 0 {
		r.Body = c.bodyBuf
	}
	if c.srv.h == nil {
		c.w.Error(404, false)
		return
	}
	c.srv.h(&c.w, r)
}

// retain copies the request's views out of the stream's buffer, which the
// next read may reuse.
func (c *conn) retain() {
	r := &c.req
	c.retained = true
	r.Header.Retain()
	r.Trailers.Retain()
	a := c.arena[:0]
	need := len(r.RawMethod) + len(r.Target) + len(r.Host)
	if cap(a) < need {
		a = make([]byte, 0, need)
	}
	own := func(b []byte) []byte {
		if b == nil {
			return nil
		}
		s := len(a)
		a = append(a, b...)
		return a[s:len(a):len(a)]
	}
	r.RawMethod = own(r.RawMethod)
	r.Target = own(r.Target)
	r.Host = own(r.Host)
	c.arena = a
	r.splitTarget()
	if c.state == stHandling {
		c.ownBody()
	}
}

// ownBody copies a whole body that is a view of the stream's buffer into
// the connection's own storage (valid until the response is finished), for
// a handler that reads it after this turn: the stream's buffer goes back
// to a pool once consumed.
func (c *conn) ownBody() {
	if c.bodyView != nil {
		c.bodyBuf = append(c.bodyBuf[:0], c.bodyView...)
		c.bodyView = nil
		c.req.Body = c.bodyBuf
	}
}

// appendBody frames p into the output, flushing past the threshold.
func (c *conn) appendBody(p []byte) error {
	var err error
	c.out, err = c.enc.AppendBody(c.out, p)
	if err != nil {
		return err
	}
	if len(c.out) >= flushThreshold {
		c.flushOut(nil)
	}
	return nil
}

// flushOut hands the gathered output to the stream (which copies what the
// kernel does not take at once, so out is reused straight away).
func (c *conn) flushOut(cb func(error)) {
	if c.closed {
		if cb != nil {
			c.ls.l.Post(func() { cb(ErrConnClosed) })
		}
		return
	}
	if len(c.out) == 0 && cb == nil {
		return
	}
	err := c.s.Write(c.out, cb)
	if len(c.out) > 4*flushThreshold {
		c.out = nil
	} else {
		c.out = c.out[:0]
	}
	if err != nil {
		// The stream refused the write and will not call cb (it closed
		// earlier in this turn, before c.closed is set): cb learns it
		// all the same, as on a closed connection above.
		if cb != nil {
			c.ls.l.Post(func() { cb(err) })
		}
		if !errors.Is(err, stream.ErrClosed) {
			c.s.CloseWithError(err)
		}
		return
	}
	if c.state == stIdle || c.state == stClosing {
		c.watchWrite()
	}
}

// watchWrite notes, after finished responses went to the stream, what the
// kernel did not take: a client that takes none of it is closed
// WriteTimeout after this (see awaitWrite), not after a first look that
// could come an IdleTimeout later.
func (c *conn) watchWrite() {
	n := c.s.WriteBuffered()
	if n == c.wpending {
		return
	}
	c.wpending, c.wprogress = n, c.ls.now
	if n > 0 {
		o := &c.srv.opts
		if c.state == stClosing || o.WriteTimeout < o.IdleTimeout {
			c.setDeadline(o.WriteTimeout)
		}
	}
}

// noKeepAlive: the response being written must be the last. It is when
// the server is shutting down, or the response comes before the request
// body was read (it will not be).
func (c *conn) noKeepAlive() bool {
	return c.closing || c.srv.opts.NoKeepAlive || c.state == stBody && c.req.ContentLength != 0
}

// responseDone runs when the handler finished its response.
func (c *conn) responseDone() {
	switch c.state {
	case stBody, stHead:
		if c.req.ContentLength == 0 {
			// Answered from the StreamHandler of a request without a
			// body: it completes at the request's end, just after (a
			// pause for the body it has not is over).
			c.earlyEnd = true
			if c.paused {
				c.paused = false
				if !c.inData {
					c.resume()
				}
			}
			return
		}
		// Answered before the body was read in full: as Tornado does,
		// this is the last response; the rest of the body is not read.
		c.dropDecoder()
		c.closing = true
		c.finishClose()
	case stClosing:
		c.finishClose()
	case stHandling:
		c.dropDecoder() // (a gzip body's end its delegate had paused)
		c.nextRequest()
	}
}

// nextRequest: the response is complete; read the next request, or close.
func (c *conn) nextRequest() {
	// The request is over: what it holds of a large body (a gathered or
	// decompressed one, a view of a large read buffer, a delegate's
	// state) and a large response's buffer
	// go now, not when the next request starts, which a kept-alive
	// connection could hold them idle for (up to the body limit each).
	c.req.Body, c.bodyView = nil, nil
	c.delegate = nil
	if cap(c.bodyBuf) > maxKeptBody {
		c.bodyBuf = nil
	}
	if cap(c.w.body) > flushThreshold {
		c.w.body = nil
	}
	if !c.enc.KeepAlive() || c.closing {
		c.state = stClosing
		if !c.inData {
			c.finishClose()
		}
		return
	}
	if c.p.State() == httpproto.StatePaused {
		c.p.Resume() // an upgrade or CONNECT the handler declined
	}
	// A pause of the finished request's body (PauseBody after the body
	// ended) ends with it: left set, onData would parse nothing while a
	// read of the buffered next request completed at once, for ever.
	c.paused = false
	c.state = stIdle
	c.wpending = 0
	c.setDeadline(c.srv.opts.IdleTimeout)
	if !c.inData {
		c.unwatch()
	}
	if c.s.WriteBuffered()+len(c.out) > writeAhead {
		// The client does not read its answers as fast as it sends
		// requests: read the next one once these have reached the
		// kernel, as Tornado reads the next request only once the
		// response is written, so that pipelined requests cannot pile
		// up their answers in memory. Below the mark, answers produced
		// in one turn still leave in one write.
		c.backlogged = true
		c.flushOut(func(error) {
			c.backlogged = false
			if !c.closed && c.state == stIdle && !c.lingering {
				c.read()
			}
		})
		return
	}
	if !c.inData {
		c.flushOut(nil)
		c.read()
	}
}

// maxKeptBody is the largest body buffer a connection keeps for its next
// request.
const maxKeptBody = 1 << 20

// writeAhead is how many response bytes may wait to be written before the
// next pipelined request is read (the stream's default high-water mark).
const writeAhead = 1 << 20

// finishClose flushes the last response and then closes gracefully: it
// shuts down the write side and drains what the client still sends for a
// moment, so that unread input does not make the kernel reset the
// connection (and destroy the response) before the client reads it.
func (c *conn) finishClose() {
	if c.lingering {
		return
	}
	c.lingering = true
	c.state = stClosing
	c.wpending = 0
	c.setDeadline(c.srv.opts.WriteTimeout) // see awaitWrite
	c.flushOut(func(err error) {
		if err != nil || c.closed {
			c.s.Close()
			return
		}
		c.lingerClose()
	})
}

// lingerTime and lingerBytes bound the drain after a final answer.
// (lingerTime is a variable for tests that look at a lingering connection.)
var lingerTime = time.Second

const lingerBytes = 256 << 10

func (c *conn) lingerClose() {
	// Not only a watch: a read of the next request or of the body may be
	// pending (the 408 of a timed-out head, an early answer given while
	// the body was read), and the drain below cannot start beside it.
	c.watching = false
	c.s.CancelRead()
	if err := c.s.CloseWrite(); err != nil {
		c.s.Close()
		return
	}
	drained := 0
	c.cancelDeadline()
	c.timer.Cancel()
	c.timer = c.ls.l.CallLater(lingerTime, c.s.Close)
	var drain func([]byte, error)
	drain = func(chunk []byte, err error) {
		drained += len(chunk)
		if err != nil || drained > lingerBytes {
			c.s.Close()
		}
	}
	if len(c.s.Buffered()) > 0 {
		c.s.Consume(len(c.s.Buffered()))
	}
	if err := c.s.ReadStream(drain); err != nil {
		c.s.Close()
	}
}

// protocolError answers a malformed request with its status and closes.
func (c *conn) protocolError(err error) {
	var pe *httpproto.Error
	status := 400
	if errors.As(err, &pe) {
		status = pe.Status()
	}
	c.srv.log.Debug("gale/httpserver: malformed request", "remote", c.s.RemoteAddr(), "error", err)
	c.closing = true
	if c.state == stBody {
		// (c.w is this request's only in stBody: in stIdle and stHead it
		// still holds the previous, finished response, which must not
		// stop the error response.)
		c.failBody(err, status)
		return
	}
	c.writeError(status)
}

// failBody: the body of the request being read (or, for a gzip body,
// decoded) turned out malformed or too large. The client gets status unless
// a StreamHandler's delegate began answering already, in which case the
// connection closes once that response is done (awaitResponse); the
// delegate is told (abortBody) and gets no Finish, and its writes of an
// unsent response fail with err.
func (c *conn) failBody(err error, status int) {
	c.closing = true
	if c.w.headSent {
		c.awaitResponse()
		c.abortBody(err)
		if c.w.finished {
			c.finishClose()
		}
		return
	}
	c.w.failed = err
	c.writeError(status)
	c.abortBody(err)
}

// writeError sends a bare error response outside the handler's flow.
func (c *conn) writeError(status int) {
	c.enc.Reset()
	var h httpproto.Headers
	h.Add("Content-Type", "text/plain; charset=utf-8")
	h.Add("Connection", "close")
	text := httpproto.StatusText(status)
	h.AddInt("Content-Length", int64(len(text)+1))
	date := c.ls.date
	h.AddBytes(dateName, date[6:len(date)-2])
	c.out, _ = c.enc.AppendResponseHead(c.out, httpproto.RequestInfo{}, status, "", &h)
	c.out, _ = c.enc.AppendBody(c.out, []byte(text+"\n"))
	c.out, _ = c.enc.AppendEnd(c.out, nil)
	c.finishClose()
}

// failOutput: the handler broke the response's framing; close after what
// was sent.
func (c *conn) failOutput(err error) {
	c.srv.log.Warn("gale/httpserver: invalid response", "remote", c.s.RemoteAddr(), "error", err)
	c.closing = true
	c.finishClose()
}

func (c *conn) detach() *stream.Stream {
	c.state = stDetached
	c.detachedInData = c.inData
	c.cancelDeadline()
	// The timer's closure holds the connection: cancel it, or the HTTP
	// state of every detached connection (a WebSocket's) would stay
	// reachable until the idle deadline.
	c.timer.Cancel()
	if !c.retained {
		c.retain()
	}
	if c.inData {
		// Consume the request now: the new owner's first read must see
		// only what followed it.
		c.s.Consume(c.used)
		c.used = 0
	}
	c.unwatch()
	c.dropDecoder()
	st := c.s
	delete(c.ls.conns, st)
	st.SetCloseCallback(nil)
	if len(c.out) > 0 {
		c.flushOut(nil)
	}
	if c.toldShutdown {
		// Shutdown told this connection before its handler handed it
		// over (a late WebSocket upgrade): tell the new owner, once it
		// has set its shutdown handler, or Shutdown would wait on it.
		c.ls.l.Post(func() {
			if !st.Closed() {
				if f := st.ShutdownHandler(); f != nil {
					f()
				} else {
					st.Close()
				}
			}
		})
	}
	return st
}

// shutdown: Server.Shutdown began. An idle connection closes now; one
// with a request in progress closes after its response, and one whose
// last response is still being written (the handler finished, the client
// has not read it all) once it has been.
func (c *conn) shutdown() {
	c.closing = true
	c.toldShutdown = true
	if c.state != stIdle {
		return
	}
	if c.s.Writing() {
		c.s.CancelRead() // no next request: the linger reads instead
		c.finishClose()
		return
	}
	c.s.Close()
}

func (c *conn) onClose(err error) {
	if c.closed {
		return
	}
	c.closed = true
	c.timer.Cancel()
	delete(c.ls.conns, c.s)
	if err == nil {
		// Closed here (a timeout, Shutdown): not io.EOF, which tells a
		// handler that the client's input ended on a connection that
		// stays open.
		err = ErrConnClosed
	}
	c.closeErr = err
	switch c.state {
	case stBody:
		c.abortBody(err)
	case stHandling, stClosing:
		// (In stClosing, a delegate whose body failed may be finishing
		// its response, and may have asked again.)
		c.dropDecoder()
		c.notifyGone(err)
	}
}

// Deadlines. One timer per connection, armed lazily: moving a deadline
// is a field write, and only an expired timer looks at it again.

func (c *conn) setDeadline(d time.Duration) {
	c.deadline = c.ls.now + int64(d)
	// The coarse clock lags by up to a second: the timer fires a second
	// late rather than early, and re-arms if the deadline moved on.
	fire := c.deadline + int64(time.Second)
	if c.timer.Pending() && c.timerAt <= fire {
		return
	}
	c.timer.Cancel()
	c.timerAt = fire
	c.timer = c.ls.l.CallLater(d+time.Second, c.timerFn)
}

func (c *conn) cancelDeadline() { c.deadline = 0 }

func (c *conn) onTimer() {
	if c.closed || c.state == stDetached {
		return
	}
	if c.deadline == 0 {
		return // no timed state now; the next one re-arms
	}
	now := monoNow()
	if left := c.deadline - now; left > 0 {
		wait := time.Duration(left) + 100*time.Millisecond
		c.timerAt = now + int64(wait)
		c.timer = c.ls.l.CallLater(wait, c.timerFn)
		return
	}
	if c.state == stClosing && !c.lingering {
		// A delegate whose body failed did not finish the response it
		// had begun (see awaitResponse).
		c.srv.log.Debug("gale/httpserver: response to a failed body not finished", "remote", c.s.RemoteAddr())
		c.s.Close()
		return
	}
	if (c.state == stIdle || c.state == stClosing) && c.awaitWrite(now) {
		return
	}
	switch c.state {
	case stIdle:
		c.s.Close()
	case stHead:
		c.closing = true
		c.writeError(408)
	case stBody:
		c.srv.log.Debug("gale/httpserver: timeout reading body", "remote", c.s.RemoteAddr())
		c.s.Close()
	}
}

// awaitWrite runs when the deadline of a connection whose handler is done
// (idle, or closing after its last response) expired, at now. While
// response bytes still wait to be written, the connection is not idle: it
// stays open as long as the client takes some of them at least once per
// WriteTimeout (it reads slowly), and the idle time starts once they are
// written (as Tornado reads the next request only after its write
// completed). A client that takes nothing for WriteTimeout is closed.
// awaitWrite reports whether it took over: the connection waits on, or
// it closed it.
func (c *conn) awaitWrite(now int64) bool {
	o := &c.srv.opts
	n := c.s.WriteBuffered()
	if n == 0 {
		if c.wpending == 0 {
			return false
		}
		// Written in full since the last look: the idle time starts.
		c.wpending = 0
		if c.state == stIdle {
			c.setDeadline(o.IdleTimeout)
		}
		return true
	}
	if n != c.wpending {
		c.wpending, c.wprogress = n, now // the client took some
	}
	stall := time.Duration(now - c.wprogress)
	if stall >= o.WriteTimeout {
		c.srv.log.Debug("gale/httpserver: timeout writing response", "remote", c.s.RemoteAddr())
		c.s.Close()
		return true
	}
	// Look again when the stall would reach WriteTimeout, or an
	// IdleTimeout from now if sooner (the idle time starts when the
	// output is written, which only a look notices).
	c.setDeadline(min(o.IdleTimeout, o.WriteTimeout-stall))
	return true
}

// release recycles a connection its handler detached during onData (a
// WebSocket upgrade), at the end of that onData: nothing refers to it any
// more (the stream has a new owner and no callback of the connection, the
// timer is cancelled, the loop's table forgot it, and the handler, which
// must not keep the Request or ResponseWriter, has returned). Its parser,
// header and buffer storage serve the loop's next connection, so that an
// upgrade leaves no garbage of HTTP state behind: with 10,000 WebSocket
// connections opened in a row that garbage made the server's memory
// per idle connection nearly twice its live size.
func (c *conn) release() {
	ls := c.ls
	if len(ls.free) >= maxFreeConns {
		return
	}
	c.w.reset(nil)
	c.p.Reset()
	keep := conn{
		p:         c.p,
		enc:       c.enc,
		w:         c.w,
		arena:     c.arena[:0],
		out:       c.out[:0],
		bodyBuf:   c.bodyBuf[:0],
		onDataFn:  c.onDataFn,
		timerFn:   c.timerFn,
		onCloseFn: c.onCloseFn,
	}
	if cap(keep.arena) > 64<<10 {
		keep.arena = nil
	}
	if cap(keep.out) > 4*flushThreshold {
		keep.out = nil
	}
	if cap(keep.bodyBuf) > maxKeptBody {
		keep.bodyBuf = nil
	}
	*c = keep
	ls.free = append(ls.free, c)
}
