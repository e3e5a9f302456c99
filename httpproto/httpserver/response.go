package httpserver

import (
	"errors"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/stream"
)

// flushThreshold is how many response bytes are gathered before they are
// handed to the stream: a response smaller than this goes out in one
// write (with the head, and with the other responses to pipelined
// requests answered in the same turn).
const flushThreshold = 64 << 10

var (
	// ErrFinished is returned by writes after Finish.
	ErrFinished = errors.New("httpserver: response already finished")
	// ErrHeadSent is returned by Detach once the response head was sent.
	ErrHeadSent = errors.New("httpserver: response head already sent")
	// ErrConnClosed is returned by writes on a connection that closed.
	ErrConnClosed = errors.New("httpserver: connection closed")
)

// ResponseWriter builds the response to one request: Tornado's
// RequestHandler output side over HTTP1Connection. Set the status and
// fields, Write the body (buffered until Flush, Finish or 64 KiB), Finish.
// A response finished without a Content-Length whose body was never
// flushed (so stayed below 64 KiB) gets one; otherwise the body is chunked
// (HTTP/1.1) or ends with the connection (HTTP/1.0). Respond sizes a body
// of any length. A response to HEAD sends no body bytes: the handler may
// write the body as for GET (its framing is the one GET would get), and
// it is discarded.
//
// A ResponseWriter belongs to the connection's loop; it is valid until
// Finish (or the connection's close) and then reused.
type ResponseWriter struct {
	c        *conn
	status   int
	reason   string
	header   httpproto.Headers
	body     []byte // body written before the head was sent
	headSent bool
	finished bool
	failed   error
	onClose  func(error)
	gz       *gzipWriter
	// trailers, if set (the net/http adapter's), end a chunked body; a
	// response with them is not sized, so that it is chunked.
	trailers *httpproto.Headers
	// unsized: Finish adds no Content-Length (the net/http adapter's
	// answer to HEAD whose handler wrote no body: its length is unknown).
	unsized bool
	// identity: never compressed (the head of a response whose
	// connection the net/http adapter's handler hijacks).
	identity bool
	// noDate: no Date field (the net/http adapter's handler set its
	// Date to nil, net/http's way to suppress it).
	noDate bool
}

func (w *ResponseWriter) reset(c *conn) {
	w.c = c
	w.status, w.reason = 200, ""
	w.header.Reset()
	w.body = w.body[:0]
	if cap(w.body) > flushThreshold {
		w.body = nil
	}
	w.headSent, w.finished, w.failed = false, false, nil
	w.onClose = nil
	w.gz = nil
	w.trailers = nil
	w.unsized, w.identity, w.noDate = false, false, false
}

// Header returns the response fields, to change before the head is sent.
func (w *ResponseWriter) Header() *httpproto.Headers { return &w.header }

// WriteHeader sets the status code (default 200), with its standard
// reason phrase.
func (w *ResponseWriter) WriteHeader(status int) { w.status, w.reason = status, "" }

// SetStatus sets the status code and a reason phrase ("" for the standard
// one).
func (w *ResponseWriter) SetStatus(status int, reason string) { w.status, w.reason = status, reason }

// Status returns the status code set so far.
func (w *ResponseWriter) Status() int { return w.status }

// HeadSent reports whether the head has gone out (fields can no longer
// change).
func (w *ResponseWriter) HeadSent() bool { return w.headSent }

// Finished reports whether Finish was called.
func (w *ResponseWriter) Finished() bool { return w.finished }

// OnClose registers cb to be called, on the loop, if the connection closes
// before the response is finished (the client went away, a timeout, a
// forced shutdown): Tornado's on_connection_close. Registered once the
// connection has closed, cb is called at once (from a callback of its
// own), unless a callback was told of that close already. It is also called, with
// an error matching io.EOF, when the client's input ends while the
// connection stays open: a client that left looks like one that only shut
// down its sending side (a half-close), which still gets its answers, so
// the response may go on (cb may register itself again to learn of the
// close that follows if the client did leave). A connection the server
// closes itself (a timeout, Shutdown) reports an error matching
// ErrConnClosed. cb is called at most once per registration.
func (w *ResponseWriter) OnClose(cb func(err error)) {
	w.onClose = cb
	c := w.c
	if cb == nil || w.finished {
		return
	}
	if c.closed {
		// The connection closed before cb was registered: unless its close
		// was told already (to a cb that registers itself again, say),
		// tell cb now, from a callback of its own.
		if !c.closeTold {
			c.ls.l.Post(func() {
				if w.c == c {
					c.notifyGone(c.closeErr)
				}
			})
		}
		return
	}
	if c.state == stHandling && !c.inData {
		c.watch()
	}
}

