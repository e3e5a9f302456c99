package httpproto

import "bytes"

// EventKind says what a call to Parser.Next found.
type EventKind uint8

// The event kinds.
const (
	// None: nothing to report yet; Next needs more input (or, in
	// StateClosed, discarded it; in StatePaused, waits for Resume).
	None EventKind = iota
	// HeadDone: a head is complete; see Parser.Request or
	// Parser.Response. A response head with a 1xx Status other than 101 is
	// interim: no body and no MessageDone follow it, the next head does.
	HeadDone
	// BodyData: Event.Data holds the next body bytes (for a chunked body,
	// chunk payload only).
	BodyData
	// MessageDone: the message (head and body) is complete.
	MessageDone
	// Switched: the connection switched protocols after a 101 response,
	// or a 2xx response to CONNECT; the bytes after the head belong to the
	// new protocol. Reported by the Next call after HeadDone, which
	// consumes nothing; later calls report None.
	Switched
)

var eventNames = [...]string{None: "None", HeadDone: "HeadDone", BodyData: "BodyData", MessageDone: "MessageDone", Switched: "Switched"}

// String returns the kind's name, e.g. "HeadDone".
func (k EventKind) String() string {
	if int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "EventKind(?)"
}

// Event is what Parser.Next reports.
type Event struct {
	Kind EventKind
	// Data is the payload of a BodyData event: a view into the input
	// given to that Next call, valid as long as the caller keeps those
	// bytes.
	Data []byte
}

