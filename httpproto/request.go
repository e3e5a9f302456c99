package httpproto

import (
	"bytes"
	"strconv"
)

// Version is an HTTP/1 protocol version as the parser records it. A
// request or response that says HTTP/1.2 to HTTP/1.9 is recorded as
// HTTP11: RFC 9110 section 2.5 has a recipient of a higher minor version
// treat the message as the highest minor version it implements, and a
// server answers it with an HTTP/1.1 status line (never HTTP/1.2).
type Version uint8

// The versions. The zero Version is not a valid one (no message parsed).
const (
	HTTP10 Version = iota + 1 // HTTP/1.0
	HTTP11                    // HTTP/1.1, and HTTP/1.2 to HTTP/1.9
)

// String returns "HTTP/1.0" or "HTTP/1.1".
func (v Version) String() string {
	switch v {
	case HTTP10:
		return "HTTP/1.0"
	case HTTP11:
		return "HTTP/1.1"
	}
	return "Version(" + strconv.Itoa(int(v)) + ")"
}

// Method is a request method, with a value for each method RFC 9110 and
// RFC 5789 define and MethodOther for every other token (the spelling is in
// Request.RawMethod). Methods are case-sensitive (RFC 9110 section 9.1):
// "get" is MethodOther, a valid method a server typically answers with 405
// or 501.
type Method uint8

// The methods.
const (
	MethodOther Method = iota // any other token; see Request.RawMethod
	MethodGet
	MethodHead
	MethodPost
	MethodPut
	MethodDelete
	MethodConnect
	MethodOptions
	MethodTrace
	MethodPatch
	methodCount
)

var methodNames = [methodCount]string{
	MethodOther:   "OTHER",
	MethodGet:     "GET",
	MethodHead:    "HEAD",
	MethodPost:    "POST",
	MethodPut:     "PUT",
	MethodDelete:  "DELETE",
	MethodConnect: "CONNECT",
	MethodOptions: "OPTIONS",
	MethodTrace:   "TRACE",
	MethodPatch:   "PATCH",
}

// String returns the method's name ("GET"), or "OTHER" for MethodOther.
func (m Method) String() string {
	if m < methodCount {
		return methodNames[m]
	}
	return "Method(" + strconv.Itoa(int(m)) + ")"
}

// ParseMethod returns the Method spelt exactly b (case-sensitive), or
// MethodOther. It does not check that b is a token.
func ParseMethod(b []byte) Method {
	// A switch on string(b) compiles to comparisons without a copy.
	switch string(b) {
	case "GET":
		return MethodGet
	case "HEAD":
		return MethodHead
	case "POST":
		return MethodPost
	case "PUT":
		return MethodPut
	case "DELETE":
		return MethodDelete
	case "CONNECT":
		return MethodConnect
	case "OPTIONS":
		return MethodOptions
	case "TRACE":
		return MethodTrace
	case "PATCH":
		return MethodPatch
	}
	return MethodOther
}

// Request is the head of a parsed request and what its framing implies.
// The Parser owns it; Parser.Request returns it after a HeadDone event.
//
// Every slice (RawMethod, Target, Host and the fields in Header) is a view
// into the input given to the Next call that returned HeadDone, valid as
// long as the caller keeps those bytes unchanged, and at most until the
// parser starts the next message. Header.Retain copies the fields into the
// Headers' own storage; copy the other slices as needed.
type Request struct {
	Method    Method // MethodOther for methods without a constant
	RawMethod []byte // the method as sent, e.g. "GET" or "PROPFIND"
	// Target is the request target as sent: origin-form ("/path?q"),
	// absolute-form ("http://host/path"), authority-form ("host:port",
	// CONNECT only) or asterisk-form ("*", OPTIONS only). A CONNECT may
	// also have origin-form (net/rpc's "CONNECT /_goRPC_").
	Target  []byte
	Version Version
	Header  Headers
	// Host is the host the request is for: the authority of an
	// absolute-form target ("http://a/p" is for "a", whatever its Host
	// field says: RFC 9112 section 3.2.2), else the value of the Host
	// field, nil when there is none (allowed in HTTP/1.0 only). It may be
	// empty: RFC 9112 section 3.2 lets a client send an empty Host when the
	// target has no authority. The Host field itself stays in Header.
	Host []byte
	// ContentLength is the length of the body: -1 when it is chunked, 0
	// when there is none.
	ContentLength int64
	Chunked       bool // the body uses the chunked transfer coding
	// KeepAlive reports whether the connection may carry another request
	// after this one (RFC 9112 section 9.3): for HTTP/1.1 unless Connection
	// has the "close" option, for HTTP/1.0 only with "keep-alive" (and no
	// "close").
	KeepAlive bool
	// Expect100 reports "Expect: 100-continue" (any case) on an HTTP/1.1
	// request: the client waits for a 100 Continue (Continue100) before it
	// sends the body. RFC 9110 section 10.1.1 has a server ignore it in an
	// HTTP/1.0 request, so it is false there. Other expectations are
	// ignored (RFC 9110 allows, but does not require, a 417 answer); they
	// remain visible in Header.
	Expect100 bool
	// Upgrade reports that the client asks to switch protocols: an
	// Upgrade field with a value, and "upgrade" among the Connection
	// options (RFC 9110 section 7.8). It is false for HTTP/1.0, where a
	// server must ignore Upgrade. The parser pauses after such a request
	// (see StatePaused).
	Upgrade bool
}

