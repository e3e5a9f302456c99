package httpproto

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// outcome is what a parser made of an input: its events rendered as
// strings (consecutive BodyData joined, so that any split of the input
// renders the same), the error code if any, and the bytes left for another
// protocol after a pause or a switch.
type outcome struct {
	events []string
	code   Code
	left   string
	state  State // before EOF
}

func (o outcome) String() string {
	var b strings.Builder
	for _, e := range o.events {
		b.WriteString("\n\t")
		b.WriteString(e)
	}
	if o.code != 0 {
		fmt.Fprintf(&b, "\n\terror %s (%d)", codeName(o.code), o.code.Status())
	}
	if o.left != "" {
		fmt.Fprintf(&b, "\n\tleft %q", o.left)
	}
	return b.String()
}

func (o outcome) equal(p outcome) bool {
	return slices.Equal(o.events, p.events) && o.code == p.code && o.left == p.left
}

// codeName spells a Code as its constant, for test messages.
func codeName(c Code) string {
	for name, v := range codeByName {
		if v == c {
			return name
		}
	}
	return "Code(" + strconv.Itoa(int(c)) + ")"
}

var codeByName = map[string]Code{
	"CodeBadRequestLine": CodeBadRequestLine, "CodeBadTarget": CodeBadTarget,
	"CodeURITooLong": CodeURITooLong, "CodeBadVersion": CodeBadVersion,
	"CodeVersionNotSupported": CodeVersionNotSupported, "CodeBadHeader": CodeBadHeader,
	"CodeHeaderTooLarge": CodeHeaderTooLarge, "CodeTooManyHeaders": CodeTooManyHeaders,
	"CodeMissingHost": CodeMissingHost, "CodeBadHost": CodeBadHost,
	"CodeBadContentLength": CodeBadContentLength, "CodeBadTransferEncoding": CodeBadTransferEncoding,
	"CodeUnsupportedTransferEncoding": CodeUnsupportedTransferEncoding,
	"CodeBodyTooLarge":                CodeBodyTooLarge, "CodeBadChunk": CodeBadChunk,
	"CodeChunkLineTooLong": CodeChunkLineTooLong, "CodeBadStatusLine": CodeBadStatusLine,
	"CodeBadResponse": CodeBadResponse, "CodeIncomplete": CodeIncomplete,
	"CodeInvalidOutput": CodeInvalidOutput, "CodeUnexpectedInput": CodeUnexpectedInput,
}

func renderRequest(r *Request) string {
	var b strings.Builder
	fmt.Fprintf(&b, "req %s %s %s", r.RawMethod, r.Target, r.Version)
	if r.Chunked {
		b.WriteString(" chunked")
	} else {
		fmt.Fprintf(&b, " cl=%d", r.ContentLength)
	}
	if !r.KeepAlive {
		b.WriteString(" close")
	}
	if r.Expect100 {
		b.WriteString(" expect")
	}
	if r.Upgrade {
		b.WriteString(" upgrade")
	}
	fmt.Fprintf(&b, " h=%d", r.Header.Len())
	return b.String()
}

func renderResponse(r *Response) string {
	var b strings.Builder
	fmt.Fprintf(&b, "resp %s %d %q", r.Version, r.Status, r.Reason)
	switch {
	case r.Chunked:
		b.WriteString(" chunked")
	case r.CloseDelimited:
		b.WriteString(" closebody")
	default:
		fmt.Fprintf(&b, " cl=%d", r.ContentLength)
	}
	if !r.KeepAlive {
		b.WriteString(" close")
	}
	fmt.Fprintf(&b, " h=%d", r.Header.Len())
	return b.String()
}

// checkRequest checks what holds for every request head the parser
// accepts: the fields could be sent on as they are, and the framing fields
// agree with each other.
func checkRequest(t testing.TB, r *Request) {
	t.Helper()
	if r.Method != ParseMethod(r.RawMethod) || !ValidToken(r.RawMethod) {
		t.Errorf("Method %v for RawMethod %q", r.Method, r.RawMethod)
	}
	if len(r.Target) == 0 || r.Version != HTTP10 && r.Version != HTTP11 {
		t.Errorf("target %q, version %v", r.Target, r.Version)
	}
	if err := r.Header.Validate(); err != nil {
		t.Errorf("accepted a field that cannot be sent: %v", err)
	}
	if r.Chunked != (r.ContentLength == -1) || r.ContentLength < -1 {
		t.Errorf("Chunked %v with ContentLength %d", r.Chunked, r.ContentLength)
	}
	if auth := absoluteAuthority(r.Target); auth != nil && r.Method != MethodConnect {
		if !bytes.Equal(r.Host, auth) {
			t.Errorf("Host %q for the absolute-form target %q", r.Host, r.Target)
		}
	} else if (r.Host != nil) != r.Header.Has("Host") || r.Version == HTTP11 && r.Host == nil {
		t.Errorf("Host %q with %d Host fields", r.Host, r.Header.Count("Host"))
	}
	if r.Version == HTTP10 && (r.Upgrade || r.Expect100 || r.Chunked) {
		t.Errorf("HTTP/1.0 request with Upgrade %v, Expect100 %v, Chunked %v", r.Upgrade, r.Expect100, r.Chunked)
	}
}

