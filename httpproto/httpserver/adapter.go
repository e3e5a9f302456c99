package httpserver

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

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
// connection, holding http.LocalAddrContextKey and, under
// http.ServerContextKey, a stand-in *http.Server (its ErrorLog is the
// server's Logger), which tells handlers such as httputil.ReverseProxy
// that a panic is recovered. As under net/http, the Host field is in
// Request.Host, not in Header, and URL.Host is empty for an origin-form
// target ("/p"). Its ResponseWriter supports http.Flusher (the body so
// far goes out, chunked), http.CloseNotifier, http.Hijacker (the
// connection becomes a net.Conn driven by the loop, as WebSocket
// libraries need, with a CloseWrite as a *net.TCPConn has) and
// http.NewResponseController's Flush, Hijack, SetWriteDeadline (writes
// past it fail and the connection closes), SetReadDeadline and
// EnableFullDuplex (nothing to do: the body is read whole first; after a
// Hijack both deadlines are the hijacked connection's, as under
// net/http). Calls net/http ignores and logs (a second WriteHeader, a
// Write after Hijack) are ignored and logged (Warn) with their caller. Writes
// pace themselves: a handler that writes faster than the client reads
// blocks once about 1 MiB waits in the connection. They behave as
// net/http's: a missing Content-Type is sniffed from the first bytes when
// the head goes out, a write past the declared Content-Length fails with
// http.ErrContentLength (one for a 204 or 304 with
// http.ErrBodyNotAllowed), and the body written for HEAD is discarded (a
// HEAD whose handler wrote none gets no Content-Length). Trailers, declared in the Trailer field or set with
// http.TrailerPrefix, go after the body, which is then chunked. Fields are
// cleaned as net/http cleans them (see applyHeader and startHead), the
// request body is closed when h returns, and a panic with
// http.ErrAbortHandler drops the connection without an answer (so does a
// handler that ends with runtime.Goexit, its response unfinished). The end of
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
	log    *slog.Logger // the server's, for net/http's misuse reports
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
	// continued: the server sent "100 Continue" before reading the body,
	// which it did before h ran, so a 100 from h (httputil.ReverseProxy
	// passes on its backend's) would be a second one: it is dropped, as
	// net/http's first 100 stops its own.
	continued bool
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
	// nc is the hijacked connection, whose deadlines the
	// ResponseController's set from then on, as net/http's do.
	nc *netConn
	// closeNotify, made by CloseNotify, gets true when the client goes
	// away (clientGone).
	closeNotify chan bool
	clientGone  bool
	// wtimer fires at the write deadline (SetWriteDeadline); guarded by
	// mu.
	wtimer *time.Timer
	// ended (loop side) is set once the response is finished, aborted or
	// hijacked: the loop's ResponseWriter then serves the connection's
	// next request, which what a handler writes late must not reach.
	ended bool
}

const (
	nhChunk    = 32 << 10 // body bytes gathered per hand-off to the loop
	nhInFlight = 1 << 20  // bytes a writer may be ahead of the kernel
)

func serveNetHTTP(h http.Handler, w *ResponseWriter, r *Request) {
	c := w.c
	// h reads the body on its goroutine, after this turn of the loop:
	// it must not be a view of the stream's buffer, which is pooled.
	c.ownBody()
	req, body, err := newNetHTTPRequest(r)
	if err != nil {
		w.Error(400, true)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	ctx = context.WithValue(ctx, http.LocalAddrContextKey, c.s.LocalAddr())
	ctx = context.WithValue(ctx, http.ServerContextKey, c.srv.netHTTPServer())
	req = req.WithContext(ctx)
	nw := &nhWriter{w: w, l: c.ls.l, log: c.srv.log, header: http.Header{}, status: 200,
		head: r.Method == httpproto.MethodHead, continued: r.Expect100 && r.ContentLength != 0}
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
		// (A failure recorded first, a write deadline's, stays what
		// the handler's writes report.)
		nw.fail(ErrConnClosed)
	}
	w.OnClose(onClose)
	go func() {
		returned := false
		defer cancel()
		defer func() {
			p := recover()
			// As under net/http, the body is closed once the handler
			// returns: a goroutine it left behind must not read the
			// connection's buffer, which the next request reuses.
			body.Close()
			nw.stopWriteTimer()
			if p != nil {
				if p != http.ErrAbortHandler {
					c.srv.log.Error("gale/httpserver: panic serving "+req.URL.Path, "panic", p, "stack", string(debug.Stack()))
				}
				nw.abort(p == http.ErrAbortHandler)
				return
			}
			if !returned {
				// h called runtime.Goexit (a test's t.FailNow, say):
				// as under net/http the response is not completed,
				// which could pass a cut one off as whole; the
				// connection closes.
				nw.abort(true)
				return
			}
			nw.finish()
		}()
		h.ServeHTTP(nw, req)
		returned = true
	}()
}

