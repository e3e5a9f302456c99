package httpproto

import "strconv"

// Serialisation. Every function appends to the caller's buffer and returns
// it, so a server can build a whole response, head and body, in one
// reused buffer and hand it to the stream in one write.

// AppendStatusLine appends "HTTP/1.1 <status> <reason>\r\n". The version
// is always HTTP/1.1, whatever the request's (RFC 9110 section 2.5, and
// Tornado). An empty reason, or one holding a byte a reason-phrase may
// not (a CR or LF that would split the response, another control byte),
// is replaced by StatusText(status).
func AppendStatusLine(dst []byte, status int, reason string) []byte {
	if status >= 100 && status <= 999 {
		dst = append(dst, "HTTP/1.1 "...)
		dst = append(dst, byte('0'+status/100), byte('0'+status/10%10), byte('0'+status%10), ' ')
	} else {
		dst = append(dst, "HTTP/1.1 500 "...)
		status = 500
	}
	if reason == "" || !validReason(reason) {
		reason = StatusText(status)
	}
	dst = append(dst, reason...)
	return append(dst, '\r', '\n')
}

// AppendResponseHead appends a status line, the fields of h, and the empty
// line that ends the head. It validates status, reason and fields first and
// returns an *Error with CodeInvalidOutput (and dst unchanged) if anything
// could split or corrupt the message. h may be nil. It adds nothing: framing
// and connection fields are the caller's (see Encoder, which adds them).
func AppendResponseHead(dst []byte, status int, reason string, h *Headers) ([]byte, error) {
	if status < 100 || status > 999 {
		return dst, newError(CodeInvalidOutput, "status "+strconv.Itoa(status)+" is not three digits")
	}
	if !validReason(reason) {
		return dst, newError(CodeInvalidOutput, "invalid reason phrase")
	}
	if h != nil {
		if err := h.Validate(); err != nil {
			return dst, err
		}
	}
	dst = AppendStatusLine(dst, status, reason)
	if h != nil {
		dst = h.AppendTo(dst)
	}
	return append(dst, '\r', '\n'), nil
}

// AppendRequestHead appends "<method> <target> HTTP/1.1\r\n", the fields of
// h and the empty line. method must be a token and target a non-empty run
// of visible bytes; otherwise it returns an *Error with CodeInvalidOutput
// and dst unchanged.
func AppendRequestHead(dst []byte, method, target string, h *Headers) ([]byte, error) {
	if !validTokenString(method) {
		return dst, newError(CodeInvalidOutput, "invalid method "+strconv.Quote(method))
	}
	if !validTargetString(target) {
		return dst, newError(CodeInvalidOutput, "invalid request target "+strconv.Quote(target))
	}
	if h != nil {
		if err := h.Validate(); err != nil {
			return dst, err
		}
	}
	dst = append(dst, method...)
	dst = append(dst, ' ')
	dst = append(dst, target...)
	dst = append(dst, " HTTP/1.1\r\n"...)
	if h != nil {
		dst = h.AppendTo(dst)
	}
	return append(dst, '\r', '\n'), nil
}

func validReason(r string) bool {
	for i := 0; i < len(r); i++ {
		if !fieldVchar[r[i]] {
			return false
		}
	}
	return true
}

func validTargetString(t string) bool {
	if t == "" {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// AppendChunkHeader appends the size line of a chunk of n > 0 bytes:
// lower-case hex and CRLF.
func AppendChunkHeader(dst []byte, n int) []byte {
	dst = strconv.AppendInt(dst, int64(n), 16)
	return append(dst, '\r', '\n')
}

// AppendChunk appends p as one chunk (size line, data, CRLF). An empty p
// appends nothing: a zero-size chunk would end the body.
func AppendChunk(dst, p []byte) []byte {
	if len(p) == 0 {
		return dst
	}
	dst = AppendChunkHeader(dst, len(p))
	dst = append(dst, p...)
	return append(dst, '\r', '\n')
}

// AppendLastChunk appends the last chunk, the trailer fields (trailers may
// be nil) and the final CRLF. Invalid trailers give an *Error with
// CodeInvalidOutput and dst unchanged.
func AppendLastChunk(dst []byte, trailers *Headers) ([]byte, error) {
	if trailers != nil && trailers.Len() > 0 {
		if err := trailers.Validate(); err != nil {
			return dst, err
		}
		dst = append(dst, '0', '\r', '\n')
		dst = trailers.AppendTo(dst)
		return append(dst, '\r', '\n'), nil
	}
	return append(dst, "0\r\n\r\n"...), nil
}

// StatusText returns the reason phrase of an HTTP status code (RFC 9110
// section 15), or "Unknown" for a code it does not know.
func StatusText(code int) string {
	if code >= 100 && code < 600 {
		if t := statusText[code-100]; t != "" {
			return t
		}
	}
	return "Unknown"
}

var statusText = func() (t [500]string) {
	for code, text := range map[int]string{
		100: "Continue", 101: "Switching Protocols", 102: "Processing", 103: "Early Hints",
		200: "OK", 201: "Created", 202: "Accepted", 203: "Non-Authoritative Information",
		204: "No Content", 205: "Reset Content", 206: "Partial Content", 207: "Multi-Status",
		208: "Already Reported", 226: "IM Used",
		300: "Multiple Choices", 301: "Moved Permanently", 302: "Found", 303: "See Other",
		304: "Not Modified", 305: "Use Proxy", 307: "Temporary Redirect", 308: "Permanent Redirect",
		400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
		404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
		407: "Proxy Authentication Required", 408: "Request Timeout", 409: "Conflict",
		410: "Gone", 411: "Length Required", 412: "Precondition Failed", 413: "Content Too Large",
		414: "URI Too Long", 415: "Unsupported Media Type", 416: "Range Not Satisfiable",
		417: "Expectation Failed", 418: "I'm a teapot", 421: "Misdirected Request",
		422: "Unprocessable Content", 423: "Locked", 424: "Failed Dependency", 425: "Too Early",
		426: "Upgrade Required", 428: "Precondition Required", 429: "Too Many Requests",
		431: "Request Header Fields Too Large", 451: "Unavailable For Legal Reasons",
		500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
		503: "Service Unavailable", 504: "Gateway Timeout", 505: "HTTP Version Not Supported",
		506: "Variant Also Negotiates", 507: "Insufficient Storage", 508: "Loop Detected",
		510: "Not Extended", 511: "Network Authentication Required",
	} {
		t[code-100] = text
	}
	return
}()