func checkResponse(t testing.TB, r *Response) {
	t.Helper()
	if r.Status < 100 || r.Status > 999 || r.Version != HTTP10 && r.Version != HTTP11 {
		t.Errorf("status %d, version %v", r.Status, r.Version)
	}
	if err := r.Header.Validate(); err != nil {
		t.Errorf("accepted a field that cannot be sent: %v", err)
	}
	if !validReasonBytes(r.Reason) {
		t.Errorf("reason %q", r.Reason)
	}
	unknown := r.Chunked || r.CloseDelimited
	if r.Chunked && r.CloseDelimited || unknown != (r.ContentLength == -1) || r.ContentLength < -1 || r.CloseDelimited && r.KeepAlive {
		t.Errorf("Chunked %v, CloseDelimited %v, ContentLength %d, KeepAlive %v", r.Chunked, r.CloseDelimited, r.ContentLength, r.KeepAlive)
	}
}

func validReasonBytes(b []byte) bool {
	for _, c := range b {
		if !fieldVchar[c] {
			return false
		}
	}
	return true
}

// driver feeds a parser the way a connection does: unconsumed bytes stay
// in a buffer to which each new piece is appended. It checks the Next
// contract on every call: progress (bytes used, an event, or a request
// for more with n == 0), n within bounds, and errors only of type *Error.
type driver struct {
	t       testing.TB
	p       *Parser
	methods []Method // responses: the method each one answers
	final   int      // final responses completed

	buf  []byte
	out  outcome
	body []byte // BodyData not yet rendered
	done bool   // an error or a switch ended the run
}

func newDriver(t testing.TB, response bool, lim *Limits, methods []Method) *driver {
	d := &driver{t: t, p: new(Parser), methods: methods}
	if response {
		d.p.InitResponse(lim)
		d.expect()
	} else {
		d.p.InitRequest(lim)
	}
	return d
}

func (d *driver) expect() {
	if d.final < len(d.methods) {
		d.p.ExpectResponseTo(d.methods[d.final])
	}
}

func (d *driver) flushBody() {
	if d.body != nil {
		d.out.events = append(d.out.events, fmt.Sprintf("body %q", d.body))
		d.body = nil
	}
}

func (d *driver) record(ev Event) {
	switch ev.Kind {
	case HeadDone:
		d.flushBody()
		if d.p.response {
			r := d.p.Response()
			checkResponse(d.t, r)
			d.out.events = append(d.out.events, renderResponse(r))
		} else {
			r := d.p.Request()
			checkRequest(d.t, r)
			d.out.events = append(d.out.events, renderRequest(r))
		}
	case BodyData:
		if len(ev.Data) == 0 {
			d.t.Errorf("empty BodyData event")
		}
		d.body = append(d.body, ev.Data...)
	case MessageDone:
		d.flushBody()
		s := "done"
		if tr := d.p.Trailers(); tr.Len() > 0 {
			var fs []string
			for name, value := range tr.All() {
				fs = append(fs, string(name)+": "+string(value))
			}
			s += " trailers=[" + strings.Join(fs, "; ") + "]"
		}
		d.out.events = append(d.out.events, s)
		if d.p.response {
			d.final++
			d.expect()
		}
	case Switched:
		d.flushBody()
		d.out.events = append(d.out.events, "switched")
	}
}

func (d *driver) failed(err error) {
	var pe *Error
	if !errors.As(err, &pe) {
		d.t.Fatalf("error of type %T, want *Error: %v", err, err)
	}
	if d.p.State() != StateFailed {
		d.t.Errorf("state %v after an error, want failed", d.p.State())
	}
	d.flushBody()
	d.out.code = pe.Code
	d.done = true
}

