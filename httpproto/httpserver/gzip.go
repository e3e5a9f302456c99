package httpserver

import (
	"bytes"
	"errors"
	"io"
	"iter"
	"sync"

	"github.com/gale-io/gale/httpproto"
	"github.com/klauspost/compress/gzip"
)

// gzipState is a server's gzip configuration and its pool of compressors
// (a gzip.Writer holds about 1 MiB of state; pooling keeps that per
// response in flight, not per connection).
type gzipState struct {
	opts    GzipOptions
	writers sync.Pool
}

var defaultGzipTypes = []string{"text/", "application/json", "application/javascript",
	"application/xml", "image/svg+xml"}

func newGzipState(o *GzipOptions) *gzipState {
	g := &gzipState{opts: *o}
	if g.opts.Level < 1 || g.opts.Level > 9 {
		g.opts.Level = 6
	}
	if g.opts.MinSize <= 0 {
		g.opts.MinSize = 1024
	}
	if len(g.opts.ContentTypes) == 0 {
		g.opts.ContentTypes = defaultGzipTypes
	}
	level := g.opts.Level
	g.writers.New = func() any {
		zw, _ := gzip.NewWriterLevel(io.Discard, level)
		return zw
	}
	return g
}

// acceptsGzip reports whether an Accept-Encoding value admits gzip (RFC
// 9110 section 12.5.3): gzip (or x-gzip) listed without q=0, or, when
// neither is listed, "*" without q=0. An explicit "gzip;q=0" refuses gzip
// whatever "*" says: "*" covers only the codings not listed.
func acceptsGzip(h *httpproto.Headers) bool {
	var buf [2][]byte
	named, namedOK, starOK := false, false, false
	for _, v := range h.AppendValues(buf[:0], "Accept-Encoding") {
		for len(v) > 0 {
			elem := v
			if i := bytes.IndexByte(v, ','); i >= 0 {
				elem, v = v[:i], v[i+1:]
			} else {
				v = nil
			}
			name, params, _ := bytes.Cut(elem, []byte{';'})
			name = bytes.Trim(name, " \t")
			if !httpproto.EqualFold(name, "gzip") && !httpproto.EqualFold(name, "x-gzip") && string(name) != "*" {
				continue
			}
			q := bytes.Trim(params, " \t")
			ok := !(len(q) >= 2 && (q[0] == 'q' || q[0] == 'Q') && q[1] == '=' &&
				len(bytes.Trim(q[2:], "0.")) == 0) // q=0: not acceptable
			if string(name) == "*" {
				starOK = starOK || ok
			} else {
				named, namedOK = true, namedOK || ok
			}
		}
	}
	if named {
		return namedOK
	}
	return starOK
}

// shouldGzip decides, when the head is about to go out, whether to
// compress this response. HEAD is decided as GET would be, so that it gets
// the same fields (RFC 9110 section 9.3.2).
func (w *ResponseWriter) shouldGzip(last bool) bool {
	g := w.c.srv.gz
	if g == nil || w.status < 200 || w.status == 204 || w.status == 304 || w.status == 206 {
		return false
	}
	r := &w.c.req
	h := &w.header
	if h.Has("Content-Encoding") || h.Has("Transfer-Encoding") {
		return false
	}
	if last && len(w.body) < g.opts.MinSize {
		return false
	}
	ct := h.Get("Content-Type")
	for _, t := range g.opts.ContentTypes {
		if len(ct) >= len(t) && httpproto.EqualFold(ct[:len(t)], t) {
			return acceptsGzip(&r.Header)
		}
	}
	return false
}

// gzipWriter compresses a streamed response body into the connection's
// output.
type gzipWriter struct {
	g  *gzipState
	zw *gzip.Writer
}

type connSink struct{ c *conn }