// Write adds p to the body. The bytes are copied; p may be reused at once.
func (w *ResponseWriter) Write(p []byte) (int, error) {
	if err := w.writable(); err != nil {
		return 0, err
	}
	if w.gz != nil {
		return len(p), w.gz.write(p)
	}
	if !w.headSent {
		w.body = append(w.body, p...)
		if len(w.body) >= flushThreshold {
			return len(p), w.sendHead(false)
		}
		return len(p), nil
	}
	if w.c.req.Method == httpproto.MethodHead {
		return len(p), nil // the head is out; a response to HEAD has no body
	}
	if err := w.c.appendBody(p); err != nil {
		return 0, w.fail(err)
	}
	return len(p), nil
}

// WriteString is Write for a string.
func (w *ResponseWriter) WriteString(s string) (int, error) {
	if err := w.writable(); err != nil {
		return 0, err
	}
	if w.gz == nil && !w.headSent {
		w.body = append(w.body, s...)
		if len(w.body) >= flushThreshold {
			return len(s), w.sendHead(false)
		}
		return len(s), nil
	}
	return w.Write([]byte(s))
}

func (w *ResponseWriter) writable() error {
	switch {
	case w.finished:
		return ErrFinished
	case w.failed != nil:
		return w.failed
	case w.c.closed:
		return ErrConnClosed
	}
	return nil
}

// Flush sends the head (if not yet sent) and the body written so far; cb,
// if not nil, is called once those bytes reached the kernel, which is how
// a streaming response paces itself. A flushed response without a
// Content-Length is chunked.
func (w *ResponseWriter) Flush(cb func(err error)) error {
	if err := w.writable(); err != nil {
		return err
	}
	if !w.headSent {
		// Sending the head may start the compressor: flush it after.
		if err := w.sendHead(false); err != nil {
			return err
		}
	}
	if w.gz != nil {
		if err := w.gz.flush(); err != nil {
			return w.fail(err)
		}
	}
	w.c.flushOut(cb)
	return nil
}

// Finish ends the response. The next request on the connection is read
// once it is finished (or the connection closes, if it cannot be kept
// alive).
func (w *ResponseWriter) Finish() error {
	if err := w.writable(); err != nil {
		return err
	}
	if w.gz != nil {
		if err := w.gz.close(); err != nil {
			return w.fail(err)
		}
	}
	if !w.headSent {
		if err := w.sendHead(true); err != nil {
			return err
		}
	}
	c := w.c
	var err error
	c.out, err = c.enc.AppendEnd(c.out, w.trailers)
	if err != nil {
		return w.fail(err)
	}
	w.finished = true
	c.responseDone()
	return nil
}

// Respond is the one-call response: status, Content-Type (unless empty)
// and body, then Finish.
func (w *ResponseWriter) Respond(status int, contentType string, body []byte) error {
	w.status, w.reason = status, ""
	if contentType != "" {
		w.header.Set("Content-Type", contentType)
	}
	if !w.headSent && len(w.body) == 0 && !w.header.Has("Content-Length") && !w.header.Has("Transfer-Encoding") &&
		len(body) >= flushThreshold {
		// The whole body is known: keep the response sized (and an
		// HTTP/1.0 keep-alive connection alive) even though it is large.
		w.header.AddInt("Content-Length", int64(len(body)))
	}
	if _, err := w.Write(body); err != nil {
		return err
	}
	return w.Finish()
}

// Error responds with status and its reason phrase as a text/plain body,
// closing the connection afterwards if close is true.
func (w *ResponseWriter) Error(status int, close bool) error {
	if w.headSent {
		return ErrHeadSent
	}
	w.header.Reset()
	w.body = w.body[:0]
	if close {
		w.header.Set("Connection", "close")
	}
	return w.Respond(status, "text/plain; charset=utf-8", []byte(httpproto.StatusText(status)+"\n"))
}