// feed appends piece to the buffer and runs Next until it asks for more.
func (d *driver) feed(piece []byte) {
	if d.done {
		d.buf = append(d.buf, piece...)
		return
	}
	d.buf = append(d.buf, piece...)
	idle := 0 // calls in a row that used no byte
	for {
		ev, n, err := d.p.Next(d.buf)
		if n < 0 || n > len(d.buf) {
			d.t.Fatalf("Next used %d of %d bytes", n, len(d.buf))
		}
		if err != nil {
			if n != 0 {
				d.t.Errorf("Next used %d bytes with an error", n)
			}
			d.failed(err)
			return
		}
		if ev.Kind != BodyData && ev.Data != nil {
			d.t.Errorf("%v event with Data", ev.Kind)
		}
		d.record(ev)
		d.buf = d.buf[n:]
		if ev.Kind == Switched {
			d.done = true
			return
		}
		if n > 0 {
			idle = 0
			continue
		}
		if ev.Kind == None {
			return // needs more input
		}
		if idle++; idle > 2 {
			d.t.Fatalf("no progress: %v events without input used, state %v", ev.Kind, d.p.State())
		}
	}
}

// finish ends the input and returns the outcome.
func (d *driver) finish() outcome {
	d.out.state = d.p.State()
	if !d.done {
		ev, err := d.p.EOF()
		if err != nil {
			d.failed(err)
		} else {
			d.record(ev)
			d.flushBody()
			if ev.Kind != None && ev.Kind != MessageDone {
				d.t.Errorf("EOF returned %v", ev.Kind)
			}
		}
	}
	d.flushBody()
	if s := d.out.state; s == StatePaused || s == StateSwitched {
		d.out.left = string(d.buf)
	}
	return d.out
}

func run(t testing.TB, response bool, lim *Limits, methods []Method, pieces ...[]byte) outcome {
	d := newDriver(t, response, lim, methods)
	for _, p := range pieces {
		d.feed(p)
	}
	return d.finish()
}

// splits returns the ways every case is fed: whole, one byte at a time,
// and in two pieces split at every index.
func splits(in []byte) map[string][][]byte {
	m := map[string][][]byte{"whole": {in}}
	bytewise := make([][]byte, len(in))
	for i := range in {
		bytewise[i] = in[i : i+1]
	}
	m["bytewise"] = bytewise
	for i := 1; i < len(in); i++ {
		m["split@"+strconv.Itoa(i)] = [][]byte{in[:i], in[i:]}
	}
	return m
}

// A message appended to every case to check what follows it (pipelining,
// the bytes left after a switch, bytes ignored after the last message).
const (
	nextRequest  = "GET /next HTTP/1.1\r\nHost: n\r\n\r\n"
	nextResponse = "HTTP/1.1 204 No Content\r\n\r\n"
)

var (
	nextRequestEvents  = []string{"req GET /next HTTP/1.1 cl=0 h=1", "done"}
	nextResponseEvents = []string{`resp HTTP/1.1 204 "No Content" cl=0 h=0`, "done"}
)

// parseCase is a golden case: an input and what the parser makes of it.
type parseCase struct {
	name    string
	in      string
	want    []string // events
	err     Code     // the error after them, if any
	status  int      // the status that error answers with
	left    string   // bytes left after a pause or a switch
	lim     *Limits
	methods []Method // responses: the methods of the requests they answer
	// long: run only whole, byte-wise and with trailing bytes, not split
	// at every index (inputs of many kilobytes).
	long bool
}

// runCases runs every case fed whole, byte-wise, split at every index and
// followed by another message, and checks the outcome is the same.
func runCases(t *testing.T, response bool, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err.Status() != tc.status && (tc.err != 0 || tc.status != 0) {
				t.Fatalf("%s answers %d, the case says %d", codeName(tc.err), tc.err.Status(), tc.status)
			}
			want := outcome{events: tc.want, code: tc.err, left: tc.left}
			in := []byte(tc.in)
			ways := splits(in)
			if tc.long {
				ways = map[string][][]byte{"whole": ways["whole"], "bytewise": ways["bytewise"]}
			}
			for how, pieces := range ways {
				got := run(t, response, tc.lim, tc.methods, pieces...)
				if !got.equal(want) {
					t.Fatalf("fed %s: got%v\nwant%v", how, got, want)
				}
			}
			checkTrailing(t, response, tc, want)
		})
	}
}