// netHTTPServer returns the *http.Server a NetHTTP handler finds under
// http.ServerContextKey: a stand-in, never started, whose ErrorLog is the
// server's Logger and whose other fields are zero. Handlers look for it
// to learn that a server recovers their panics: without it
// httputil.ReverseProxy ends a response whose upstream body broke off as
// if it were complete (well framed, the connection kept), where with it
// it panics with http.ErrAbortHandler and the client sees the cut.
func (s *Server) netHTTPServer() *http.Server {
	s.nhOnce.Do(func() {
		s.nhServer = &http.Server{ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelError)}
	})
	return s.nhServer
}

func newNetHTTPRequest(r *Request) (*http.Request, *nhBody, error) {
	target := string(r.Target)
	var u *url.URL
	var err error
	if r.Method == httpproto.MethodConnect && !strings.HasPrefix(target, "/") {
		// An authority ("host:port") goes in URL.Host, as net/http has it:
		// parsed alone, "www.example.com:443" would read as a scheme and
		// an opaque part, leaving URL.Host empty.
		if u, err = url.ParseRequestURI("http://" + target); err == nil {
			u.Scheme = ""
		} else {
			u, err = &url.URL{Host: target}, nil
		}
	} else if u, err = url.ParseRequestURI(target); err != nil {
		return nil, nil, err
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
	// response is finished; the handler reads it until it returns, when
	// it is closed (nhBody), so that the buffer is free for the next
	// request.
	nb := &nhBody{}
	var body io.ReadCloser = http.NoBody
	if len(r.Body) > 0 {
		nb.r.Reset(r.Body)
		body = nb
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
	if vs := hdr["Content-Length"]; !r.Chunked && (len(vs) > 1 || len(vs) == 1 && strings.Contains(vs[0], ",")) {
		// Repeats of one length, which the parser accepted, reach h as
		// net/http has them: one line, one value (h, or a proxy writing
		// the fields out again, must not see a list).
		hdr["Content-Length"] = []string{strconv.FormatInt(r.ContentLength, 10)}
	}
	if r.Chunked {
		// As net/http presents a chunked request: the Trailer field
		// moves to Request.Trailer's keys (their values are there
		// already: the body was read whole).
		req.TransferEncoding = []string{"chunked"}
		req.ContentLength = -1
		delete(hdr, "Transfer-Encoding")
		for _, v := range hdr["Trailer"] {
			for name := range strings.SplitSeq(v, ",") {
				if name = textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name)); name != "" {
					if req.Trailer == nil {
						req.Trailer = http.Header{}
					}
					req.Trailer[name] = nil
				}
			}
		}
		delete(hdr, "Trailer")
	}
	if r.Trailers.Len() > 0 {
		if req.Trailer == nil {
			req.Trailer = http.Header{}
		}
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
	return req, nb, nil
}

// nhBody is a request's body as the handler reads it: after Close, which
// also comes when the handler returns, reads fail with
// http.ErrBodyReadAfterClose, as under net/http.
type nhBody struct {
	mu     sync.Mutex
	r      bytes.Reader
	closed bool
}

func (b *nhBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	return b.r.Read(p)
}

func (b *nhBody) Close() error {
	b.mu.Lock()
	b.closed = true
	b.r.Reset(nil)
	b.mu.Unlock()
	return nil
}

// Header implements http.ResponseWriter.
func (nw *nhWriter) Header() http.Header { return nw.header }

// WriteHeader implements http.ResponseWriter. 1xx codes other than 101
// are sent at once as interim responses.
func (nw *nhWriter) WriteHeader(code int) {
	// As net/http, a call that is ignored is reported with its caller:
	// it is a handler's bug (often a Write before an error's WriteHeader).
	if nw.hijacked {
		nw.misuse("response.WriteHeader on hijacked connection")
		return
	}
	if nw.wrote {
		nw.misuse("superfluous response.WriteHeader call")
		return
	}
	if code >= 100 && code < 200 && code != 101 {
		if code == 100 && nw.continued {
			return
		}
		fields := nw.snapshotHeader()
		nw.post(func(w *ResponseWriter) {
			w.SetStatus(code, "")
			applyHeader(w, fields)
			// As net/http: no framing fields on an interim response
			// (the encoder refuses a Transfer-Encoding there, which
			// would cost the final response too).
			w.Header().Del("Content-Length")
			w.Header().Del("Transfer-Encoding")
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
			nw.log.Warn("gale/httpserver: invalid Content-Length", "value", cl)
			nw.header.Del("Content-Length")
		}
	}
	nw.fields = nw.header.Clone()
}

// Write implements http.ResponseWriter.
func (nw *nhWriter) Write(p []byte) (int, error) {
	if nw.hijacked {
		if len(p) > 0 {
			nw.misuse("response.Write on hijacked connection")
		}
		return 0, http.ErrHijacked
	}
	if !nw.wrote {
		nw.WriteHeader(200)
	}
	if len(p) == 0 {
		// As net/http: writing nothing succeeds, even for a status
		// without a body (a JSON helper's empty body for a 204).
		return 0, nil
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

// misuse logs a call the handler should not have made, naming the first
// caller outside net/http and the adapter, as net/http's log does.
func (nw *nhWriter) misuse(what string) {
	pc := make([]uintptr, 16)
	frames := runtime.CallersFrames(pc[:runtime.Callers(3, pc)])
	for {
		f, more := frames.Next()
		if !more || !strings.HasPrefix(f.Function, "net/http.") && !strings.HasPrefix(f.Function, nhWriterFuncs) {
			nw.log.Warn("gale/httpserver: "+what, "caller", f.Function, "file", filepath.Base(f.File), "line", f.Line)
			return
		}
	}
}

// nhWriterFuncs prefixes the names of nhWriter's methods.
const nhWriterFuncs = "github.com/gale-io/gale/httpproto/httpserver.(*nhWriter)."

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

// SetReadDeadline is what http.ResponseController.SetReadDeadline calls.
// The body was read whole before the handler ran, so no read is left to
// bound: it succeeds, as it does under net/http. After a Hijack it sets
// the hijacked connection's, as net/http's (the same connection) does.
func (nw *nhWriter) SetReadDeadline(t time.Time) error {
	if nw.hijacked {
		return nw.nc.SetReadDeadline(t)
	}
	return nil
}

// EnableFullDuplex is what http.ResponseController.EnableFullDuplex calls:
// the body was read whole before the handler ran, so the handler may
// always read it while it writes.
func (nw *nhWriter) EnableFullDuplex() error { return nil }

// SetWriteDeadline is what http.ResponseController.SetWriteDeadline calls.
// As under net/http, once t passes a response that is not finished fails:
// a write (one waiting on a slow client included) returns
// os.ErrDeadlineExceeded and the connection closes. The zero time
// removes the deadline. After a Hijack it sets the hijacked connection's,
// as under net/http.
func (nw *nhWriter) SetWriteDeadline(t time.Time) error {
	if nw.hijacked {
		return nw.nc.SetWriteDeadline(t)
	}
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if nw.wtimer != nil {
		nw.wtimer.Stop()
		nw.wtimer = nil
	}
	if !t.IsZero() && !nw.done {
		nw.wtimer = time.AfterFunc(time.Until(t), nw.writeDeadline)
	}
	return nil
}

func (nw *nhWriter) writeDeadline() {
	w := nw.w
	// The handler learns of the deadline on the loop, in the turn that
	// closes the connection: told from here, it could return and have its
	// response finished (kept alive) before the close ran.
	if nw.l.Post(func() {
		nw.fail(os.ErrDeadlineExceeded)
		if nw.ended || w.finished || w.c.closed || w.c.state == stDetached {
			return
		}
		nw.ended = true
		w.c.s.Close()
	}) != nil {
		nw.fail(os.ErrDeadlineExceeded)
	}
}

// stopWriteTimer ends the write deadline once the handler returned.
func (nw *nhWriter) stopWriteTimer() {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if nw.wtimer != nil {
		nw.wtimer.Stop()
		nw.wtimer = nil
	}
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
	if !bodyAllowed(status) {
		// As net/http's suppressedHeaders: no framing fields on a
		// response without a body, nor a type on a 304 (a middleware's
		// Content-Length for the body it then turned into a 304 would
		// describe a body that is not there).
		w.Header().Del("Content-Length")
		w.Header().Del("Transfer-Encoding")
		if status == 304 {
			w.Header().Del("Content-Type")
		}
	} else if te := fields.Get("Transfer-Encoding"); te != "" {
		// As net/http frames a body whose handler set the
		// Transfer-Encoding: a Content-Length beats identity and loses
		// to any other coding, and an HTTP/1.0 client gets no chunking.
		// The server then chunks or sizes the body itself (net/http
		// would end an identity body with the connection).
		h := w.Header()
		h.Del("Transfer-Encoding")
		if te != "identity" {
			h.Del("Content-Length")
		}
		if te == "chunked" && w.c.req.Version != httpproto.HTTP10 {
			h.Add("Transfer-Encoding", "chunked") // once
		}
	}
	// As net/http: a Date set to nil is not sent.
	if vs, ok := fields["Date"]; ok && vs == nil {
		w.noDate = true
	}
	_, haveType := fields["Content-Type"]
	if !haveType && bodyAllowed(status) && len(body) > 0 &&
		fields.Get("Content-Encoding") == "" && fields.Get("Transfer-Encoding") == "" {
		w.Header().Set("Content-Type", http.DetectContentType(body))
	}
}

// bodyAllowed reports whether a response with status may have a body.
func bodyAllowed(status int) bool { return status >= 200 && status != 204 && status != 304 }

// applyHeader sets the handler's fields on w, less the trailers named
// with http.TrailerPrefix (they go after the body: see finalTrailers). As
// net/http does, it drops a field whose name is not a token and sends a
// value with CR or LF (or another control byte) in it with spaces there,
// trimmed: one bad field, often a value copied from a request, must not
// cost the whole response.
func applyHeader(w *ResponseWriter, fields http.Header) {
	h := w.Header()
	for k, vs := range fields {
		if strings.HasPrefix(k, http.TrailerPrefix) || !validFieldName(k) {
			continue
		}
		for _, v := range vs {
			h.Add(k, fieldValue(v))
		}
	}
}

func validFieldName(k string) bool { return httpproto.ValidFieldName([]byte(k)) }

// fieldValue is v as it may be sent: control bytes (CR, LF, NUL, DEL...)
// become spaces, as net/http's headerNewlineToSpace does for CR and LF,
// and spaces and tabs at either end are trimmed.
func fieldValue(v string) string {
	clean := true
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			clean = false
			break
		}
	}
	if !clean {
		b := []byte(v)
		for i, c := range b {
			if c < ' ' && c != '\t' || c == 0x7f {
				b[i] = ' '
			}
		}
		v = string(b)
	}
	return strings.Trim(v, " \t")
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
// the keys declared in the Trailer field as it was at WriteHeader (less
// those RFC 9110 section 6.5.1 keeps out of trailers: see validTrailer)
// with the values they have now, and those set with http.TrailerPrefix
// ("Trailer:Name"). A response with trailers is chunked (an HTTP/1.0
// client, which cannot get them, gets none).
func (nw *nhWriter) finalTrailers() *httpproto.Headers {
	var t *httpproto.Headers
	add := func(k string, vs []string) {
		if t == nil {
			t = new(httpproto.Headers)
		}
		for _, v := range vs {
			t.Add(k, fieldValue(v))
		}
	}
	for _, v := range nw.fields["Trailer"] {
		for name := range strings.SplitSeq(v, ",") {
			name = textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name))
			if vs := nw.header[name]; validFieldName(name) && validTrailer(name) && len(vs) > 0 {
				add(name, vs)
			}
		}
	}
	for k, vs := range nw.header {
		if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok && validFieldName(name) {
			add(name, vs)
		}
	}
	return t
}

// validTrailer reports whether a declared trailer (canonical name) may be
// sent, as net/http's httpguts.ValidTrailerHeader: not a field of framing,
// routing, request modifiers, authentication or content handling, which
// RFC 9110 section 6.5.1 keeps out of trailers.
func validTrailer(name string) bool {
	if strings.HasPrefix(name, "If-") {
		return false
	}
	switch name {
	case "Authorization", "Cache-Control", "Connection", "Content-Encoding", "Content-Length",
		"Content-Range", "Content-Type", "Expect", "Host", "Keep-Alive", "Max-Forwards", "Pragma",
		"Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "Range", "Realm", "Te",
		"Trailer", "Transfer-Encoding", "Www-Authenticate":
		return false
	}
	return true
}

// abort ends a response whose handler panicked: a 500 if nothing was sent,
// else the connection is closed (the client sees a truncated response).
// silent (a panic with http.ErrAbortHandler, the handler's way to drop
// the response) closes it in any case, as net/http does.
func (nw *nhWriter) abort(silent bool) {
	if nw.hijacked {
		return
	}
	nw.post(func(w *ResponseWriter) {
		nw.ended = true
		if !silent && !w.HeadSent() {
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
	var res result
	select {
	case res = <-ch:
	case <-nw.l.Done():
		// The loop closed (the server did) with the callback queued:
		// it is dropped, unless it ran just before.
		select {
		case res = <-ch:
		default:
			res.err = fmt.Errorf("httpserver: cannot hijack: %w", ErrConnClosed)
		}
	}
	if res.err != nil {
		return nil, nil, res.err
	}
	nw.hijacked = true
	nw.nc = res.nc
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