// Detach hands the connection to another protocol (a WebSocket, a CONNECT
// tunnel): Tornado's detach. It sends what was written of the response
// (typically a 101 head written with SendHead) and returns the stream; the
// bytes the client sent after the request are still buffered in it, read
// first by the new owner's reads. The HTTP server forgets the connection:
// no timeout, no further request. Call it before Finish, from the Handler
// or StreamHandler of the upgrade request. The ResponseWriter and the
// Request must not be used after Detach: copy what the new protocol needs
// from the request first. (Once a handler that detached returns, the
// server reuses their storage for another connection.)
func (w *ResponseWriter) Detach() (*stream.Stream, error) {
	if w.finished {
		return nil, ErrFinished
	}
	c := w.c
	if c.closed {
		return nil, ErrConnClosed
	}
	return c.detach(), nil
}

// SendHead sends the head now with the fields as they are, for a response
// whose body follows later or never (a 101 before Detach). With a 1xx
// status other than 101 it sends an interim response (a 103 Early Hints,
// say) and the status returns to 200 for the real one; an HTTP/1.0 client
// gets no interim response (RFC 9110 section 15.2), so it is dropped.
func (w *ResponseWriter) SendHead() error {
	if err := w.writable(); err != nil {
		return err
	}
	if w.headSent {
		return ErrHeadSent
	}
	return w.sendHead(false)
}

// sendHead appends the head and the buffered body to the connection's
// output. last means the body is complete (Finish), so an unflushed body
// can be sized.
func (w *ResponseWriter) sendHead(last bool) error {
	c := w.c
	r := &c.req
	h := &w.header
	if w.status < 200 && w.status != 101 && r.Version == httpproto.HTTP10 {
		// RFC 9110 section 15.2: an HTTP/1.0 client gets no interim
		// response; it is dropped, and the real one follows.
		w.status = 200
		return nil
	}
	bodyless := w.status < 200 || w.status == 204 || w.status == 304
	if c.srv.gz != nil && w.status >= 200 {
		if !w.identity && w.shouldGzip(last) {
			w.startGzip(last)
		}
		// Whether compressed or not, the response varies with
		// Accept-Encoding (RFC 9110 section 12.5.5; a 304 must carry the
		// Vary its 200 would, section 15.4.5), as Tornado's
		// GZipContentEncoding adds it to every response.
		if !h.HasToken("Vary", "Accept-Encoding") && !h.HasToken("Vary", "*") {
			h.Add("Vary", "Accept-Encoding")
		}
	}
	if last && !bodyless && w.trailers == nil && !w.unsized && !h.Has("Content-Length") && !h.Has("Transfer-Encoding") {
		h.AddInt("Content-Length", int64(len(w.body)))
	}
	if w.c.srv.opts.ServerName != "" && !h.Has("Server") {
		h.Add("Server", w.c.srv.opts.ServerName)
	}
	if !h.Has("Date") && !w.noDate {
		date := c.ls.date // "Date: ...\r\n"
		h.AddBytes(dateName, date[6:len(date)-2])
	}
	info := httpproto.RequestInfo{
		Head:      r.Method == httpproto.MethodHead,
		HTTP10:    r.Version == httpproto.HTTP10,
		KeepAlive: r.KeepAlive && !c.noKeepAlive(),
	}
	var err error
	c.out, err = c.enc.AppendResponseHead(c.out, info, w.status, w.reason, h)
	if err != nil {
		return w.fail(err)
	}
	if w.status < 200 && w.status != 101 {
		// An interim response: the real one follows.
		w.status = 200
		return nil
	}
	w.headSent = true
	if len(w.body) > 0 && !info.Head && !bodyless {
		var err error
		if w.gz != nil {
			err = w.gz.write(w.body)
		} else {
			err = c.appendBody(w.body)
		}
		if err != nil {
			return w.fail(err)
		}
	}
	w.body = w.body[:0]
	return nil
}

var (
	dateName = []byte("Date")
)

// fail records an output error (the handler broke framing): the response
// cannot be completed, so the connection closes once what was sent is
// flushed.
func (w *ResponseWriter) fail(err error) error {
	w.failed = err
	w.c.failOutput(err)
	return err
}