// checkTrailing feeds the case followed by another message and checks
// that the message is parsed, left over or ignored as the state after the
// case says.
func checkTrailing(t *testing.T, response bool, tc parseCase, want outcome) {
	if tc.err == CodeIncomplete {
		return
	}
	d := newDriver(t, response, tc.lim, tc.methods)
	d.feed([]byte(tc.in))
	state := d.p.State()
	if state == StateCloseBody || state == StateIdle && len(d.buf) > 0 {
		return // the next message would be body, or follow a lone CR
	}
	next, nextEvents := nextRequest, nextRequestEvents
	if response {
		next, nextEvents = nextResponse, nextResponseEvents
	}
	in := []byte(tc.in + next)
	want.events = slices.Clone(want.events)
	switch {
	case tc.err != 0:
	case state == StateIdle:
		want.events = append(want.events, nextEvents...)
	case state == StatePaused || state == StateSwitched:
		want.left += next
	case state == StateClosed:
	default:
		t.Fatalf("case ends in state %v", state)
	}
	for how, pieces := range map[string][][]byte{"whole": {in}, "two pieces": {[]byte(tc.in), []byte(next)}} {
		got := run(t, response, tc.lim, tc.methods, pieces...)
		if !got.equal(want) {
			t.Fatalf("with a message after it, fed %s: got%v\nwant%v", how, got, want)
		}
	}
}

// mustNext calls Next and fails the test on an error.
func mustNext(t *testing.T, p *Parser, in []byte) (Event, int) {
	t.Helper()
	ev, n, err := p.Next(in)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return ev, n
}

// within reports whether b is a view into buf.
func within(b, buf []byte) bool {
	if len(b) == 0 {
		return true
	}
	for i := range buf {
		if &buf[i] == &b[0] {
			return i+len(b) <= len(buf)
		}
	}
	return false
}

func TestHeadIsParsedInPlace(t *testing.T) {
	in := []byte("PATCH /x?y=1 HTTP/1.1\r\nHost: example.com:8080\r\nX-Name:  value with spaces \t\r\nX-Empty:\r\n\r\n")
	var p Parser
	p.InitRequest(nil)
	ev, n := mustNext(t, &p, in)
	if ev.Kind != HeadDone || n != len(in) {
		t.Fatalf("got %v after %d bytes, want HeadDone after %d", ev.Kind, n, len(in))
	}
	r := p.Request()
	if r.Method != MethodPatch || string(r.RawMethod) != "PATCH" || string(r.Target) != "/x?y=1" || r.Version != HTTP11 {
		t.Errorf("start line: %v %q %q %v", r.Method, r.RawMethod, r.Target, r.Version)
	}
	if string(r.Host) != "example.com:8080" {
		t.Errorf("Host %q", r.Host)
	}
	if got := r.Header.GetString("x-name"); got != "value with spaces" {
		t.Errorf("X-Name %q", got)
	}
	if v := r.Header.Get("X-Empty"); v == nil || len(v) != 0 {
		t.Errorf("X-Empty %q (nil %v)", v, v == nil)
	}
	if f := r.Header.At(0); string(f.Name) != "Host" {
		t.Errorf("first field %q, want the wire spelling Host", f.Name)
	}
	for _, b := range [][]byte{r.RawMethod, r.Target, r.Host, r.Header.At(0).Name, r.Header.At(1).Value} {
		if !within(b, in) {
			t.Errorf("%q is a copy, not a view into the input", b)
		}
		if cap(b) != len(b) {
			t.Errorf("view %q has spare capacity %d: an append would write into the input", b, cap(b)-len(b))
		}
	}
	// Retain makes the fields independent of the input.
	r.Header.Retain()
	copy(in, make([]byte, len(in)))
	if got := r.Header.GetString("X-Name"); got != "value with spaces" {
		t.Errorf("after Retain and a cleared input: X-Name %q", got)
	}
}

