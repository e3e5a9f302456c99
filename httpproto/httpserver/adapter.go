package httpserver

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/textproto"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/loop"
)

// NetHTTP returns a Handler that serves h, any net/http Handler (a router,
// middleware, a WebSocket library), on gale: the I/O stays on the loop and
// h runs on a goroutine of its own per request, as under net/http.
//
// What h sees: an *http.Request with the method, URL, protocol, headers
// (canonical keys), Host, RemoteAddr, TLS state, body and trailers, and a
// context cancelled when the client goes away or the server closes the
// connection. As under net/http, the Host field is in Request.Host, not in
// Header, and URL.Host is empty for an origin-form target ("/p"). Its
// ResponseWriter supports http.Flusher (the body so far goes out, chunked),
// http.CloseNotifier, http.Hijacker (the connection becomes a net.Conn
// driven by the loop, as WebSocket libraries need) and
// http.NewResponseController's Flush and Hijack. Writes pace themselves: a
// handler that writes faster than the client reads blocks once about 1 MiB
// waits in the connection. They behave as net/http's: a missing
// Content-Type is sniffed from the first bytes when the head goes out, a
// write past the declared Content-Length fails with http.ErrContentLength
// (one for a 204 or 304 with http.ErrBodyNotAllowed), and the body written
// for HEAD is discarded (a HEAD whose handler wrote none gets no
// Content-Length). Trailers, declared in the Trailer field or set with
// http.TrailerPrefix, go after the body, which is then chunked. The end of
// the client's input cancels the context, as a client that went away does,
// but a client that only shut down its sending side (a half-close) still
// gets the response.
//
// The body is read whole before h runs (within Options.Limits), so h never
// blocks on a slow upload; stream large uploads with a StreamHandler
// instead.
func NetHTTP(h http.Handler) Handler {
	return func(w *ResponseWriter, r *Request) {
		serveNetHTTP(h, w, r)
	}
}

// nhWriter is the goroutine side of a net/http response.
type nhWriter struct {
	w      *ResponseWriter // loop side; touched only on the loop
	l      *loop.Loop
	header http.Header
	status int
	wrote  bool // WriteHeader happened
	// fields are the header as it was at WriteHeader: later changes are
	// ignored, as under net/http (trailers aside).
	fields http.Header
	buf    []byte
	// head: answering HEAD, whose body net/http eats once the head is out
	// (headOut: handed to the loop).
	head    bool
	headOut bool
	// clen is the Content-Length declared when the status was set (-1:
	// none); written counts the body bytes the handler wrote.
	clen    int64
	written int64
	// sent counts bytes handed to the loop and not yet acknowledged as
	// written to the kernel; writers wait while it is above the limit.
	mu       sync.Mutex
	cond     *sync.Cond
	inFlight int
	gone     error // the connection closed or the response failed
	hijacked bool
	done     bool
	// closeNotify, made by CloseNotify, gets true when the client goes
	// away (clientGone).
	closeNotify chan bool
	clientGone  bool
	// ended (loop side) is set once the response is finished, aborted or
	// hijacked: the loop's ResponseWriter then serves the connection's
	// next request, which what a handler writes late must not reach.
	ended bool
}

const (
	nhChunk    = 32 << 10 // body bytes gathered per hand-off to the loop
	nhInFlight = 1 << 20  // hand-offs a writer may be ahead of the kernel
)

