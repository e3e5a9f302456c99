package httpproto

import (
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
			d.out.events = append(d.out.events, renderResponse(r))
		} else {
			r := d.p.Request()
			if r.Method != ParseMethod(r.RawMethod) {
				d.t.Errorf("Method %v for RawMethod %q", r.Method, r.RawMethod)
			}
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