// RFC 9112 section 3.2.2: a server takes the host of an absolute-form
// target from the target, not from the Host field (which must still be
// there, valid and single, in HTTP/1.1, and stays in Header).
func TestAbsoluteFormTargetNamesTheHost(t *testing.T) {
	for _, tc := range []struct{ in, host, field string }{
		{"GET http://a.example:81/p?q HTTP/1.1\r\nHost: b.example\r\n\r\n", "a.example:81", "b.example"},
		{"GET https://a.example HTTP/1.1\r\nHost: a.example\r\n\r\n", "a.example", "a.example"},
		{"GET http://[::1]:8080?x HTTP/1.0\r\n\r\n", "[::1]:8080", ""},
		{"GET /p HTTP/1.1\r\nHost: b.example\r\n\r\n", "b.example", "b.example"},
		{"CONNECT a.example:443 HTTP/1.1\r\nHost: b.example:443\r\n\r\n", "b.example:443", "b.example:443"},
	} {
		var p Parser
		p.InitRequest(nil)
		in := []byte(tc.in)
		if ev, _ := mustNext(t, &p, in); ev.Kind != HeadDone {
			t.Fatalf("%q: %v", tc.in, ev.Kind)
		}
		r := p.Request()
		if string(r.Host) != tc.host || r.Header.GetString("Host") != tc.field {
			t.Errorf("%q: Host %q, Host field %q; want %q and %q", tc.in, r.Host, r.Header.GetString("Host"), tc.host, tc.field)
		}
		if !within(r.Host, in) || cap(r.Host) != len(r.Host) {
			t.Errorf("%q: Host %q is not a closed view into the input", tc.in, r.Host)
		}
	}
}

func TestBodyDataIsAView(t *testing.T) {
	in := []byte("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET")
	var p Parser
	p.InitRequest(nil)
	_, n := mustNext(t, &p, in)
	ev, m := mustNext(t, &p, in[n:])
	if ev.Kind != BodyData || string(ev.Data) != "abc" || m != 3 || !within(ev.Data, in) || cap(ev.Data) != 3 {
		t.Fatalf("got %v %q after %d bytes (cap %d)", ev.Kind, ev.Data, m, cap(ev.Data))
	}
	if ev, m = mustNext(t, &p, in[n+3:]); ev.Kind != MessageDone || m != 0 {
		t.Fatalf("got %v, %d bytes; want MessageDone, 0", ev.Kind, m)
	}
	// The next head is incomplete: nothing is consumed.
	if ev, m = mustNext(t, &p, in[n+3:]); ev.Kind != None || m != 0 || p.State() != StateHead {
		t.Fatalf("got %v, %d bytes, state %v; want None, 0, head", ev.Kind, m, p.State())
	}
}

// TestHeadScanIsLinear feeds a head one byte at a time and checks that
// every call resumes where the previous one stopped instead of scanning
// the head again.
func TestHeadScanIsLinear(t *testing.T) {
	head := "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("X-Long: "+strings.Repeat("v", 200)+"\r\n", 50) + "\r\n"
	var p Parser
	p.InitRequest(nil)
	for i := 1; i <= len(head); i++ {
		before := p.scan
		ev, n := mustNext(t, &p, []byte(head[:i]))
		if i < len(head) {
			if ev.Kind != None || n != 0 {
				t.Fatalf("at %d: %v after %d bytes", i, ev.Kind, n)
			}
			if p.scan != i || before > i-1 {
				t.Fatalf("at %d: scan went from %d to %d, want one byte further", i, before, p.scan)
			}
		} else if ev.Kind != HeadDone || n != len(head) {
			t.Fatalf("at the end: %v after %d bytes", ev.Kind, n)
		}
	}
}

func TestCallerMustKeepUnconsumedBytes(t *testing.T) {
	var p Parser
	p.InitRequest(nil)
	mustNext(t, &p, []byte("GET / HTTP/1.1\r\nHo"))
	_, _, err := p.Next([]byte("GET"))
	if !errors.Is(err, ErrUnexpectedInput) || !err.(*Error).Local() {
		t.Fatalf("got %v, want a local CodeUnexpectedInput", err)
	}
}

func TestUninitialisedParser(t *testing.T) {
	var p Parser
	if _, _, err := p.Next([]byte("GET / HTTP/1.1\r\n\r\n")); !errors.Is(err, ErrUnexpectedInput) {
		t.Errorf("Next: %v", err)
	}
	if _, err := p.EOF(); !errors.Is(err, ErrUnexpectedInput) {
		t.Errorf("EOF: %v", err)
	}
	p.Reset()
	if p.State() != stateUninit || p.State().String() != "uninitialised" {
		t.Errorf("state %v after Reset of a zero Parser", p.State())
	}
}