func (s connSink) Write(p []byte) (int, error) {
	if err := s.c.appendBody(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (z *gzipWriter) write(p []byte) error {
	_, err := z.zw.Write(p)
	return err
}

func (z *gzipWriter) flush() error { return z.zw.Flush() }

func (z *gzipWriter) close() error {
	err := z.zw.Close()
	z.zw.Reset(io.Discard)
	z.g.writers.Put(z.zw)
	z.zw = nil
	return err
}

// startGzip prepares the fields of a compressed response. For a complete
// body (last) it compresses it at once, so that the response is sized (for
// HEAD too: the length is GET's); otherwise the body streams through a
// pooled compressor.
func (w *ResponseWriter) startGzip(last bool) {
	g := w.c.srv.gz
	h := &w.header
	h.Set("Content-Encoding", "gzip")
	if !last && w.c.req.Method == httpproto.MethodHead {
		h.Del("Content-Length") // no body is sent: nothing to compress
		return
	}
	zw := g.writers.Get().(*gzip.Writer)
	if last {
		var out bytes.Buffer
		out.Grow(len(w.body)/2 + 64)
		zw.Reset(&out)
		zw.Write(w.body)
		zw.Close()
		zw.Reset(io.Discard)
		g.writers.Put(zw)
		w.body = append(w.body[:0], out.Bytes()...)
		h.Del("Content-Length")
		h.AddInt("Content-Length", int64(len(w.body)))
		return
	}
	h.Del("Content-Length")
	zw.Reset(connSink{w.c})
	w.gz = &gzipWriter{g: g, zw: zw}
}

// ErrBodyTooLarge is the cause when a decompressed request body exceeds
// Limits.MaxBodySize (the client gets 413).
var ErrBodyTooLarge = errors.New("httpserver: decompressed request body too large")

// consumeGzipCoding reports whether r's body is gzip-encoded and, if so,
// moves the coding to X-Consumed-Content-Encoding and drops Content-Length
// (the body handed on is the decompressed one), as Tornado's
// _GzipMessageDelegate does before its delegate sees the head.
func consumeGzipCoding(r *Request) bool {
	h := &r.Header
	v := bytes.Trim(h.Get("Content-Encoding"), " \t")
	if !httpproto.EqualFold(v, "gzip") {
		return false
	}
	h.AddBytes([]byte("X-Consumed-Content-Encoding"), v)
	h.Del("Content-Encoding")
	h.Del("Content-Length")
	return true
}

// gzipRequest gathers a gzip-encoded request body and inflates it, within
// the body limit, before the Handler sees it.
type gzipRequest struct {
	c          *conn
	compressed []byte
	limit      int64 // the request's body limit (SetMaxBodySize included)
}

func (g *gzipState) requestDecoder(c *conn) BodyDelegate {
	// The parser's limit for this request, as a StreamHandler may have
	// set it; it reverts to Limits.MaxBodySize when the body ends.
	return &gzipRequest{c: c, limit: c.p.MaxBodySize()}
}

func (d *gzipRequest) Data(p []byte) { d.compressed = append(d.compressed, p...) }

func (d *gzipRequest) Finish() {
	c := d.c
	r := &c.req
	limit := d.limit
	zr, err := gzip.NewReader(bytes.NewReader(d.compressed))
	var body []byte
	if len(d.compressed) == 0 {
		// An empty body stays empty (Tornado's decompressor, never fed,
		// flushes to nothing).
		err = nil
	} else if err == nil {
		body, err = io.ReadAll(io.LimitReader(zr, limit+1))
		if err == nil && int64(len(body)) > limit {
			err = ErrBodyTooLarge
		}
	}
	if err != nil {
		status := 400
		if errors.Is(err, ErrBodyTooLarge) {
			status = 413
		}
		c.srv.log.Debug("gale/httpserver: bad gzip request body", "remote", c.s.RemoteAddr(), "error", err)
		c.w.Error(status, true)
		return
	}
	r.Body = body
	if c.srv.h == nil {
		c.w.Error(404, false) // as endRequest answers a plain body
		return
	}
	c.srv.h(&c.w, r)
}

// gzipStream inflates a gzip request body for a StreamHandler's delegate d
// as it arrives, as Tornado's _GzipMessageDelegate: d's Data gets the
// decompressed body in pieces of at most bodyChunk, whose total the
// request's body limit bounds (beyond it the client gets 413; corrupt or
// truncated data gets 400), and a PauseBody from d holds what the
// decompressor has not delivered yet until ResumeBody.
//
// The decompressor pulls its input (gzip.Reader), the connection pushes
// it: the decompressor runs as a coroutine (iter.Pull) that yields each
// decompressed piece, and nil when it needs more input.
type gzipStream struct {
	c     *conn
	d     BodyDelegate
	limit int64
	n     int64  // decompressed bytes delivered
	in    []byte // compressed input the decompressor has not taken
	own   []byte // storage for in when it outlives a Data call
	eof   bool   // the compressed body is complete
	// hungry: the decompressor's last word was that it needs input (it
	// holds no decompressed byte).
	hungry bool
	ended  bool // the decompressor stopped (the end, an error, abort)
	// finishing: the compressed body is complete, and d paused the rest
	// of the decompressed one (and its Finish) until ResumeBody.
	finishing bool
	whole     bool // it stopped at the end of a well-formed body
	err       error
	out       []byte
	yield     func([]byte) bool
	next      func() ([]byte, bool)
	stop      func()
}

var errGzipAborted = errors.New("httpserver: gzip request body abandoned")

func newGzipStream(c *conn, d BodyDelegate) *gzipStream {
	return &gzipStream{c: c, d: d, limit: c.p.MaxBodySize(), hungry: true}
}

// inflate is the coroutine.
func (s *gzipStream) inflate(yield func([]byte) bool) {
	s.yield = yield
	zr, err := gzip.NewReader(s)
	if err != nil {
		if err != io.EOF { // io.EOF: no byte at all, an empty body
			s.err = err
		}
		return
	}
	s.out = make([]byte, bodyChunk)
	for {
		n, err := zr.Read(s.out)
		if n > 0 && !yield(s.out[:n]) {
			return
		}
		if err != nil {
			if err != io.EOF {
				s.err = err
			}
			return
		}
	}
}

// Read and ReadByte feed the decompressor, in the coroutine: with no input
// left they yield nil, until the body's end.
func (s *gzipStream) Read(p []byte) (int, error) {
	if err := s.await(); err != nil {
		return 0, err
	}
	n := copy(p, s.in)
	s.in = s.in[n:]
	return n, nil
}

func (s *gzipStream) ReadByte() (byte, error) {
	if err := s.await(); err != nil {
		return 0, err
	}
	b := s.in[0]
	s.in = s.in[1:]
	return b, nil
}

func (s *gzipStream) await() error {
	for len(s.in) == 0 {
		if s.eof {
			return io.EOF
		}
		if !s.yield(nil) {
			return errGzipAborted
		}
	}
	return nil
}

func (s *gzipStream) Data(p []byte) {
	if s.ended {
		return
	}
	if len(s.in) > 0 {
		s.own = append(append(s.own[:0], s.in...), p...)
		s.in = s.own
	} else {
		s.in = p
	}
	s.pump(false)
	if len(s.in) > 0 && !s.ended {
		// Paused: keep the rest (p is valid only during the call).
		s.own = append(s.own[:0], s.in...)
		s.in = s.own
	}
}

func (s *gzipStream) Finish() {
	if s.ended {
		return
	}
	s.eof = true
	s.finish()
}

// finish hands d what the decompressor still holds of the complete
// compressed body (the last piece of a body comes out only once its end is
// known), then d's Finish. A pause from d holds both until ResumeBody
// (resumeFinish), as Tornado awaits data_received before finish.
func (s *gzipStream) finish() {
	s.pump(true)
	c := s.c
	if !s.ended && c.paused && !c.closed && c.delegate == s && !c.w.finished && c.state == stHandling {
		s.finishing = true
		return
	}
	if !s.ended {
		// d answered or the connection closed: nothing more will come,
		// so the coroutine ends here, as the request does.
		s.abort()
	}
	if s.whole && !c.closed && c.delegate == s && !c.w.finished {
		s.d.Finish()
	}
}

// resumeFinish goes on with finish after a pause, in a callback of its own.
func (s *gzipStream) resumeFinish() {
	c := s.c
	st := c.s
	c.ls.l.Post(func() {
		if c.s != st || !s.finishing || c.delegate != s || c.paused || c.state != stHandling {
			return
		}
		s.finishing = false
		if c.closed || c.w.finished {
			s.abort()
			return
		}
		s.finish()
		if !c.inData && len(c.out) > 0 && !c.closed && c.state == stHandling {
			c.flushOut(nil)
		}
	})
}

// pending reports whether the decompressor may hold more of the body.
func (s *gzipStream) pending() bool { return !s.ended && (!s.hungry || len(s.in) > 0) }

// pump hands d what the decompressor yields until it needs more input (or,
// final, the compressed body being complete, until its end), d pauses the
// body, answers or closes, or the body fails.
func (s *gzipStream) pump(final bool) {
	c := s.c
	if s.next == nil && !s.ended {
		s.next, s.stop = iter.Pull(s.inflate)
	}
	for !s.ended && !c.paused {
		p, ok := s.next()
		if !ok {
			s.ended = true
			s.stop()
			if s.err != nil {
				s.fail(s.err)
			} else {
				s.whole = true
			}
			return
		}
		if p == nil {
			s.hungry = true
			return
		}
		s.hungry = false
		s.n += int64(len(p))
		if s.n > s.limit {
			s.fail(ErrBodyTooLarge)
			return
		}
		s.d.Data(p)
		if c.closed || c.delegate != s || c.w.finished || c.state != stBody && !(final && c.state == stHandling) {
			return
		}
	}
}

// fail answers a body that does not decompress within its limit.
func (s *gzipStream) fail(err error) {
	s.abort()
	status := 400
	if errors.Is(err, ErrBodyTooLarge) {
		status = 413
	}
	c := s.c
	c.srv.log.Debug("gale/httpserver: bad gzip request body", "remote", c.s.RemoteAddr(), "error", err)
	c.failBody(err, status)
}

// abort ends the coroutine of a body that will not be read to its end.
func (s *gzipStream) abort() {
	s.ended = true
	s.in = nil
	if s.stop != nil {
		s.stop()
	}
}