// Parser is an incremental HTTP/1.1 parser for the requests a server reads
// or the responses a client reads (RFC 9112). It does no I/O and never
// copies the input: the caller feeds it the unread bytes of its buffer and
// drops the bytes it says it used.
//
// The zero Parser is not usable: call InitRequest or InitResponse first. A
// Parser is a value meant to be embedded in a connection; it reuses its
// storage for every message, so parsing typical messages allocates
// nothing once it has seen the largest. It is not safe for concurrent use:
// a connection's loop goroutine owns it.
//
// # Feeding it
//
// Next(in) returns an Event and n, how many bytes of in it used. The
// caller drops in[:n] and calls again with what follows, plus any new
// bytes. A head (and a trailer section, and a chunk-size line) is never
// consumed in part: until it is complete, Next returns (None, 0, nil), and
// the caller calls again with the same bytes and more. The parser
// remembers how far it scanned, so a head fed one byte at a time costs
// linear time. Any split of the input gives the same events (BodyData
// pieces aside, which follow the splits), and the same error.
//
// A message is HeadDone, zero or more BodyData, then MessageDone. When
// the input ends, EOF says whether it could end there. After MessageDone
// the parser is ready for the next message on the connection
// (pipelining: the caller decides when to call Next again), unless the
// message ends the connection (StateClosed), asks to switch protocols
// (StatePaused) or switched them (StateSwitched).
//
// # Buffer ownership
//
// Request, Response and Trailers hold views into the in given to the Next
// call that returned HeadDone (for trailers, MessageDone); they stay valid
// while the caller keeps those bytes unchanged, and until the parser
// starts the next message. (A response's unfolded obs-fold values are
// views into the parser's own storage, valid until the next message.)
// Headers.Retain copies fields to the Headers' own storage. BodyData's Data is a view into that call's in.
//
// # Errors
//
// Every rejection is an *Error whose Code says what was wrong and whose
// Status is what a server answers (400, 413, 414, 431, 501, 505). After an
// error the parser stays in StateFailed and returns the same error; a
// server answers it and closes the connection. On the client side the
// codes are the same, and a proxy answers any of them with 502.
//
// # Strictness
//
// The parser follows RFC 9112 and, where the RFC leaves a choice, takes
// the reading no intermediary can take differently, which mostly means
// refusing the message:
//   - A head line may end with CRLF or a bare LF (as Tornado, Go and h11
//     accept); inside chunked framing (size lines, the CRLF after chunk
//     data, trailers) only CRLF. A bare CR is never a line end and is
//     refused anywhere (400), as soon as it is seen.
//   - Up to 4 empty lines before a start line are skipped (RFC 9112
//     section 2.2), counted against MaxHeaderBytes; a fifth is refused.
//   - Field lines: obs-fold and whitespace before the first field are
//     refused, except that in a response (RFC 9112 section 5.2: a user
//     agent MUST replace obs-fold with SP, as Tornado and net/http do) a
//     folded line is joined to the value before it with one SP, in the
//     parser's own storage, unless that field decides framing or the
//     connection (Content-Length, Transfer-Encoding, Connection, Upgrade,
//     Expect, Host). Refused too: whitespace between name and colon, an empty or
//     non-token name, and control bytes other than HTAB in a value
//     (obs-text 0x80-0xFF passes). Values are trimmed of SP and HTAB.
//   - Request line: exactly "token SP target SP HTTP/d.d". HTTP/1.2 to
//     1.9 count as HTTP/1.1; another major version gets 505, anything
//     else 400. Target bytes are 0x21-0x7E and 0x80-0xFF except "#";
//     origin-form or absolute-form (with a non-empty authority and no
//     userinfo), authority-form for CONNECT only and always for CONNECT,
//     "*" for OPTIONS only.
//   - Host: required in HTTP/1.1, at most one, Tornado's character rule
//     (no comma, "/", "@" or space); it may be empty.
//   - Request framing (RFC 9112 section 6): Content-Length is 1 to 18
//     digits, equal values in a list or on several lines collapse,
//     anything else is refused; Transfer-Encoding must end in a single
//     chunked (other codings before it get 501); Transfer-Encoding with
//     Content-Length, or in HTTP/1.0, is refused; a CONNECT request may
//     not have a body. Neither field: no body.
//   - Response framing: 1xx, 204, 304 and answers to HEAD have no body,
//     a 2xx answer to CONNECT starts a tunnel; a 1xx with either field, a
//     204 with a body, Transfer-Encoding with Content-Length or in
//     HTTP/1.0 are refused. Transfer-Encoding not ending in chunked, or
//     neither field, means a body delimited by the connection's close.
//   - Chunked: sizes are hex digits only, up to 2^63-1; extensions must
//     match the RFC grammar and are ignored; trailers are checked like
//     header fields and kept apart (Trailers).
//   - Status line: "HTTP/d.d SP 3DIGIT SP reason", or "HTTP/d.d SP
//     3DIGIT" alone (an empty reason, as net/http and curl read it); codes
//     below 100 refused, 600-999 passed.
type Parser struct {
	lim      Limits
	response bool // parses responses
	state    State
	err      *Error // what moved the parser to StateFailed

	// A head or trailer section is scanned in place and consumed whole.
	// The offsets below count from its first byte in the caller's input.
	scan      int  // how far the input has been searched for '\n'
	lineStart int  // start of the line being scanned
	startDone bool // the start line was parsed
	empties   int  // empty lines seen before the start line
	spans     []fieldSpan
	folds     []fold // a response's obs-folds, unfolded in finishHead
	foldBuf   []byte // the unfolded values (spans with negative offsets)
	sl        startSpan
	facts     headFacts

	// Body.
	remaining int64 // bytes left in a sized body, or in the current chunk
	bodyTotal int64 // Content-Length, or the body bytes announced so far
	maxBody   int64 // MaxBodySize for this message
	extBytes  int   // chunk-extension bytes so far in this message
	sawCR     bool  // StateChunkEnd: the CR after the data arrived
	keepAlive bool  // the connection persists after this message
	pause     bool  // the request asks to switch protocols
	// switchReported: StateSwitched reported its Switched event.
	switchReported bool
	expect         Method

	req      Request
	resp     Response
	trailers Headers
}

// fieldSpan locates one field line's name and value in the input.
type fieldSpan struct{ n0, n1, v0, v1 int }