func serveNetHTTP(h http.Handler, w *ResponseWriter, r *Request) {
	c := w.c
	// h reads the body on its goroutine, after this turn of the loop:
	// it must not be a view of the stream's buffer, which is pooled.
	c.ownBody()
	req, err := newNetHTTPRequest(r)
	if err != nil {
		w.Error(400, true)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	ctx = context.WithValue(ctx, http.LocalAddrContextKey, c.s.LocalAddr())
	req = req.WithContext(ctx)
	nw := &nhWriter{w: w, l: c.ls.l, header: http.Header{}, status: 200,
		head: r.Method == httpproto.MethodHead}
	nw.cond = sync.NewCond(&nw.mu)
	var onClose func(error)
	onClose = func(err error) {
		cancel()
		nw.notifyClose()
		if !w.c.closed {
			// The end of the client's input: it left, or only shut down
			// its sending side (the two look alike until a write fails).
			// As under net/http the context ends but the response still
			// goes out; the connection's close, if it comes, stops it.
			w.OnClose(onClose)
			return
		}
		nw.mu.Lock()
		nw.gone = ErrConnClosed
		nw.cond.Broadcast()
		nw.mu.Unlock()
	}
	w.OnClose(onClose)
	go func() {
		defer cancel()
		defer func() {
			if p := recover(); p != nil {
				if p != http.ErrAbortHandler {
					c.srv.log.Error("gale/httpserver: panic serving "+req.URL.Path, "panic", p, "stack", string(debug.Stack()))
				}
				nw.abort()
				return
			}
			nw.finish()
		}()
		h.ServeHTTP(nw, req)
	}()
}

func newNetHTTPRequest(r *Request) (*http.Request, error) {
	target := string(r.Target)
	u, err := url.ParseRequestURI(target)
	if err != nil {
		if r.Method != httpproto.MethodConnect {
			return nil, err
		}
		u = &url.URL{Host: target}
	}
	hdr := make(http.Header, r.Header.Len())
	for name, value := range r.Header.All() {
		key := textproto.CanonicalMIMEHeaderKey(string(name))
		hdr[key] = append(hdr[key], string(value))
	}
	var major, minor = 1, 1
	proto := "HTTP/1.1"
	if r.Version == httpproto.HTTP10 {
		minor, proto = 0, "HTTP/1.0"
	}
	// The body lives in the connection's own buffer (ownBody) until the
	// response is finished, which is after the handler returns.
	var body io.ReadCloser = http.NoBody
	if len(r.Body) > 0 {
		body = io.NopCloser(bytes.NewReader(r.Body))
	}
	req := &http.Request{
		Method:        string(r.RawMethod),
		URL:           u,
		Proto:         proto,
		ProtoMajor:    major,
		ProtoMinor:    minor,
		Header:        hdr,
		Body:          body,
		ContentLength: int64(len(r.Body)),
		Host:          string(r.Host),
		RemoteAddr:    remoteString(r),
		RequestURI:    target,
		Close:         !r.KeepAlive,
	}
	if r.Chunked {
		// As net/http presents a chunked request.
		req.TransferEncoding = []string{"chunked"}
		req.ContentLength = -1
		delete(hdr, "Transfer-Encoding")
	}
	if r.Trailers.Len() > 0 {
		req.Trailer = http.Header{}
		for name, value := range r.Trailers.All() {
			key := textproto.CanonicalMIMEHeaderKey(string(name))
			req.Trailer[key] = append(req.Trailer[key], string(value))
		}
	}
	if st, ok := r.TLS(); ok {
		req.TLS = &st
	}
	// As net/http: the Host field moves to Request.Host, which an
	// absolute-form target's authority overrides; URL.Host stays empty for
	// an origin-form target ("/p").
	delete(hdr, "Host")
	if u.Host != "" {
		req.Host = u.Host
	}
	return req, nil
}

// Header implements http.ResponseWriter.
func (nw *nhWriter) Header() http.Header { return nw.header }

// WriteHeader implements http.ResponseWriter. 1xx codes other than 101
// are sent at once as interim responses.
func (nw *nhWriter) WriteHeader(code int) {
	if nw.wrote || nw.hijacked {
		return
	}
	if code >= 100 && code < 200 && code != 101 {
		fields := nw.snapshotHeader()
		nw.post(func(w *ResponseWriter) {
			w.SetStatus(code, "")
			applyHeader(w, fields)
			w.SendHead()
			// The final response carries the handler's fields as they
			// are then, the 103's included: once, as under net/http.
			w.Header().Reset()
		}, 0)
		return
	}
	nw.status = code
	nw.wrote = true
	nw.clen = -1
	if cl := nw.header.Get("Content-Length"); cl != "" {
		// As net/http: writes beyond it fail; an invalid one is dropped.
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			nw.clen = n
		} else {
			nw.header.Del("Content-Length")
		}
	}
	nw.fields = nw.header.Clone()
}

// Write implements http.ResponseWriter.
func (nw *nhWriter) Write(p []byte) (int, error) {
	if nw.hijacked {
		return 0, http.ErrHijacked
	}
	if !nw.wrote {
		nw.WriteHeader(200)
	}
	if err := nw.err(); err != nil {
		return 0, err
	}
	if !bodyAllowed(nw.status) {
		return 0, http.ErrBodyNotAllowed
	}
	nw.written += int64(len(p))
	if nw.clen >= 0 && nw.written > nw.clen {
		return 0, http.ErrContentLength
	}
	if nw.head && nw.headOut {
		return len(p), nil // no body for HEAD: the head (and sniffed type) is out
	}
	n := len(p)
	for len(p) > 0 {
		room := nhChunk - len(nw.buf)
		if room <= 0 {
			if err := nw.handOff(false); err != nil {
				return n - len(p), err
			}
			continue
		}
		k := min(room, len(p))
		nw.buf = append(nw.buf, p[:k]...)
		p = p[k:]
	}
	return n, nil
}

