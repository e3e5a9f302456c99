package httpproto

import "bytes"

// Message framing (RFC 9112 section 6) and the fields it depends on. The
// fields are noted as the head is scanned (inspect) and judged once it is
// complete (finishRequest, finishResponse), since a response's status
// decides which of them count.
//
// Where RFC 9112 leaves a choice, the parser takes the reading that no
// peer or intermediary can take differently: it refuses the message. A
// request it cannot frame with certainty gets 400 (or 501 for a transfer
// coding it does not implement), never a guess.

// headFacts is what the head's fields said about framing and connection
// management.
type headFacts struct {
	cls    int    // Content-Length field lines
	cl     int64  // their value, when valid
	clSeen bool   // cl holds a value
	clBad  string // why they are not valid ("" when they are)

	te            bool // a Transfer-Encoding field is present
	teChunked     int  // how many times "chunked" is listed
	teLastChunked bool // the last coding listed is chunked
	teOther       bool // a coding other than chunked is listed
	teBad         bool // an empty or malformed element

	hosts   int // Host field lines
	hostBad bool
	host    fieldSpan // the first Host field

	connClose, connKeepAlive, connUpgrade bool // Connection options
	upgrade                               bool // a non-empty Upgrade field
	expect100                             bool // Expect lists 100-continue
}

// inspect notes what a field line says about framing and connection
// management. Names are compared by length first, so most fields cost one
// switch.
func (p *Parser) inspect(name, value []byte, s fieldSpan) {
	f := &p.facts
	switch len(name) {
	case 4:
		if equalFold(name, "host") {
			f.hosts++
			if f.hosts == 1 {
				f.host = s
			}
			if !validHost(value) {
				f.hostBad = true
			}
		}
	case 6:
		if equalFold(name, "expect") && listHasToken(value, "100-continue") {
			f.expect100 = true
		}
	case 7:
		if equalFold(name, "upgrade") && len(value) > 0 {
			f.upgrade = true
		}
	case 10:
		if equalFold(name, "connection") {
			f.addConnection(value)
		}
	case 14:
		if equalFold(name, "content-length") {
			f.addContentLength(value)
		}
	case 17:
		if equalFold(name, "transfer-encoding") {
			f.addTransferEncoding(value)
		}
	}
}

// nextElement splits the first element off a comma-separated list (RFC
// 9110 section 5.6.1) and trims it of OWS.
func nextElement(v []byte) (elem, rest []byte, more bool) {
	if i := bytes.IndexByte(v, ','); i >= 0 {
		return trimOWS(v[:i]), v[i+1:], true
	}
	return trimOWS(v), nil, false
}

func (f *headFacts) addConnection(v []byte) {
	for more := true; more; {
		var e []byte
		e, v, more = nextElement(v)
		switch {
		case equalFold(e, "close"):
			f.connClose = true
		case equalFold(e, "keep-alive"):
			f.connKeepAlive = true
		case equalFold(e, "upgrade"):
			f.connUpgrade = true
		}
	}
}

// addContentLength takes one Content-Length field line. RFC 9110 section
// 8.6: Content-Length = 1*DIGIT. A list of identical values ("5, 5"), or
// several lines with identical values, stands for one value (the
// recipient's option RFC 9110 allows); differing values, an empty element,
// a sign, spaces inside, or more than 18 digits are invalid.
func (f *headFacts) addContentLength(v []byte) {
	f.cls++
	if f.clBad != "" {
		return
	}
	for more := true; more; {
		var e []byte
		e, v, more = nextElement(v)
		n, ok := parseDecimal(e)
		if !ok {
			f.clBad = "Content-Length is not a decimal number of at most 18 digits"
			return
		}
		if f.clSeen && n != f.cl {
			f.clBad = "differing Content-Length values"
			return
		}
		f.cl, f.clSeen = n, true
	}
}

// parseDecimal parses 1 to 18 ASCII digits, which always fit an int64.
func parseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// addTransferEncoding takes one Transfer-Encoding field line; the codings
// of several lines form one list, in order (RFC 9110 section 5.3). An
// element is "chunked" (no parameters: chunked has none) or a token with
// optional parameters. An empty element, which RFC 9110 section 5.6.1
// would have a recipient skip, is refused here: in a framing field,
// "chunked," could be read two ways.
func (f *headFacts) addTransferEncoding(v []byte) {
	f.te = true
	for more := true; more; {
		var e []byte
		e, v, more = nextElement(v)
		switch {
		case len(e) == 0:
			f.teBad = true
		case equalFold(e, "chunked"):
			f.teChunked++
			f.teLastChunked = true
		default:
			f.teLastChunked = false
			name := e
			if i := bytes.IndexByte(e, ';'); i >= 0 {
				name = trimOWS(e[:i])
			}
			if !ValidToken(name) || equalFold(name, "chunked") {
				f.teBad = true
			} else {
				f.teOther = true
			}
		}
	}
}

