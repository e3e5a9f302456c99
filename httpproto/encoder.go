package httpproto

import "strconv"

// Encoder frames one outgoing message at a time: it writes the head with
// the framing and connection fields the message needs, then checks and
// frames every body write, then ends the message. It is the sending
// counterpart of Parser, used by the server for responses and by the
// client for requests. The zero value is ready; an Encoder is reused for
// every message of a connection. It is not safe for concurrent use.
//
// Response framing (RFC 9112 section 6, Tornado's HTTP1Connection):
//   - 1xx, 204 and 304 responses, and responses to HEAD, have no body;
//     writing one is an error. A Content-Length field on a 1xx or 204
//     response is left out of the head (RFC 9110 section 8.6).
//   - A Content-Length set by the caller is honoured: writing more, or
//     ending with fewer bytes, is an error (CodeInvalidOutput) after which
//     the connection must be closed, as the peer can no longer frame it.
//   - Otherwise a response to an HTTP/1.1 request is chunked, and a
//     response to HTTP/1.0 is delimited by closing the connection (except
//     a response to HEAD, which has no body to delimit).
//   - A response after which the connection closes gets "Connection:
//     close" (for an HTTP/1.0 client too, where it is implied), in place
//     of any Connection field of the caller's (a "keep-alive" it set);
//     a kept-alive HTTP/1.0 connection gets "Connection: keep-alive".
type Encoder struct {
	mode      bodyMode
	state     encState
	remaining int64
	keepAlive bool
	head      bool // answering HEAD: no body bytes, whatever the fields say
}

type bodyMode uint8

const (
	bodyNone    bodyMode = iota // no body may be written
	bodyLength                  // Content-Length: exactly remaining more bytes
	bodyChunked                 // chunked transfer coding
	bodyClose                   // delimited by closing the connection
)

// encState is the Encoder's state: idle → body (head written) → idle
// (message ended). encFailed is terminal until Reset.
type encState uint8

const (
	encIdle encState = iota
	encBody
	encFailed
)

// RequestInfo is what the response framing depends on in the request being
// answered (see Parser's Request: Method == MethodHead, Version ==
// HTTP10, KeepAlive).
type RequestInfo struct {
	Head      bool // the request's method was HEAD
	HTTP10    bool // the request was HTTP/1.0
	KeepAlive bool // the request allows the connection to persist
}

// KeepAlive reports whether the connection may carry another message after
// the current one, as decided when its head was written.
func (e *Encoder) KeepAlive() bool { return e.keepAlive }

// InBody reports whether a head was written and the message not yet ended.
func (e *Encoder) InBody() bool { return e.state == encBody }

// Chunked reports whether the current message's body is chunked.
func (e *Encoder) Chunked() bool { return e.mode == bodyChunked }

// Reset forgets any message in progress, including a failed one.
func (e *Encoder) Reset() { *e = Encoder{} }

// Continue100 is the interim response a server sends to a request with
// "Expect: 100-continue" before it reads the body.
const Continue100 = "HTTP/1.1 100 Continue\r\n\r\n"