// fold is an obs-fold line of a response: its text [c0:c1] continues the
// value of field spans[field]. A folded field's value is built in the
// parser's foldBuf (the caller's input is never written to); its span's
// v0 and v1 are then -1-offset into foldBuf.
type fold struct{ field, c0, c1 int }

// startSpan locates the start line's views in the input: a request's
// method [a0:a1] and target [b0:b1], or a response's reason [b0:b1].
type startSpan struct{ a0, a1, b0, b1 int }

var errUninit = newError(CodeUnexpectedInput, "parser not initialised: call InitRequest or InitResponse")

// InitRequest prepares p to parse requests, as a server does, with the
// given limits (nil for the defaults). It discards any state p had.
func (p *Parser) InitRequest(lim *Limits) { p.init(lim, false) }

// InitResponse prepares p to parse responses, as a client does, with the
// given limits (nil for the defaults). It discards any state p had.
func (p *Parser) InitResponse(lim *Limits) { p.init(lim, true) }

func (p *Parser) init(lim *Limits, response bool) {
	p.lim = lim.withDefaults()
	p.response = response
	p.state = StateIdle
	p.Reset()
}

// Reset brings p back to the start of a connection, keeping its limits,
// its role and its storage. It does nothing to a Parser never initialised.
func (p *Parser) Reset() {
	if p.state == stateUninit {
		return
	}
	p.state = StateIdle
	p.err = nil
	p.expect = MethodOther
	p.switchReported = false
	p.beginMessage()
	h := p.req.Header
	h.Reset()
	p.req = Request{Header: h}
	h = p.resp.Header
	h.Reset()
	p.resp = Response{Header: h}
	p.trailers.Reset()
}

// beginMessage forgets the message that ended; it runs on every entry to
// StateIdle. The Request or Response stays readable until the next head
// is complete.
func (p *Parser) beginMessage() {
	p.scan, p.lineStart = 0, 0
	p.startDone = false
	p.empties = 0
	p.spans = p.spans[:0]
	p.folds = p.folds[:0]
	p.facts = headFacts{}
	p.remaining, p.bodyTotal = 0, 0
	p.maxBody = p.lim.MaxBodySize
	p.extBytes = 0
	p.sawCR = false
	p.keepAlive, p.pause = false, false
}

// ExpectResponseTo tells a response parser the method of the request the
// next response answers, which its framing depends on (RFC 9112 section
// 6.3): a response to HEAD has no body; a 2xx response to CONNECT has
// none either and switches the connection to a tunnel (Switched). It
// applies to the next final response (across interim 1xx ones), then
// reverts to MethodOther, so call it before each response. A request
// parser ignores it.
func (p *Parser) ExpectResponseTo(m Method) {
	if p.response {
		p.expect = m
	}
}

// SetMaxBodySize sets the body limit for the current message only, for
// example at HeadDone, when the request's target or ContentLength is
// known (Tornado's set_max_body_size); the next message starts again
// from Limits.MaxBodySize. n is in bytes; 0 allows no body byte, and a
// negative n restores Limits.MaxBodySize. A Content-Length is checked
// against it when the body starts, after HeadDone, so a call at HeadDone
// can raise the limit as well as lower it.
func (p *Parser) SetMaxBodySize(n int64) {
	if n < 0 {
		n = p.lim.MaxBodySize
	}
	p.maxBody = n
}

// MaxBodySize returns the body limit of the current message: Limits'
// MaxBodySize, or what SetMaxBodySize made it.
func (p *Parser) MaxBodySize() int64 { return p.maxBody }

// State returns where the parser stands.
func (p *Parser) State() State { return p.state }

// Request returns the request whose head the last HeadDone reported. See
// the Parser doc for how long its slices stay valid.
func (p *Parser) Request() *Request { return &p.req }

// Response returns the response whose head the last HeadDone reported.
func (p *Parser) Response() *Response { return &p.resp }

