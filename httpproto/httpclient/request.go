package httpclient

import (
	"crypto/tls"
	"time"

	"github.com/gale-io/gale/httpproto"
)

// Switch overrides, for one request, a default the Client's Options set.
type Switch uint8

// The values of a Switch.
const (
	Default Switch = iota // the Client's setting
	On                    // on for this request
	Off                   // off for this request
)

// Request is one HTTP request to fetch (Tornado's HTTPRequest). A Client
// reads it when it sends it and does not modify it, but keeps it (and
// Response.Request points to it): do not change it while it is in flight.
type Request struct {
	// Method is the request method; "" means GET.
	Method string
	// URL is the absolute http or https URL. Userinfo in it is sent as
	// basic credentials (unless Username is set).
	URL string
	// Header holds the request's header fields; nil for none. They are
	// sent with canonical names (as Headers.Add stores them). The client
	// adds Host, User-Agent, Accept-Encoding: gzip (when decompressing,
	// unless Header has a Range, as net/http), Authorization (basic, from Username/Password or the URL), Expect,
	// Content-Length or Transfer-Encoding, and Content-Type for a POST
	// without one (application/x-www-form-urlencoded, as Tornado), each
	// only when Header does not set it.
	Header *httpproto.Headers
	// Body is the request body; nil for none, while a non-nil empty
	// slice is an empty body (Tornado's body=None and body=b""). A Body
	// can be sent again, so a request with one is retried and redirected
	// with 307/308.
	Body []byte
	// BodyProducer, if set, writes the body instead of Body (Tornado's
	// body_producer). With BodyLength > 0 the body is sent with that
	// Content-Length, otherwise chunked. A produced body cannot be
	// replayed: once its producer was called, such a request is neither
	// retried nor redirected with its body (the 307/308 response is
	// returned). Until then (as while ExpectContinue holds the body), a
	// retry or a redirect calls the producer on the next connection.
	BodyProducer BodyProducer
	// BodyLength is the length of a produced body, if known (> 0).
	BodyLength int64
	// Username and Password, when Username is set, are sent as basic
	// credentials (Tornado's auth_username/auth_password; basic is the
	// only auth_mode).
	Username, Password string
	// AllowNonstandardMethods turns off Tornado's checks of method and
	// body (its allow_nonstandard_methods): without it, the method must be
	// GET, HEAD, POST, PUT, DELETE, PATCH or OPTIONS, POST, PUT and PATCH
	// must have a body (Body non-nil, or BodyProducer) and the others must
	// not, or Fetch fails with an *Error (Op "request") matching
	// ErrNonstandard.
	AllowNonstandardMethods bool
	// ExpectContinue sends "Expect: 100-continue" and holds the body back
	// until the server answers 100 (or Options.ContinueTimeout passes). If
	// the server answers with a final status instead, the body is not sent
	// and the connection is closed after the response.
	ExpectContinue bool
	// ConnectTimeout and RequestTimeout override the Client's for this
	// request (0 keeps them; negative means no limit).
	ConnectTimeout, RequestTimeout time.Duration
	// FollowRedirects overrides Options.NoFollowRedirects.
	FollowRedirects Switch
	// MaxRedirects overrides Options.MaxRedirects (0 keeps it; negative
	// follows none, as FollowRedirects Off: the redirect is the response,
	// without RedirectLimit).
	MaxRedirects int
	// Decompress overrides Options.NoDecompress. A 206 (Partial Content)
	// body is never decompressed: it is a range of the encoded content.
	Decompress Switch
	// TLS overrides Options.TLS for this request (e.g. a config with
	// InsecureSkipVerify, Tornado's validate_cert=False, or with RootCAs,
	// its ca_certs). Connections are pooled per *tls.Config: reuse one
	// pointer for many requests.
	TLS *tls.Config
	// UnixSocket, if set, is the path of a Unix-domain socket every hop of
	// this request connects to instead of the URL's host (as curl's
	// --unix-socket); the URL still gives the Host header and the scheme
	// (https runs TLS over the socket, verified for the URL's host).
	// Proxies do not apply. Not available on Windows.
	UnixSocket string
	// OnHeader, if set, is called once with the final response's status
	// and head (Response.Header), before its body (Tornado's
	// header_callback, which sees only the final response of a redirect
	// chain). The Response is incomplete: Body is not yet read.
	OnHeader func(*Response)
	// OnChunk, if set, receives the body piece by piece instead of
	// Response.Body (Tornado's streaming_callback). The slice aliases the
	// connection's buffer and is valid only during the call: copy what
	// must outlive it. A gzip body the client decompresses is decoded as
	// it arrives, on a goroutine of the request's own, and delivered in
	// pieces of up to 64 KiB.
	OnChunk func([]byte)
}