// AppendResponseHead appends the head of a response to req: status line,
// the fields of h (nil for none), and the framing and connection fields
// described on Encoder. A 1xx status other than 101 is an interim response:
// it carries no body and leaves the Encoder ready for the final one. It
// returns an *Error with CodeInvalidOutput, and dst unchanged, when a field
// is invalid, the status is out of range, a Content-Length is not a number,
// a Transfer-Encoding other than chunked is set, or a message is already in
// progress.
func (e *Encoder) AppendResponseHead(dst []byte, req RequestInfo, status int, reason string, h *Headers) ([]byte, error) {
	if e.state != encIdle {
		return dst, newError(CodeInvalidOutput, "response head written twice")
	}
	if status < 100 || status > 999 {
		return dst, newError(CodeInvalidOutput, "status "+strconv.Itoa(status)+" is not three digits")
	}
	if !validReason(reason) {
		return dst, newError(CodeInvalidOutput, "invalid reason phrase")
	}
	var hdr Headers
	if h == nil {
		h = &hdr
	}
	if err := h.Validate(); err != nil {
		return dst, err
	}
	interim := status < 200 && status != 101
	noBody := status < 200 || status == 204 || status == 304
	mode, length, err := outgoingFraming(h, noBody)
	if err != nil {
		return dst, err
	}
	keep := req.KeepAlive && !h.HasToken("Connection", "close")
	if mode == bodyNone && !noBody {
		// No length and no chunking asked for: chunk for HTTP/1.1,
		// close-delimit for HTTP/1.0. A response to HEAD has no body to
		// delimit: for HTTP/1.0 it needs no close (for HTTP/1.1 it gets
		// the Transfer-Encoding the GET would have).
		switch {
		case !req.HTTP10:
			mode = bodyChunked
		case !req.Head:
			mode = bodyClose
		}
	}
	if mode == bodyChunked && req.HTTP10 {
		return dst, newError(CodeInvalidOutput, "chunked response to an HTTP/1.0 request")
	}
	if mode == bodyClose {
		keep = false
	}
	if status == 101 {
		keep = false // the connection belongs to the new protocol
	}

	dst = AppendStatusLine(dst, status, reason)
	// A response after which the connection closes says so alone: a
	// caller's Connection field (a "keep-alive" it set) is replaced, as
	// net/http and Tornado replace it, not sent beside "close".
	closing := !keep && !interim && status != 101
	if status < 200 || status == 204 || closing {
		// RFC 9110 section 8.6: no Content-Length on a 1xx or 204
		// response; a caller's is left out (as net/http does), not sent
		// for the peer to reject.
		dropCL := status < 200 || status == 204
		for _, f := range h.fields {
			if !(dropCL && equalFold(f.Name, "Content-Length")) && !(closing && equalFold(f.Name, "Connection")) {
				dst = appendField(dst, f)
			}
		}
	} else {
		dst = h.AppendTo(dst)
	}
	if !interim && status != 101 {
		if mode == bodyChunked && !h.Has("Transfer-Encoding") {
			dst = append(dst, "Transfer-Encoding: chunked\r\n"...)
		}
		if closing {
			dst = append(dst, "Connection: close\r\n"...)
		}
		if keep && req.HTTP10 && !h.HasToken("Connection", "keep-alive") {
			dst = append(dst, "Connection: keep-alive\r\n"...)
		}
	}
	dst = append(dst, '\r', '\n')
	if interim {
		return dst, nil
	}
	e.keepAlive = keep
	e.head = req.Head
	if req.Head || noBody {
		e.mode, e.remaining = bodyNone, 0
	} else {
		e.mode, e.remaining = mode, length
	}
	e.state = encBody
	return dst, nil
}

// AppendRequestHead appends the head of a request: request line, the
// fields of h (nil for none) and the framing field. bodySize is the body's
// length if known (Content-Length is added unless h has one; a zero-length
// body of GET, HEAD, DELETE, OPTIONS or TRACE gets none), or -1 for a body
// of unknown length, sent chunked. keepAlive false adds Connection: close.
func (e *Encoder) AppendRequestHead(dst []byte, method, target string, h *Headers, bodySize int64, keepAlive bool) ([]byte, error) {
	if e.state != encIdle {
		return dst, newError(CodeInvalidOutput, "request head written twice")
	}
	if !validTokenString(method) {
		return dst, newError(CodeInvalidOutput, "invalid method "+strconv.Quote(method))
	}
	if !validTargetString(target) {
		return dst, newError(CodeInvalidOutput, "invalid request target "+strconv.Quote(target))
	}
	var hdr Headers
	if h == nil {
		h = &hdr
	}
	if err := h.Validate(); err != nil {
		return dst, err
	}
	mode, length, err := outgoingFraming(h, false)
	if err != nil {
		return dst, err
	}
	dst = append(dst, method...)
	dst = append(dst, ' ')
	dst = append(dst, target...)
	dst = append(dst, " HTTP/1.1\r\n"...)
	dst = h.AppendTo(dst)
	if mode == bodyNone {
		switch {
		case bodySize < 0:
			mode = bodyChunked
			dst = append(dst, "Transfer-Encoding: chunked\r\n"...)
		case bodySize > 0 || !bodylessMethod(method):
			mode, length = bodyLength, bodySize
			dst = append(dst, "Content-Length: "...)
			dst = strconv.AppendInt(dst, bodySize, 10)
			dst = append(dst, '\r', '\n')
		}
	}
	keep := keepAlive && !h.HasToken("Connection", "close")
	if !keep && !h.HasToken("Connection", "close") {
		dst = append(dst, "Connection: close\r\n"...)
	}
	dst = append(dst, '\r', '\n')
	e.keepAlive = keep
	e.head = false
	e.mode, e.remaining = mode, length
	e.state = encBody
	return dst, nil
}

