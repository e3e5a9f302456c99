package httpserver

import (
	"bytes"
	"errors"
	"io"
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
// compress this response.
func (w *ResponseWriter) shouldGzip(last bool) bool {
	g := w.c.srv.gz
	if g == nil || w.status < 200 || w.status == 204 || w.status == 304 || w.status == 206 {
		return false
	}
	r := &w.c.req
	h := &w.header
	if r.Method == httpproto.MethodHead || h.Has("Content-Encoding") || h.Has("Transfer-Encoding") {
		return false
	}
	if last && len(w.body) < g.opts.MinSize {
		return false
	}
	ct := h.Get("Content-Type")
	ok := false
	for _, t := range g.opts.ContentTypes {
		if len(ct) >= len(t) && httpproto.EqualFold(ct[:len(t)], t) {
			ok = true
			break
		}
	}
	return ok && acceptsGzip(&r.Header)
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
// body (last) it compresses it at once, so that the response is sized;
// otherwise the body streams through a pooled compressor.
func (w *ResponseWriter) startGzip(last bool) {
	g := w.c.srv.gz
	h := &w.header
	h.Set("Content-Encoding", "gzip")
	h.Add("Vary", "Accept-Encoding")
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

// gzipRequest gathers a gzip-encoded request body and inflates it, within
// the body limit, before the Handler sees it.
type gzipRequest struct {
	c          *conn
	compressed []byte
	limit      int64 // the request's body limit (SetMaxBodySize included)
}

func (g *gzipState) requestDecoder(c *conn, r *Request) BodyDelegate {
	if !httpproto.EqualFold(bytes.Trim(r.Header.Get("Content-Encoding"), " \t"), "gzip") {
		return nil
	}
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
	if err == nil {
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
	// Tornado moves the coding to X-Consumed-Content-Encoding.
	r.Header.Del("Content-Encoding")
	r.Header.Add("X-Consumed-Content-Encoding", "gzip")
	r.Body = body
	if c.srv.h == nil {
		c.w.Error(404, false) // as endRequest answers a plain body
		return
	}
	c.srv.h(&c.w, r)
}