// Response is the head of a parsed response and what its framing implies.
// The Parser owns it; Parser.Response returns it after a HeadDone event.
// Reason and Header are views with the lifetime described on Request.
type Response struct {
	Version Version
	Status  int    // 100 to 999
	Reason  []byte // may be empty
	Header  Headers
	// ContentLength is the number of body bytes that follow the head: 0
	// for a response without a body (1xx, 204, 304, a response to HEAD, a
	// 2xx response to CONNECT, whatever its Content-Length field says),
	// -1 when unknown (chunked or close-delimited).
	ContentLength  int64
	Chunked        bool // the body uses the chunked transfer coding
	CloseDelimited bool // the body runs until the connection closes
	// KeepAlive reports whether the connection may carry another response
	// after this one: as for Request, and never for a close-delimited
	// body or a protocol switch.
	KeepAlive bool
}

// parseRequestLine parses a request line (without its line end), found at
// offset base of the head (RFC 9112 section 3): method SP request-target
// SP HTTP-version, with exactly one space between the parts and none
// elsewhere.
func (p *Parser) parseRequestLine(line []byte, base int) *Error {
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 <= 0 {
		return newError(CodeBadRequestLine, "request line is not method SP target SP version")
	}
	method := line[:sp1]
	if !ValidToken(method) {
		return newError(CodeBadRequestLine, "method is not a token")
	}
	rest := line[sp1+1:]
	sp2 := bytes.IndexByte(rest, ' ')
	if sp2 <= 0 || bytes.IndexByte(rest[sp2+1:], ' ') >= 0 {
		// No version (an HTTP/0.9 simple request), an empty target, or
		// more spaces than two.
		return newError(CodeBadRequestLine, "request line is not method SP target SP version")
	}
	target := rest[:sp2]
	v, e := parseVersion(rest[sp2+1:])
	if e != nil {
		return e
	}
	m := ParseMethod(method)
	if e := checkTarget(m, target); e != nil {
		return e
	}
	p.req.Method = m
	p.req.Version = v
	p.sl = startSpan{a0: base, a1: base + sp1, b0: base + sp1 + 1, b1: base + sp1 + 1 + sp2}
	return nil
}

// parseVersion parses "HTTP/" DIGIT "." DIGIT (RFC 9112 section 2.3; the
// name is case-sensitive). HTTP/1.x above 1.1 counts as HTTP/1.1 (RFC 9110
// section 2.5); another major version is well-formed but unsupported
// (505); anything else is malformed (400).
func parseVersion(b []byte) (Version, *Error) {
	if len(b) != 8 || string(b[:5]) != "HTTP/" || b[5] < '0' || b[5] > '9' || b[6] != '.' || b[7] < '0' || b[7] > '9' {
		return 0, newError(CodeBadVersion, "malformed HTTP version "+quoteBytes(truncate(b)))
	}
	if b[5] != '1' {
		return 0, newError(CodeVersionNotSupported, "HTTP version "+string(b)+" not supported")
	}
	if b[7] == '0' {
		return HTTP10, nil
	}
	return HTTP11, nil
}