func bodylessMethod(m string) bool {
	switch m {
	case "GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "CONNECT":
		return true
	}
	return false
}

// outgoingFraming reads the framing the caller set in h: a Content-Length
// (digits only), or Transfer-Encoding: chunked (nothing else), or neither.
func outgoingFraming(h *Headers, noBody bool) (bodyMode, int64, error) {
	te := h.Get("Transfer-Encoding")
	cl := h.Get("Content-Length")
	if te != nil {
		if cl != nil {
			return 0, 0, newError(CodeInvalidOutput, "both Content-Length and Transfer-Encoding set")
		}
		if noBody {
			return 0, 0, newError(CodeInvalidOutput, "Transfer-Encoding on a response without a body")
		}
		if h.Count("Transfer-Encoding") != 1 || !equalFold(trimOWS(te), "chunked") {
			return 0, 0, newError(CodeInvalidOutput, "Transfer-Encoding other than chunked")
		}
		return bodyChunked, 0, nil
	}
	if cl != nil {
		n, ok := parseDecimal(cl)
		if !ok || h.Count("Content-Length") != 1 {
			return 0, 0, newError(CodeInvalidOutput, "invalid Content-Length "+quoteBytes(cl))
		}
		return bodyLength, n, nil
	}
	return bodyNone, 0, nil
}

// AppendBody appends p framed for the current message: as is for a sized
// or close-delimited body, as one chunk for a chunked one (an empty p
// appends nothing). Writing past the declared Content-Length, a body on a
// message that has none, or writing with no head written is an *Error with
// CodeInvalidOutput, after which the Encoder refuses everything until
// Reset (the connection must be closed).
func (e *Encoder) AppendBody(dst, p []byte) ([]byte, error) {
	if e.state != encBody {
		return dst, e.misuse("body written outside a message")
	}
	if len(p) == 0 {
		return dst, nil
	}
	switch e.mode {
	case bodyNone:
		if e.head {
			return dst, e.misuse("body written in a response to HEAD")
		}
		return dst, e.misuse("body written in a message that has none")
	case bodyLength:
		if int64(len(p)) > e.remaining {
			return dst, e.misuse("body longer than its Content-Length")
		}
		e.remaining -= int64(len(p))
		return append(dst, p...), nil
	case bodyChunked:
		return AppendChunk(dst, p), nil
	default:
		return append(dst, p...), nil
	}
}

// AppendEnd ends the current message: the last chunk and trailers (nil for
// none; trailers are only sent on a chunked body) for a chunked body,
// nothing otherwise. Ending a sized body short of its Content-Length is an
// *Error with CodeInvalidOutput. After it the Encoder is ready for the
// next message if KeepAlive reports true.
func (e *Encoder) AppendEnd(dst []byte, trailers *Headers) ([]byte, error) {
	if e.state != encBody {
		return dst, e.misuse("message ended outside a message")
	}
	switch e.mode {
	case bodyLength:
		if e.remaining != 0 {
			return dst, e.misuse("body shorter than its Content-Length")
		}
	case bodyChunked:
		var err error
		dst, err = AppendLastChunk(dst, trailers)
		if err != nil {
			// The body is left unterminated: as after any misuse, the
			// connection cannot carry another message.
			e.state, e.keepAlive = encFailed, false
			return dst, err
		}
	}
	e.state = encIdle
	return dst, nil
}

// Remaining returns how many body bytes a sized message still needs, or -1
// when the body is not sized.
func (e *Encoder) Remaining() int64 {
	if e.mode != bodyLength {
		return -1
	}
	return e.remaining
}

func (e *Encoder) misuse(detail string) error {
	e.state = encFailed
	e.keepAlive = false
	return newError(CodeInvalidOutput, detail)
}
