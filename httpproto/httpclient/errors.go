package httpclient

import (
	"errors"
	"strconv"

	"github.com/gale-io/gale/httpproto"
)

var (
	// ErrTimeout matches every *TimeoutError with errors.Is.
	ErrTimeout = errors.New("httpclient: timeout")
	// ErrClosed is the cause for requests queued or in flight when the
	// Client is closed, and for Fetch on a closed Client.
	ErrClosed = errors.New("httpclient: client closed")
	// ErrTooManyRedirects is matched by the *HTTPError of a redirect that
	// was not followed because the limit was reached (Tornado returns that
	// response, and raises HTTPError for its 3xx status).
	ErrTooManyRedirects = errors.New("httpclient: too many redirects")
	// ErrBodyClosed is given to BodyWriter calls made after the body ended
	// or its request ended.
	ErrBodyClosed = errors.New("httpclient: request body closed")
	// ErrUnsupported is the cause for a request the client cannot send: a
	// scheme other than http and https, or a proxy scheme other than http.
	ErrUnsupported = errors.New("httpclient: unsupported request")
	// ErrNonstandard is the cause for a request Tornado's simple client
	// refuses unless allow_nonstandard_methods is set (see
	// Request.AllowNonstandardMethods): a method other than GET, HEAD,
	// POST, PUT, DELETE, PATCH and OPTIONS, a POST, PUT or PATCH without a
	// body, or another method with one.
	ErrNonstandard = errors.New("httpclient: nonstandard request")
)

// Phase says which timeout expired.
type Phase uint8

// The phases of a request, with Tornado's messages.
const (
	// PhaseQueue: waiting for a free slot ("Timeout in request queue").
	PhaseQueue Phase = iota + 1
	// PhaseConnect: connecting, through a proxy and TLS ("Timeout while
	// connecting").
	PhaseConnect
	// PhaseRequest: sending the request or receiving the response
	// ("Timeout during request").
	PhaseRequest
)

// String returns Tornado's message for the phase.
func (p Phase) String() string {
	switch p {
	case PhaseQueue:
		return "Timeout in request queue"
	case PhaseConnect:
		return "Timeout while connecting"
	case PhaseRequest:
		return "Timeout during request"
	}
	return "Timeout"
}

// TimeoutError is a request that ran out of time (Tornado's
// HTTPTimeoutError, code 599). errors.Is(err, ErrTimeout) matches it.
type TimeoutError struct {
	Phase Phase
}

func (e *TimeoutError) Error() string { return "httpclient: " + e.Phase.String() }

// Is makes errors.Is(err, ErrTimeout) true.
func (e *TimeoutError) Is(target error) bool { return target == ErrTimeout }

// Timeout reports true, as net.Error's Timeout does.
func (e *TimeoutError) Timeout() bool { return true }

// Error is the error of a request that got no (complete) response:
// Tornado's 599. Err is the cause: a *TimeoutError, a *tcpclient.Error
// (connect or TLS), a *ProxyError, an *httpproto.Error for a malformed or
// oversized response (errors.Is(err, httpproto.ErrBodyTooLarge) also for
// a decompressed body over the limit, httpproto.ErrIncomplete when the
// connection closed mid-response), a *httpproto.URLError, a stream error,
// ErrClosed or ErrUnsupported.
type Error struct {
	// Op is what failed: "request" (bad arguments), "queue", "connect",
	// "proxy", "write", "read", "decode" or "redirect".
	Op string
	// URL is the URL of the hop that failed, without userinfo.
	URL string
	Err error
}

func (e *Error) Error() string {
	s := "httpclient: " + e.Op
	if e.URL != "" {
		s += " " + e.URL
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Timeout reports whether the cause is a timeout.
func (e *Error) Timeout() bool {
	var t interface{ Timeout() bool }
	return errors.As(e.Err, &t) && t.Timeout()
}

// HTTPError is a response with a status outside 200-299, as
// Response.Err returns it (Tornado's HTTPClientError). Its message is
// Tornado's, "HTTP 404: Not Found", with the response's reason.
type HTTPError struct {
	Code     int
	Response *Response
}

func (e *HTTPError) Error() string {
	reason := httpproto.StatusText(e.Code)
	if e.Response != nil && e.Response.Reason != "" {
		reason = e.Response.Reason // Tornado's message=response.reason
	}
	return "HTTP " + strconv.Itoa(e.Code) + ": " + reason
}

// Unwrap gives ErrTooManyRedirects for a redirect left at the limit.
func (e *HTTPError) Unwrap() error {
	if e.Response != nil && e.Response.RedirectLimit {
		return ErrTooManyRedirects
	}
	return nil
}

// ProxyError is a proxy's refusal of a CONNECT tunnel: its status.
type ProxyError struct {
	Status int
	Reason string
}

func (e *ProxyError) Error() string {
	return "httpclient: proxy refused CONNECT: " + strconv.Itoa(e.Status) + " " + e.Reason
}