// keepAlive applies RFC 9112 section 9.3: an HTTP/1.1 connection persists
// unless the "close" option is present, an HTTP/1.0 one only with
// "keep-alive" (and no "close").
func (f *headFacts) keepAlive(v Version) bool {
	if f.connClose {
		return false
	}
	return v == HTTP11 || f.connKeepAlive
}

// finishRequest fills p.req from the complete head in in and decides its
// framing (RFC 9112 section 6.3, items 3 to 6 and 7 for requests).
func (p *Parser) finishRequest(in []byte) (trigger, *Error) {
	r := &p.req
	f := &p.facts
	s := p.sl
	r.RawMethod = in[s.a0:s.a1:s.a1]
	r.Target = in[s.b0:s.b1:s.b1]
	p.fillHeader(&r.Header, in)
	r.Host = nil
	if f.hosts > 0 {
		r.Host = in[f.host.v0:f.host.v1:f.host.v1]
	}

	// RFC 9112 section 3.2: a server MUST answer 400 to an HTTP/1.1
	// request without Host, and to any request with more than one Host
	// field line or an invalid one.
	switch {
	case f.hosts == 0 && r.Version == HTTP11:
		return 0, newError(CodeMissingHost, "HTTP/1.1 request without Host")
	case f.hosts > 1:
		return 0, newError(CodeBadHost, "more than one Host field")
	case f.hostBad:
		return 0, newError(CodeBadHost, "invalid Host value "+quoteBytes(truncate(r.Host)))
	}
	// RFC 9112 section 3.2.2: an absolute-form target's authority is the
	// request's host, whatever the Host field says.
	if len(r.Target) > 0 && r.Target[0] != '/' && r.Target[0] != '*' && r.Method != MethodConnect {
		if auth := absoluteAuthority(r.Target); auth != nil {
			r.Host = auth
		}
	}

	t := trHeadLength
	r.Chunked = false
	r.ContentLength = 0
	switch {
	case f.te:
		switch {
		case f.cls > 0:
			// RFC 9112 section 6.1: a server MAY reject such a request, and
			// MUST close after it otherwise; a front end may have framed it
			// by Content-Length. Reject (request smuggling).
			return 0, newError(CodeBadTransferEncoding, "Transfer-Encoding together with Content-Length")
		case r.Version == HTTP10:
			// RFC 9112 section 6.1: the framing of an HTTP/1.0 message with
			// Transfer-Encoding is faulty. Reject rather than guess.
			return 0, newError(CodeBadTransferEncoding, "Transfer-Encoding in an HTTP/1.0 request")
		case f.teBad:
			return 0, newError(CodeBadTransferEncoding, "malformed Transfer-Encoding")
		case f.teChunked > 1:
			return 0, newError(CodeBadTransferEncoding, "chunked applied more than once")
		case !f.teLastChunked:
			// RFC 9112 section 6.3 item 4: the length cannot be determined;
			// a server MUST answer 400 and close.
			return 0, newError(CodeBadTransferEncoding, "chunked is not the final transfer coding")
		case f.teOther:
			// RFC 9112 section 6.1: a coding the server does not
			// understand gets 501.
			return 0, newError(CodeUnsupportedTransferEncoding, "transfer coding other than chunked")
		case r.Method == MethodConnect:
			return 0, newError(CodeBadTransferEncoding, "CONNECT request with a body")
		}
		r.Chunked = true
		r.ContentLength = -1
		t = trHeadChunked
	case f.cls > 0:
		if f.clBad != "" {
			return 0, newError(CodeBadContentLength, f.clBad)
		}
		if r.Method == MethodConnect && f.cl != 0 {
			// RFC 9110 section 9.3.6: a CONNECT request has no content; the
			// bytes after its head belong to the tunnel. A front end that
			// framed some as a body would disagree about where it starts.
			return 0, newError(CodeBadContentLength, "CONNECT request with a body")
		}
		r.ContentLength = f.cl
	}
	// No Content-Length and no Transfer-Encoding: no body (RFC 9112
	// section 6.3 item 7).

	r.KeepAlive = f.keepAlive(r.Version)
	r.Expect100 = f.expect100 && r.Version == HTTP11
	r.Upgrade = f.upgrade && f.connUpgrade && r.Version == HTTP11
	p.keepAlive = r.KeepAlive
	p.pause = r.Method == MethodConnect || r.Upgrade
	p.remaining = max(r.ContentLength, 0)
	p.bodyTotal = p.remaining
	return t, nil
}