// BodyProducer writes a request body through w (Tornado's body_producer):
// it calls w.Write for each piece and w.End once at the end (or with an
// error, which fails the request). For backpressure, it should wait for a
// Write's callback before writing more. It runs on the client's loop, as
// do the callbacks.
type BodyProducer func(w *BodyWriter)

// BodyWriter sends a produced request body. Its methods run on the
// client's loop goroutine.
type BodyWriter struct {
	f     *fetch
	hop   int
	ended bool
}

// Write sends p (copied or handed to the kernel before Write returns, so
// p may be reused) framed as the request requires, and calls cb, if not
// nil, when p has reached the kernel, or with an error if the request
// failed first. Writes after End, or after the request ended, fail.
func (w *BodyWriter) Write(p []byte, cb func(err error)) {
	if cb == nil {
		cb = func(error) {}
	}
	if w.ended || !w.f.live(w.hop) || w.f.pc == nil {
		// pc is gone once the response is complete, although a streamed
		// gzip body may still be decoding: the body is no longer wanted.
		w.f.c.l.Post(func() { cb(ErrBodyClosed) })
		return
	}
	w.f.bodyWrite(p, cb)
}

// End ends the body: nil sends its end (the last chunk of a chunked body);
// an error aborts the request with it.
func (w *BodyWriter) End(err error) {
	if w.ended || !w.f.live(w.hop) || w.f.pc == nil {
		return
	}
	w.ended = true
	w.f.bodyEnd(err)
}

// Response is the result of a request (Tornado's HTTPResponse). Its fields
// are the Client's no longer once the callback has it.
type Response struct {
	// Request is the request passed to Fetch (not the redirected one).
	Request *Request
	// Status and Reason are from the status line; an empty reason is
	// the status's standard text ("Unknown" if it has none), as Tornado.
	Status int
	Reason string
	// Proto is the response's HTTP version.
	Proto httpproto.Version
	// Header is an owned copy of the response's header fields. When the
	// client decompressed the body, Content-Encoding is renamed
	// X-Consumed-Content-Encoding (as Tornado).
	Header httpproto.Headers
	// Trailer holds the trailer fields of a chunked body.
	Trailer httpproto.Headers
	// Body is the (decompressed) body; empty when OnChunk streamed it.
	Body []byte
	// EffectiveURL is the URL of the final request, after redirects.
	EffectiveURL string
	// Redirects is how many redirects were followed.
	Redirects int
	// RedirectLimit is set when the response is a redirect that was not
	// followed because MaxRedirects were followed already.
	RedirectLimit bool
	// Reused reports that the final request went over a pooled
	// connection.
	Reused bool
	// Start is when the request was fetched (wall clock); RequestTime is
	// how long the final hop took, from leaving the queue to the end of
	// its response (Tornado's request_time), and ConnectTime how long its
	// connecting took (zero on a reused connection).
	Start       time.Time
	RequestTime time.Duration
	ConnectTime time.Duration
}

// Err returns an *HTTPError for a status outside 200-299, nil otherwise:
// the error Tornado's fetch raises by default (raise_error=True). A
// redirect left unfollowed at the limit gives one matching
// ErrTooManyRedirects.
func (r *Response) Err() error {
	if r.Status >= 200 && r.Status < 300 {
		return nil
	}
	return &HTTPError{Code: r.Status, Response: r}
}