// Trailers returns the trailer fields of a chunked message, valid at its
// MessageDone, as views into the input of that Next call. They are never
// merged into the header section and never affect framing. Empty for a
// message without trailers.
func (p *Parser) Trailers() *Headers { return &p.trailers }

// Resume continues after StatePaused when the caller declines the switch
// of protocols a request asked for (it answered the Upgrade or CONNECT
// request with an ordinary response): the parser goes on with the next
// request, or to StateClosed if that request did not keep the connection
// alive. In any other state it returns an *Error (CodeUnexpectedInput)
// naming the state, and changes nothing.
func (p *Parser) Resume() error {
	t := trResumeClose
	if p.keepAlive {
		t = trResume
	}
	if e := p.fire(t); e != nil {
		return e
	}
	return nil
}

// Next parses the next part of in (see the Parser doc): it returns what
// it found and how many bytes of in it used. The only errors are *Error
// values.
func (p *Parser) Next(in []byte) (Event, int, error) {
	switch p.state {
	case StateIdle, StateHead:
		return p.nextHead(in)
	case StateBody:
		return p.nextBody(in)
	case StateChunkSize, StateChunkData, StateChunkEnd, StateTrailers:
		return p.nextChunked(in)
	case StateCloseBody:
		return p.nextCloseBody(in)
	case StatePaused:
		return Event{}, 0, nil
	case StateSwitched:
		// Reported once, then None like a paused parser, so that a read
		// loop that stops on None cannot spin.
		if p.switchReported {
			return Event{}, 0, nil
		}
		p.switchReported = true
		return Event{Kind: Switched}, 0, nil
	case StateClosed:
		// RFC 9112 section 9.6: after a message that closes the connection
		// nothing more is processed. The bytes are dropped unread.
		return Event{}, len(in), nil
	case StateFailed:
		return Event{}, 0, p.err
	}
	return Event{}, 0, errUninit
}

// EOF tells the parser that the input ended (the peer closed its side).
// It returns MessageDone when that completes a message (a close-delimited
// response body, or a body-less message whose MessageDone was not yet
// collected), no event when the input ended between messages, and an
// *Error with CodeIncomplete when it ended inside one. Afterwards the
// parser is in StateClosed (or stays in StateSwitched or StateFailed).
func (p *Parser) EOF() (Event, error) {
	switch p.state {
	case StateIdle, StatePaused, StateClosed, StateSwitched:
		if e := p.fire(trEOF); e != nil {
			return p.failEOF(e)
		}
		return Event{}, nil
	case StateCloseBody:
		if e := p.fire(trEOF); e != nil {
			return p.failEOF(e)
		}
		return Event{Kind: MessageDone}, nil
	case StateBody:
		if p.remaining == 0 {
			if e := p.fire(trEOF); e != nil {
				return p.failEOF(e)
			}
			return Event{Kind: MessageDone}, nil
		}
	case StateFailed:
		return Event{}, p.err
	case stateUninit:
		return Event{}, errUninit
	}
	return p.failEOF(newError(CodeIncomplete, "input ended in state "+p.state.String()))
}

func (p *Parser) failEOF(e *Error) (Event, error) {
	ev, _, err := p.fail(e)
	return ev, err
}

// fail moves the parser to StateFailed for good and returns e.
func (p *Parser) fail(e *Error) (Event, int, error) {
	if p.fire(trFail) != nil {
		// No entry: the parser was already out of the message states.
		// Failing is terminal whatever the table says.
		p.state = StateFailed
	}
	p.err = e
	return Event{}, 0, e
}

// contractError reports a caller that gave fewer bytes than the parser
// already scanned: it dropped or replaced bytes it was told to keep.
func contractError() *Error {
	return newError(CodeUnexpectedInput, "input shorter than the part of it already scanned: unconsumed bytes must be passed again")
}