// finishResponse fills p.resp from the complete head in in and decides its
// framing (RFC 9112 section 6.3, items 1 to 4 and 8).
func (p *Parser) finishResponse(in []byte) (trigger, *Error) {
	r := &p.resp
	f := &p.facts
	r.Reason = in[p.sl.b0:p.sl.b1:p.sl.b1]
	p.fillHeader(&r.Header, in)
	r.ContentLength = 0
	r.Chunked, r.CloseDelimited = false, false
	r.KeepAlive = f.keepAlive(r.Version)
	st := r.Status

	if st < 200 {
		// RFC 9110 section 8.6 and RFC 9112 section 6.1: a 1xx response
		// carries neither field. Tornado rejects them too.
		if f.cls > 0 || f.te {
			return 0, newError(CodeBadResponse, "1xx response with Content-Length or Transfer-Encoding")
		}
		if st == 101 {
			r.KeepAlive = false
			return trHeadSwitch, nil
		}
		return trHeadInterim, nil // the final response is still to come
	}
	expect := p.expect
	p.expect = MethodOther
	if expect == MethodConnect && st < 300 {
		// RFC 9110 section 9.3.6: a client MUST ignore Content-Length and
		// Transfer-Encoding in a 2xx response to CONNECT: a tunnel starts
		// right after the head.
		r.KeepAlive = false
		return trHeadSwitch, nil
	}

	switch {
	case f.te && f.cls > 0:
		// RFC 9112 section 6.1: a sender MUST NOT send both. Unlike a
		// server, a client has no one to ask: refuse the response.
		return 0, newError(CodeBadResponse, "Transfer-Encoding together with Content-Length")
	case f.te && r.Version == HTTP10:
		return 0, newError(CodeBadResponse, "Transfer-Encoding in an HTTP/1.0 response")
	case f.te && (f.teBad || f.teChunked > 1):
		return 0, newError(CodeBadResponse, "malformed Transfer-Encoding")
	case f.cls > 0 && f.clBad != "":
		return 0, newError(CodeBadContentLength, f.clBad)
	case st == 204 && (f.te || f.cl != 0):
		// Tornado: a 204 with a body is an error, not a body to skip.
		return 0, newError(CodeBadResponse, "204 response with a body")
	}

	t := trHeadLength
	switch {
	case st == 204 || st == 304 || expect == MethodHead:
		// No body, whatever Content-Length or Transfer-Encoding say (RFC
		// 9112 section 6.3 item 1).
	case f.te && f.teLastChunked:
		r.Chunked = true
		r.ContentLength = -1
		t = trHeadChunked
	case f.te:
		// RFC 9112 section 6.3 item 4: chunked is not the final coding;
		// the body runs until the connection closes.
		r.CloseDelimited = true
	case f.cls > 0:
		r.ContentLength = f.cl
	default:
		r.CloseDelimited = true // item 8
	}
	if r.CloseDelimited {
		r.ContentLength = -1
		r.KeepAlive = false
		t = trHeadClose
	}
	p.keepAlive = r.KeepAlive
	p.remaining = max(r.ContentLength, 0)
	p.bodyTotal = p.remaining
	return t, nil
}

// validHost reports whether v is a valid Host value, by Tornado's rule:
// unreserved, sub-delims other than comma, pct-encoded, "[", "]" and ":"
// (RFC 3986 host [ ":" port ], checked byte by byte). Userinfo ("@"), a
// path ("/"), spaces and commas (which is also how several Host fields
// joined into one would look) are invalid. Empty is valid (RFC 9112
// section 3.2, for a target without an authority).
func validHost(v []byte) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '%' {
			if i+2 >= len(v) || hexValue[v[i+1]] < 0 || hexValue[v[i+2]] < 0 {
				return false
			}
			i += 2
			continue
		}
		if !hostByte[c] {
			return false
		}
	}
	return true
}

var hostByte = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-._~" + "!$&'()*+;=" + "[]:" {
		t[c] = true
	}
	return
}()

// hexValue maps a hex digit to its value and anything else to -1.
var hexValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = int8(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = int8(c - 'a' + 10)
	}
	for c := 'A'; c <= 'F'; c++ {
		t[c] = int8(c - 'A' + 10)
	}
	return
}()