func TestErrorsAreSticky(t *testing.T) {
	var p Parser
	p.InitRequest(nil)
	_, _, err1 := p.Next([]byte("GET / HTTP/1.1\r\nHost : a\r\n\r\n"))
	_, _, err2 := p.Next([]byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
	_, err3 := p.EOF()
	var pe *Error
	if !errors.As(err1, &pe) || pe.Code != CodeBadHeader || pe.Status() != 400 || pe.Local() {
		t.Fatalf("first error %v", err1)
	}
	if err2 != err1 || err3 != err1 || p.State() != StateFailed {
		t.Errorf("later calls gave %v, %v in state %v; want the first error again", err2, err3, p.State())
	}
	if !errors.Is(err1, ErrBadHeader) || errors.Is(err1, ErrBadHost) {
		t.Errorf("errors.Is does not match by code")
	}
	if !strings.Contains(err1.Error(), "whitespace between field name and colon") {
		t.Errorf("message %q does not say what was wrong", err1)
	}
	p.Reset()
	if ev, n := mustNext(t, &p, []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n")); ev.Kind != HeadDone || n != 27 {
		t.Errorf("after Reset: %v, %d", ev.Kind, n)
	}
}

func TestResume(t *testing.T) {
	in := []byte("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n")
	var p Parser
	p.InitRequest(nil)
	if err := p.Resume(); !errors.Is(err, ErrUnexpectedInput) || !strings.Contains(err.Error(), "idle") || p.State() != StateIdle {
		t.Fatalf("Resume while idle: %v, state %v", err, p.State())
	}
	_, n := mustNext(t, &p, in)
	if !p.Request().Upgrade {
		t.Fatal("no Upgrade")
	}
	in = in[n:]
	if ev, _ := mustNext(t, &p, in); ev.Kind != MessageDone || p.State() != StatePaused {
		t.Fatalf("%v in state %v, want MessageDone then paused", ev.Kind, p.State())
	}
	for range 3 {
		if ev, n := mustNext(t, &p, in); ev.Kind != None || n != 0 {
			t.Fatalf("paused parser reported %v after %d bytes", ev.Kind, n)
		}
	}
	if err := p.Resume(); err != nil || p.State() != StateIdle {
		t.Fatalf("Resume: %v, state %v", err, p.State())
	}
	if ev, _ := mustNext(t, &p, in); ev.Kind != HeadDone || string(p.Request().Target) != "/next" {
		t.Fatalf("after Resume: %v %q", ev.Kind, p.Request().Target)
	}

	// A declined upgrade on a request that closes the connection.
	p.Reset()
	in = []byte("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade, close\r\nUpgrade: websocket\r\n\r\nGET / HTTP/1.1\r\n\r\n")
	_, n = mustNext(t, &p, in)
	mustNext(t, &p, in[n:])
	if err := p.Resume(); err != nil || p.State() != StateClosed {
		t.Fatalf("Resume: %v, state %v, want closed", err, p.State())
	}
	if ev, m := mustNext(t, &p, in[n:]); ev.Kind != None || m != len(in)-n {
		t.Fatalf("closed parser: %v after %d bytes, want the bytes dropped", ev.Kind, m)
	}
}

func TestSetMaxBodySize(t *testing.T) {
	head := "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\n"
	body := strings.Repeat("b", 20)
	lim := &Limits{MaxBodySize: 10}
	var p Parser

	// Raised at HeadDone for one message, then back to the limit.
	p.InitRequest(lim)
	in := []byte(head + body + head + body)
	_, n := mustNext(t, &p, in)
	p.SetMaxBodySize(20)
	ev, m := mustNext(t, &p, in[n:])
	if ev.Kind != BodyData || m != 20 {
		t.Fatalf("raised limit: %v after %d bytes", ev.Kind, m)
	}
	in = in[n+m:]
	mustNext(t, &p, in) // MessageDone
	_, n = mustNext(t, &p, in)
	if _, _, err := p.Next(in[n:]); !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("next message: %v, want the limit back", err)
	}

	// Lowered for a chunked body; a negative size restores the limit.
	p.InitRequest(nil)
	in = []byte(chunkedPost + "5\r\nhello\r\n0\r\n\r\n")
	_, n = mustNext(t, &p, in)
	p.SetMaxBodySize(-1)
	p.SetMaxBodySize(4)
	if _, _, err := p.Next(in[n:]); !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("lowered limit: %v", err)
	}

	// Zero allows no body byte.
	p.InitRequest(nil)
	in = []byte("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx")
	_, n = mustNext(t, &p, in)
	p.SetMaxBodySize(0)
	if _, _, err := p.Next(in[n:]); !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("zero limit: %v", err)
	}
}