// nextLine looks for the next line end in in[:end], from where the last
// search stopped. It returns the line's start and the index of its LF, and
// moves on to the next line. When there is no LF yet it remembers how far
// it searched and reports whether the bytes searched hold a CR followed by
// something other than LF: a bare CR, never a line end (RFC 9112 section
// 2.2), and never valid anywhere in a head.
func (p *Parser) nextLine(in []byte, end int) (start, lf int, ok, bareCR bool) {
	from := p.scan
	if from < end {
		if i := bytes.IndexByte(in[from:end], '\n'); i >= 0 {
			lf = from + i
			start = p.lineStart
			p.scan = lf + 1
			p.lineStart = lf + 1
			return start, lf, true, false
		}
		// A CR just before the old end may now be followed by a non-LF.
		lo := max(from-1, p.lineStart)
		if end-1 > lo && bytes.IndexByte(in[lo:end-1], '\r') >= 0 {
			bareCR = true
		}
		p.scan = end
	}
	return 0, 0, false, bareCR
}

// nextHead scans a request or response head, which stays unconsumed until
// complete (then HeadDone with n its length).
func (p *Parser) nextHead(in []byte) (Event, int, error) {
	if len(in) < p.scan {
		return p.fail(contractError())
	}
	headEnd := min(len(in), p.lim.MaxHeaderBytes)
	for {
		end := headEnd
		lineWindow := -1 // where a too-long start line is known to be too long
		if !p.startDone {
			// The start line's LF comes at most MaxRequestLine+1 bytes in
			// (after a CR): search no further, so that a line too long
			// gives the same error however the input is split.
			lineWindow = p.lineStart + p.lim.MaxRequestLine + 2
			end = min(end, lineWindow)
		}
		start, lf, ok, bareCR := p.nextLine(in, end)
		if !ok {
			switch {
			case bareCR:
				return p.fail(p.bareCRError())
			case lineWindow >= 0 && lineWindow <= p.lim.MaxHeaderBytes && len(in) >= lineWindow:
				return p.fail(p.startLineTooLong())
			case len(in) >= p.lim.MaxHeaderBytes:
				return p.fail(newError(CodeHeaderTooLarge, "head larger than MaxHeaderBytes"))
			}
			// Bytes of a start line make the head begin; a lone CR that may
			// become an empty line does not.
			if partial := p.scan - p.lineStart; p.state == StateIdle && (p.startDone || partial > 1 || partial == 1 && in[p.lineStart] != '\r') {
				if e := p.fire(trPartial); e != nil {
					return p.fail(e)
				}
			}
			return Event{}, 0, nil
		}
		line := in[start:lf]
		if k := len(line); k > 0 && line[k-1] == '\r' {
			line = line[:k-1]
		}
		if !p.startDone {
			// A CR inside a field line fails the field checks with the
			// same code; a start line needs this check to give one code
			// however the input is split.
			if bytes.IndexByte(line, '\r') >= 0 {
				return p.fail(p.bareCRError())
			}
			if len(line) == 0 {
				p.empties++
				if p.empties > maxLeadingEmptyLines {
					return p.fail(newError(p.startLineCode(), "too many empty lines before the start line"))
				}
				continue
			}
			if len(line) > p.lim.MaxRequestLine {
				return p.fail(p.startLineTooLong())
			}
			var e *Error
			if p.response {
				e = p.parseStatusLine(line, start)
			} else {
				e = p.parseRequestLine(line, start)
			}
			if e != nil {
				return p.fail(e)
			}
			p.startDone = true
			continue
		}
		if len(line) == 0 {
			return p.finishHead(in, lf+1)
		}
		if c := line[0]; (c == ' ' || c == '\t') && p.response && len(p.spans) > 0 {
			if e := p.obsFold(in, line, start); e != nil {
				return p.fail(e)
			}
			continue
		}
		name, value, e := p.fieldLine(line, start)
		if e != nil {
			return p.fail(e)
		}
		p.inspect(name, value, p.spans[len(p.spans)-1])
	}
}