// Flush implements http.Flusher.
func (nw *nhWriter) Flush() {
	if nw.hijacked {
		return
	}
	if !nw.wrote {
		nw.WriteHeader(200)
	}
	nw.handOff(true)
}

// CloseNotify implements http.CloseNotifier (deprecated, but still type
// asserted by frameworks such as gin): the channel receives true once the
// client goes away, as the request's context ends.
func (nw *nhWriter) CloseNotify() <-chan bool {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if nw.closeNotify == nil {
		nw.closeNotify = make(chan bool, 1)
		if nw.clientGone {
			nw.closeNotify <- true
		}
	}
	return nw.closeNotify
}

// notifyClose runs on the loop when the client's input ends.
func (nw *nhWriter) notifyClose() {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if !nw.clientGone {
		nw.clientGone = true
		if nw.closeNotify != nil {
			nw.closeNotify <- true
		}
	}
}

// FlushError is what http.ResponseController.Flush calls.
func (nw *nhWriter) FlushError() error {
	if nw.hijacked {
		return http.ErrHijacked
	}
	if !nw.wrote {
		nw.WriteHeader(200)
	}
	return nw.handOff(true)
}

func (nw *nhWriter) err() error {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	return nw.gone
}

// handOff posts the gathered body (and, the first time, the head) to the
// loop, then waits while too much is in flight.
func (nw *nhWriter) handOff(flush bool) error {
	chunk := nw.buf
	nw.buf = nil
	fields := nw.fields
	status := nw.status
	nw.headOut = true
	nw.post(func(w *ResponseWriter) {
		if !w.HeadSent() {
			startHead(w, status, fields, chunk)
		}
		w.Write(chunk)
		if flush || len(chunk) > 0 {
			n := len(chunk)
			if err := w.Flush(func(error) { nw.release(n) }); err != nil {
				// The response failed (the callback will not run): the
				// handler's next write reports it instead of waiting.
				nw.release(n)
				nw.fail(err)
			}
		}
	}, len(chunk))
	nw.mu.Lock()
	defer nw.mu.Unlock()
	for nw.inFlight > nhInFlight && nw.gone == nil {
		nw.cond.Wait()
	}
	return nw.gone
}

// snapshotHeader copies the header map for the loop, for an interim
// response.
func (nw *nhWriter) snapshotHeader() http.Header { return nw.header.Clone() }

// startHead sets the status and fields of a response whose head goes out
// with body, the first bytes written. As net/http does then, it sniffs a
// missing Content-Type from them (http.DetectContentType), unless the
// handler set the key (even to nothing), a Content-Encoding or a
// Transfer-Encoding, or the status has no body.
func startHead(w *ResponseWriter, status int, fields http.Header, body []byte) {
	w.SetStatus(status, "")
	applyHeader(w, fields)
	_, haveType := fields["Content-Type"]
	if !haveType && bodyAllowed(status) && len(body) > 0 &&
		fields.Get("Content-Encoding") == "" && fields.Get("Transfer-Encoding") == "" {
		w.Header().Set("Content-Type", http.DetectContentType(body))
	}
}

// bodyAllowed reports whether a response with status may have a body.
func bodyAllowed(status int) bool { return status >= 200 && status != 204 && status != 304 }

// applyHeader sets the handler's fields on w, less the trailers named
// with http.TrailerPrefix (they go after the body: see finalTrailers).
func applyHeader(w *ResponseWriter, fields http.Header) {
	h := w.Header()
	for k, vs := range fields {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			continue
		}
		for _, v := range vs {
			h.Add(k, v)
		}
	}
}

func (nw *nhWriter) post(f func(w *ResponseWriter), n int) {
	nw.mu.Lock()
	nw.inFlight += n
	nw.mu.Unlock()
	w := nw.w
	if err := nw.l.Post(func() {
		if nw.ended || w.finished || w.c.closed || w.c.state == stDetached {
			nw.release(n)
			return
		}
		f(w)
	}); err != nil {
		nw.release(n)
	}
}

func (nw *nhWriter) release(n int) {
	nw.mu.Lock()
	nw.inFlight -= n
	nw.cond.Broadcast()
	nw.mu.Unlock()
}

// fail records that the response cannot go on (err: why), waking a writer
// that waits.
func (nw *nhWriter) fail(err error) {
	nw.mu.Lock()
	if nw.gone == nil {
		nw.gone = err
	}
	nw.cond.Broadcast()
	nw.mu.Unlock()
}