// checkTarget checks a request target's bytes and its form against the
// method (RFC 9112 section 3.2): bytes 0x21-0x7E and obs-text 0x80-0xFF,
// but no "#" (a fragment is never part of a target); origin-form
// ("/..."), absolute-form ("scheme://authority..."), authority-form
// ("host:port") for CONNECT and for CONNECT only, asterisk-form ("*") for
// OPTIONS only. CONNECT also takes origin-form, a path: net/rpc's HTTP
// transport sends "CONNECT /_goRPC_", and net/http takes it; it is no
// proxy's tunnel request, and with no body allowed it frames the same.
func checkTarget(m Method, t []byte) *Error {
	for _, c := range t {
		if !targetByte[c] {
			return newError(CodeBadTarget, "invalid byte in request target")
		}
	}
	switch {
	case m == MethodConnect:
		if t[0] != '/' && !validAuthorityForm(t) {
			return newError(CodeBadTarget, "CONNECT target is neither host:port nor a path")
		}
	case t[0] == '/':
	case len(t) == 1 && t[0] == '*':
		if m != MethodOptions {
			return newError(CodeBadTarget, "asterisk-form target with a method other than OPTIONS")
		}
	case !validAbsoluteForm(t):
		return newError(CodeBadTarget, "request target is neither origin-form nor absolute-form")
	}
	return nil
}

var targetByte = func() (t [256]bool) {
	for c := 0x21; c <= 0xff; c++ {
		t[c] = true
	}
	t[0x7f], t['#'] = false, false
	return
}()

// validAbsoluteForm reports whether t is scheme "://" authority [rest],
// with a non-empty authority of host bytes only: RFC 9110 section 4.2.1
// has an http URI with an empty host rejected, and section 4.2.4 treat
// userinfo ("user@") as an error.
func validAbsoluteForm(t []byte) bool {
	i := 0
	for i < len(t) && (isAlpha(t[i]) || i > 0 && (t[i] >= '0' && t[i] <= '9' || t[i] == '+' || t[i] == '-' || t[i] == '.')) {
		i++
	}
	if i == 0 || len(t) < i+3 || string(t[i:i+3]) != "://" {
		return false
	}
	auth := t[i+3:]
	if j := bytes.IndexAny(auth, "/?"); j >= 0 {
		auth = auth[:j]
	}
	return len(auth) > 0 && validHost(auth)
}

// absoluteAuthority returns the authority of an absolute-form target t
// (one validAbsoluteForm accepted), nil for any other form.
func absoluteAuthority(t []byte) []byte {
	i := bytes.Index(t, []byte("://"))
	if i <= 0 {
		return nil
	}
	auth := t[i+3:]
	if j := bytes.IndexAny(auth, "/?"); j >= 0 {
		auth = auth[:j]
	}
	return auth[:len(auth):len(auth)]
}

// validAuthorityForm reports whether t is host ":" port (RFC 9112 section
// 3.2.3), with a non-empty host and a port of 1 to 5 digits up to 65535.
func validAuthorityForm(t []byte) bool {
	c := bytes.LastIndexByte(t, ':')
	if c <= 0 || !validHost(t[:c]) {
		return false
	}
	port, ok := parseDecimal(t[c+1:])
	return ok && len(t)-c-1 <= 5 && port <= 65535
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// parseStatusLine parses a status line (without its line end), found at
// offset base of the head (RFC 9112 section 4): HTTP-version SP 3DIGIT SP
// reason-phrase. A line that ends right after the code ("HTTP/1.1 200")
// is read as an empty reason: the grammar wants the space, but net/http,
// curl, Python's http.client and Node's parser all accept the short form,
// servers that send it exist, and the line's end is unambiguous (Tornado
// refuses it, then waits for its request timeout). Anything else after
// the code is refused. Codes below 100 are refused; 600 to 999 pass (RFC
// 9110 section 15 has a client treat them as 5xx, which is the caller's
// business).
func (p *Parser) parseStatusLine(line []byte, base int) *Error {
	if len(line) < 12 || line[8] != ' ' {
		return newError(CodeBadStatusLine, "status line is not version SP code SP reason")
	}
	v, e := parseVersion(line[:8])
	if e != nil {
		return newError(CodeBadStatusLine, e.Detail)
	}
	st := 0
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return newError(CodeBadStatusLine, "status code is not three digits")
		}
		st = st*10 + int(c-'0')
	}
	if st < 100 {
		return newError(CodeBadStatusLine, "status code below 100")
	}
	if len(line) == 12 {
		p.resp.Version = v
		p.resp.Status = st
		p.sl = startSpan{b0: base + 12, b1: base + 12}
		return nil
	}
	if line[12] != ' ' {
		return newError(CodeBadStatusLine, "status code not followed by a space")
	}
	for _, c := range line[13:] {
		if !fieldVchar[c] {
			return newError(CodeBadStatusLine, "control character in the reason phrase")
		}
	}
	p.resp.Version = v
	p.resp.Status = st
	p.sl = startSpan{b0: base + 13, b1: base + len(line)}
	return nil
}