func (p *Parser) startLineCode() Code {
	if p.response {
		return CodeBadStatusLine
	}
	return CodeBadRequestLine
}

func (p *Parser) startLineTooLong() *Error {
	if p.response {
		return newError(CodeBadStatusLine, "status line longer than MaxRequestLine")
	}
	return newError(CodeURITooLong, "request line longer than MaxRequestLine")
}

func (p *Parser) bareCRError() *Error {
	if !p.startDone {
		return newError(p.startLineCode(), "bare CR in the start line")
	}
	return newError(CodeBadHeader, "bare CR in the header section")
}

// fieldLine checks one field line (without its line end), found at
// offset base, and records where its name and value are. RFC 9112 section
// 5: field-name ":" OWS field-value OWS, the name a token right before the
// colon, the value without control bytes other than HTAB (obs-text
// allowed). A line starting with whitespace is obs-fold, or whitespace
// after the start line (section 2.2): both rejected.
func (p *Parser) fieldLine(line []byte, base int) (name, value []byte, err *Error) {
	if c := line[0]; c == ' ' || c == '\t' {
		return nil, nil, newError(CodeBadHeader, "field line starts with whitespace (obs-fold)")
	}
	i := 0
	for i < len(line) && tchar[line[i]] {
		i++
	}
	if i == len(line) {
		return nil, nil, newError(CodeBadHeader, "no colon in field line "+quoteBytes(truncate(line)))
	}
	if line[i] != ':' {
		if c := line[i]; c == ' ' || c == '\t' {
			if j := bytes.IndexByte(line, ':'); j > i && len(trimOWS(line[i:j])) == 0 {
				return nil, nil, newError(CodeBadHeader, "whitespace between field name and colon in "+quoteBytes(truncate(line[:j])))
			}
		}
		return nil, nil, newError(CodeBadHeader, "invalid character in field name "+quoteBytes(truncate(line)))
	}
	if i == 0 {
		return nil, nil, newError(CodeBadHeader, "empty field name")
	}
	vs, ve := i+1, len(line)
	for vs < ve && (line[vs] == ' ' || line[vs] == '\t') {
		vs++
	}
	for ve > vs && (line[ve-1] == ' ' || line[ve-1] == '\t') {
		ve--
	}
	for _, c := range line[vs:ve] {
		if !fieldVchar[c] {
			return nil, nil, newError(CodeBadHeader, "control character in the value of "+quoteBytes(truncate(line[:i])))
		}
	}
	if len(p.spans) >= p.lim.MaxHeaderCount {
		return nil, nil, newError(CodeTooManyHeaders, "more fields than MaxHeaderCount")
	}
	p.spans = append(p.spans, fieldSpan{base, base + i, base + vs, base + ve})
	return line[:i], line[vs:ve], nil
}

// obsFold records a response's obs-fold line (without its line end),
// found at offset base, as a continuation of the field before it. RFC 9112
// section 5.2: a user agent MUST replace an obs-fold with SP before
// interpreting the value; Tornado and net/http join the line to the value
// with one space. It is refused on the fields that decide framing and
// connection handling (inspect), whose values were read already, and must
// not be read two ways.
func (p *Parser) obsFold(in, line []byte, base int) *Error {
	s := p.spans[len(p.spans)-1]
	name := in[s.n0:s.n1]
	switch {
	case equalFold(name, "content-length"), equalFold(name, "transfer-encoding"), equalFold(name, "connection"),
		equalFold(name, "upgrade"), equalFold(name, "expect"), equalFold(name, "host"):
		return newError(CodeBadHeader, "obs-fold in "+quoteBytes(name))
	}
	c0, c1 := 0, len(line)
	for c0 < c1 && (line[c0] == ' ' || line[c0] == '\t') {
		c0++
	}
	for c1 > c0 && (line[c1-1] == ' ' || line[c1-1] == '\t') {
		c1--
	}
	for _, c := range line[c0:c1] {
		if !fieldVchar[c] {
			return newError(CodeBadHeader, "control character in the value of "+quoteBytes(truncate(name)))
		}
	}
	if c0 < c1 {
		p.folds = append(p.folds, fold{len(p.spans) - 1, base + c0, base + c1})
	}
	return nil
}