// finish ends the response once the handler returned.
func (nw *nhWriter) finish() {
	if nw.hijacked {
		return
	}
	if !nw.wrote {
		nw.WriteHeader(200)
	}
	chunk := nw.buf
	nw.buf = nil
	fields := nw.fields
	trailers := nw.finalTrailers()
	nw.done = true
	status := nw.status
	// As net/http: a HEAD whose handler wrote no body gets no length (its
	// GET's is unknown; Content-Length: 0 would claim an empty body).
	unsized := nw.head && nw.written == 0
	nw.post(func(w *ResponseWriter) {
		if !w.HeadSent() {
			startHead(w, status, fields, chunk)
			w.unsized = unsized
		}
		if trailers != nil {
			w.trailers = trailers
		}
		nw.ended = true
		w.Write(chunk)
		w.Finish()
	}, 0)
}

// finalTrailers returns the trailer fields as net/http sends them, or nil:
// the keys declared in the Trailer field with the values they have now,
// and those set with http.TrailerPrefix ("Trailer:Name"). A response with
// trailers is chunked (an HTTP/1.0 client, which cannot get them, gets
// none).
func (nw *nhWriter) finalTrailers() *httpproto.Headers {
	var t *httpproto.Headers
	add := func(k string, vs []string) {
		if t == nil {
			t = new(httpproto.Headers)
		}
		for _, v := range vs {
			t.Add(k, v)
		}
	}
	for _, v := range nw.header["Trailer"] {
		for name := range strings.SplitSeq(v, ",") {
			name = textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name))
			if vs := nw.header[name]; name != "" && len(vs) > 0 {
				add(name, vs)
			}
		}
	}
	for k, vs := range nw.header {
		if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok && name != "" {
			add(name, vs)
		}
	}
	return t
}

// abort ends a response whose handler panicked: a 500 if nothing was sent,
// else the connection is closed (the client sees a truncated response).
func (nw *nhWriter) abort() {
	if nw.hijacked {
		return
	}
	nw.post(func(w *ResponseWriter) {
		nw.ended = true
		if !w.HeadSent() {
			w.Error(500, true)
			return
		}
		w.c.s.Close()
	}, 0)
}

// Hijack implements http.Hijacker: the rest of the connection, with what
// the client sent after this request, as a net.Conn whose I/O the loop
// does. As under net/http, what the handler wrote of the response goes out
// first: nothing if it never called WriteHeader or Write (the caller
// writes its own head), else the head (chunked for HTTP/1.1 without a
// Content-Length, as net/http's) and the body written so far.
func (nw *nhWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if nw.hijacked {
		return nil, nil, http.ErrHijacked
	}
	type result struct {
		nc  *netConn
		err error
	}
	ch := make(chan result, 1)
	w := nw.w
	wrote, status := nw.wrote, nw.status
	var chunk []byte
	var fields http.Header
	if wrote {
		chunk, nw.buf = nw.buf, nil
		fields = nw.fields
		nw.headOut = true
	}
	if err := nw.l.Post(func() {
		if nw.ended || w.finished || w.c.closed || w.c.state == stDetached {
			ch <- result{err: fmt.Errorf("httpserver: cannot hijack: %w", ErrConnClosed)}
			return
		}
		if wrote {
			if !w.HeadSent() {
				startHead(w, status, fields, chunk)
				// What the handler writes next is raw: no gzip, which
				// could not be ended.
				w.identity = true
			}
			w.Write(chunk)
			if err := w.Flush(nil); err != nil {
				ch <- result{err: err}
				return
			}
			if w.gz != nil {
				// Compressed since an earlier hand-off: end the gzip
				// stream, so that the body so far decodes.
				err := w.gz.close()
				w.gz = nil
				if err == nil {
					err = w.Flush(nil)
				}
				if err != nil {
					ch <- result{err: err}
					return
				}
			}
		}
		st, err := w.Detach()
		if err != nil {
			ch <- result{err: err}
			return
		}
		nw.ended = true
		ch <- result{nc: newNetConn(st)}
	}); err != nil {
		return nil, nil, err
	}
	res := <-ch
	if res.err != nil {
		return nil, nil, res.err
	}
	nw.hijacked = true
	return res.nc, bufio.NewReadWriter(bufio.NewReader(res.nc), bufio.NewWriter(res.nc)), nil
}

// remoteString is the peer's address as net/http's Request.RemoteAddr has
// it: host:port for an IP peer.
func remoteString(r *Request) string {
	if ap := r.RemoteAddrPort(); ap.IsValid() {
		// An IPv4-mapped peer of a dual-stack socket reads as IPv4, as
		// net/http's does.
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String()
	}
	if a := r.RemoteAddr(); a != nil {
		return a.String()
	}
	return ""
}