func TestEOF(t *testing.T) {
	for _, tc := range []struct {
		name, in   string
		response   bool
		stopAtHead bool // stop calling Next at HeadDone
		want       EventKind
		code       Code
		after      State
	}{
		{"before anything", "", false, false, None, 0, StateClosed},
		{"between messages", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", false, false, None, 0, StateClosed},
		{"body-less message not collected", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", false, true, MessageDone, 0, StateClosed},
		{"body not complete", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n", false, true, None, CodeIncomplete, StateFailed},
		{"inside a head", "GET / HTTP/1.1\r\n", false, false, None, CodeIncomplete, StateFailed},
		{"paused", "CONNECT a:1 HTTP/1.1\r\nHost: a\r\n\r\n", false, false, None, 0, StateClosed},
		{"close-delimited body", "HTTP/1.1 200 OK\r\n\r\nabc", true, false, MessageDone, 0, StateClosed},
		{"after a switch", "HTTP/1.1 101 Switching Protocols\r\n\r\n", true, false, None, 0, StateSwitched},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p Parser
			if tc.response {
				p.InitResponse(nil)
			} else {
				p.InitRequest(nil)
			}
			buf := []byte(tc.in)
			for {
				ev, n, err := p.Next(buf)
				if err != nil {
					t.Fatal(err)
				}
				buf = buf[n:]
				if ev.Kind == None || ev.Kind == Switched || tc.stopAtHead && ev.Kind == HeadDone {
					break
				}
			}
			ev, err := p.EOF()
			if ev.Kind != tc.want {
				t.Errorf("EOF gave %v, want %v", ev.Kind, tc.want)
			}
			var pe *Error
			if tc.code != 0 && (!errors.As(err, &pe) || pe.Code != tc.code) || tc.code == 0 && err != nil {
				t.Errorf("EOF error %v, want code %v", err, tc.code)
			}
			if p.State() != tc.after {
				t.Errorf("state %v after EOF, want %v", p.State(), tc.after)
			}
			if _, err := p.EOF(); tc.code == 0 && err != nil {
				t.Errorf("second EOF: %v", err)
			}
		})
	}
}

func TestExpectResponseToLastsOneFinalResponse(t *testing.T) {
	in := []byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	var p Parser
	p.InitResponse(nil)
	p.ExpectResponseTo(MethodHead)
	var got []string
	for len(in) > 0 {
		ev, n := mustNext(t, &p, in)
		in = in[n:]
		switch ev.Kind {
		case HeadDone:
			got = append(got, fmt.Sprintf("%d/%d", p.Response().Status, p.Response().ContentLength))
		case BodyData:
			got = append(got, string(ev.Data))
		case None:
			t.Fatal("stalled")
		}
	}
	if want := []string{"100/0", "200/0", "200/2", "ok"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}

	var q Parser
	q.InitRequest(nil)
	q.ExpectResponseTo(MethodHead) // ignored by a request parser
	if q.expect != MethodOther {
		t.Error("a request parser took ExpectResponseTo")
	}
}

func TestTrailersAreReset(t *testing.T) {
	in := []byte(chunkedPost + "0\r\nX-T: 1\r\n\r\n" + "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
	var p Parser
	p.InitRequest(nil)
	var trailers []int
	for len(trailers) < 2 {
		ev, n := mustNext(t, &p, in)
		in = in[n:]
		if ev.Kind == MessageDone {
			trailers = append(trailers, p.Trailers().Len())
		}
	}
	if !slices.Equal(trailers, []int{1, 0}) {
		t.Errorf("trailer counts %v, want [1 0]", trailers)
	}
}

func TestRequestKeptUntilNextHead(t *testing.T) {
	in := []byte("GET /first HTTP/1.1\r\nHost: a\r\n\r\nGET /second HTTP/1.1\r\nHo")
	var p Parser
	p.InitRequest(nil)
	_, n := mustNext(t, &p, in)
	mustNext(t, &p, in[n:]) // MessageDone
	mustNext(t, &p, in[n:]) // the next head, incomplete
	if string(p.Request().Target) != "/first" || !p.Request().KeepAlive {
		t.Errorf("Request after MessageDone: %q", p.Request().Target)
	}
}

func TestStrings(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{HTTP10.String(), "HTTP/1.0"},
		{HTTP11.String(), "HTTP/1.1"},
		{Version(0).String(), "Version(0)"},
		{MethodGet.String(), "GET"},
		{MethodOther.String(), "OTHER"},
		{MethodPatch.String(), "PATCH"},
		{Method(200).String(), "Method(200)"},
		{StateChunkSize.String(), "chunk-size"},
		{State(99).String(), "State(99)"},
		{HeadDone.String(), "HeadDone"},
		{EventKind(9).String(), "EventKind(?)"},
		{trHeadChunked.String(), "head with chunked body"},
		{trigger(99).String(), "trigger(99)"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	for m := MethodOther + 1; m < methodCount; m++ {
		if ParseMethod([]byte(m.String())) != m {
			t.Errorf("ParseMethod(%q) != %v", m.String(), m)
		}
	}
	if ParseMethod([]byte("get")) != MethodOther || ParseMethod(nil) != MethodOther {
		t.Error("ParseMethod is not case-sensitive")
	}
}

func TestLimitsDefaultsAndCaps(t *testing.T) {
	d := (*Limits)(nil).withDefaults()
	want := Limits{DefaultMaxRequestLine, DefaultMaxHeaderBytes, DefaultMaxHeaderCount, DefaultMaxBodySize, DefaultMaxChunkLine, DefaultMaxChunkExtBytes}
	if d != want {
		t.Errorf("defaults %+v, want %+v", d, want)
	}
	if d := (&Limits{MaxRequestLine: -1, MaxBodySize: -5}).withDefaults(); d != want {
		t.Errorf("negative fields gave %+v, want the defaults", d)
	}
	huge := Limits{MaxRequestLine: 1 << 62, MaxHeaderBytes: 1 << 62, MaxHeaderCount: 1 << 62, MaxBodySize: 1<<63 - 1, MaxChunkLine: 1 << 62, MaxChunkExtBytes: 1 << 62}
	var p Parser
	p.InitRequest(&huge)
	in := []byte(chunkedPost + "5\r\nhello\r\n0\r\n\r\n")
	if got := run(t, false, &huge, nil, in); got.code != 0 || len(got.events) != 3 {
		t.Errorf("huge limits: %v", got)
	}
	if p.lim.MaxHeaderBytes != maxByteLimit || p.lim.MaxBodySize != 1<<63-1 {
		t.Errorf("limits not capped: %+v", p.lim)
	}
}

func TestSwitchedIsReportedOnce(t *testing.T) {
	in := []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x00")
	var p Parser
	p.InitResponse(nil)
	_, n := mustNext(t, &p, in)
	in = in[n:]
	var kinds []EventKind
	for range 3 {
		ev, m := mustNext(t, &p, in)
		if m != 0 {
			t.Fatalf("a switched parser used %d bytes", m)
		}
		kinds = append(kinds, ev.Kind)
	}
	if !slices.Equal(kinds, []EventKind{Switched, None, None}) || p.State() != StateSwitched {
		t.Errorf("events %v in state %v", kinds, p.State())
	}
}

// A response's obs-fold is joined to its field's value with one space, as
// Tornado and net/http read it (RFC 9112 section 5.2 requires a user agent
// to replace it with SP), the same however the input is split, and the
// caller's input is not written to.
func TestResponseObsFold(t *testing.T) {
	const in = "HTTP/1.1 200 OK\r\nA: one\r\n two \r\n\tthree\r\nB:\r\n  only\r\nC: x\r\n   \r\n" +
		"D: d\nX-Long: " + "v\r\n w\r\n" + "Content-Length: 2\r\n\r\nok"
	want := map[string]string{"A": "one two three", "B": "only", "C": "x", "D": "d", "X-Long": "v w", "Content-Length": "2"}
	for cut := 1; cut <= len(in); cut++ {
		buf := []byte(in)
		orig := string(buf)
		var p Parser
		p.InitResponse(nil)
		var ev Event
		var err error
		var n int
		for end := cut; ; end = min(end+cut, len(buf)) {
			ev, n, err = p.Next(buf[:end])
			if err != nil || ev.Kind == HeadDone || end == len(buf) {
				break
			}
			if n != 0 {
				t.Fatalf("cut %d: %d bytes of a partial head used", cut, n)
			}
		}
		if err != nil || ev.Kind != HeadDone {
			t.Fatalf("cut %d: %v %v, want the head", cut, ev.Kind, err)
		}
		h := &p.Response().Header
		for name, v := range want {
			if got := string(h.Get(name)); got != v {
				t.Fatalf("cut %d: %s = %q, want %q", cut, name, got, v)
			}
		}
		if h.Len() != len(want) {
			t.Fatalf("cut %d: %d fields, want %d", cut, h.Len(), len(want))
		}
		if string(buf) != orig {
			t.Fatalf("cut %d: the input was modified: %q", cut, buf)
		}
	}
}