// unfold builds each folded field's value in foldBuf: its first line's
// value and each folded line's text, joined with one SP.
func (p *Parser) unfold(in []byte) {
	b := p.foldBuf[:0]
	for i := 0; i < len(p.folds); {
		s := &p.spans[p.folds[i].field]
		start := len(b)
		b = append(b, in[s.v0:s.v1]...)
		for ; i < len(p.folds) && &p.spans[p.folds[i].field] == s; i++ {
			if len(b) > start {
				b = append(b, ' ')
			}
			b = append(b, in[p.folds[i].c0:p.folds[i].c1]...)
		}
		s.v0, s.v1 = -1-start, -1-len(b)
	}
	p.foldBuf = b
}

// truncate shortens what an error message quotes.
func truncate(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

// finishHead turns a complete head, the first n bytes of in, into the
// Request or Response and decides the framing.
func (p *Parser) finishHead(in []byte, n int) (Event, int, error) {
	var t trigger
	var e *Error
	if len(p.folds) > 0 {
		p.unfold(in)
	}
	if p.response {
		t, e = p.finishResponse(in)
	} else {
		t, e = p.finishRequest(in)
	}
	if e != nil {
		return p.fail(e)
	}
	p.trailers.Reset()
	p.scan, p.lineStart = 0, 0 // chunk-size lines and trailers scan afresh
	if e := p.fire(t); e != nil {
		return p.fail(e)
	}
	return Event{Kind: HeadDone}, n, nil
}

// fillHeader points h's fields at in.
func (p *Parser) fillHeader(h *Headers, in []byte) {
	h.Reset()
	for _, s := range p.spans {
		if s.v0 < 0 { // unfolded (see fold)
			v0, v1 := -1-s.v0, -1-s.v1
			h.addView(in[s.n0:s.n1:s.n1], p.foldBuf[v0:v1:v1])
			continue
		}
		h.addView(in[s.n0:s.n1:s.n1], in[s.v0:s.v1:s.v1])
	}
}

// nextBody reads a body of known length; MessageDone follows its last
// byte (at once when there is none).
func (p *Parser) nextBody(in []byte) (Event, int, error) {
	if p.remaining == 0 {
		return p.messageDone(0)
	}
	if p.bodyTotal > p.maxBody {
		return p.fail(newError(CodeBodyTooLarge, "Content-Length larger than the body size limit"))
	}
	if len(in) == 0 {
		return Event{}, 0, nil
	}
	take := int64(len(in))
	if take > p.remaining {
		take = p.remaining
	}
	p.remaining -= take
	return Event{Kind: BodyData, Data: in[:take:take]}, int(take), nil
}

// nextCloseBody reads a response body that runs until EOF.
func (p *Parser) nextCloseBody(in []byte) (Event, int, error) {
	if len(in) == 0 {
		return Event{}, 0, nil
	}
	room := p.maxBody - p.bodyTotal
	if room <= 0 {
		return p.fail(newError(CodeBodyTooLarge, "close-delimited body larger than the body size limit"))
	}
	take := int64(len(in))
	if take > room {
		take = room
	}
	p.bodyTotal += take
	return Event{Kind: BodyData, Data: in[:take:take]}, int(take), nil
}

// messageDone ends the message, n being the bytes of in that ended it.
func (p *Parser) messageDone(n int) (Event, int, error) {
	t := trClose
	switch {
	case p.pause:
		t = trPause
	case p.keepAlive:
		t = trKeep
	}
	if e := p.fire(t); e != nil {
		return p.fail(e)
	}
	return Event{Kind: MessageDone}, n, nil
}
