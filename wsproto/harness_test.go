package wsproto_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gale-io/gale/wsproto"
)

// testKey is the masking key of RFC 6455 section 5.7's examples.
var testKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// ev is an event as the tests compare it: payloads copied into strings,
// consecutive Data events merged (their split depends on the input's).
type ev struct {
	kind       wsproto.EventKind
	op         wsproto.Opcode
	compressed bool
	payload    string
	code       wsproto.CloseCode
}

func (e ev) String() string {
	switch e.kind {
	case wsproto.MessageStart:
		return fmt.Sprintf("Start(%v,c=%v)", e.op, e.compressed)
	case wsproto.Close:
		return fmt.Sprintf("Close(%d,%q)", e.code, short(e.payload))
	case wsproto.Data, wsproto.Ping, wsproto.Pong:
		return fmt.Sprintf("%v(%q)", e.kind, short(e.payload))
	}
	return e.kind.String()
}

func short(s string) string {
	if len(s) > 40 {
		return fmt.Sprintf("%s...[%d bytes]", s[:20], len(s))
	}
	return s
}

func start(op wsproto.Opcode) ev  { return ev{kind: wsproto.MessageStart, op: op} }
func startC(op wsproto.Opcode) ev { return ev{kind: wsproto.MessageStart, op: op, compressed: true} }
func data(s string) ev            { return ev{kind: wsproto.Data, payload: s} }
func ping(s string) ev            { return ev{kind: wsproto.Ping, payload: s} }
func pong(s string) ev            { return ev{kind: wsproto.Pong, payload: s} }
func closeEv(c wsproto.CloseCode, reason string) ev {
	return ev{kind: wsproto.Close, code: c, payload: reason}
}

var end = ev{kind: wsproto.MessageEnd}

// msg is the events of a whole message with payload p (no Data if empty).
func msg(op wsproto.Opcode, p string) []ev {
	if p == "" {
		return []ev{start(op), end}
	}
	return []ev{start(op), data(p), end}
}

func evs(groups ...any) []ev {
	var out []ev
	for _, g := range groups {
		switch g := g.(type) {
		case ev:
			out = append(out, g)
		case []ev:
			out = append(out, g...)
		default:
			panic(fmt.Sprintf("evs: %T", g))
		}
	}
	return out
}

// result is what feeding an input to a Reader gave.
type result struct {
	events []ev
	err    error
	rest   []byte // input left unconsumed at the end
	data   []byte // Data not yet added to events
}

// feed gives input to r in chunks ending at the offsets in cuts (sorted,
// within the input), then the rest, as a stream would: unconsumed bytes stay
// and new ones are appended. The input itself is never modified.
func feed(r *wsproto.Reader, input []byte, cuts []int) result {
	var res result
	var buf []byte
	prev := 0
	for i := 0; i <= len(cuts); i++ {
		next := len(input)
		if i < len(cuts) {
			next = cuts[i]
		}
		buf = append(buf, input[prev:next]...)
		prev = next
		for guard := 0; ; guard++ {
			if guard > len(input)+1000 {
				panic("feed: Reader makes no progress")
			}
			e, n, err := r.Next(buf)
			if n < 0 || n > len(buf) {
				panic(fmt.Sprintf("feed: Next consumed %d of %d bytes", n, len(buf)))
			}
			if err != nil {
				res.flush()
				res.err = err
				res.rest = buf[n:]
				return res
			}
			buf = buf[n:]
			if e.Kind == wsproto.NeedMore {
				break
			}
			res.add(e)
		}
	}
	res.flush()
	res.rest = buf
	return res
}

func (res *result) add(e wsproto.Event) {
	if e.Kind == wsproto.Data {
		if len(e.Payload) == 0 {
			panic("empty Data event")
		}
		res.data = append(res.data, e.Payload...)
		return
	}
	res.flush()
	res.events = append(res.events, ev{kind: e.Kind, op: e.Opcode, compressed: e.Compressed,
		payload: string(e.Payload), code: e.Code})
}

// flush adds the Data gathered since the last other event as one event.
func (res *result) flush() {
	if res.data != nil {
		res.events = append(res.events, data(string(res.data)))
		res.data = nil
	}
}

// readerCase is a golden decoder case: an input and the events (and error)
// it must give, whatever its split.
type readerCase struct {
	name string
	role wsproto.Role
	opts *wsproto.ReaderOptions
	wire []byte
	want []ev
	// err is nil or the kind of the expected error (wsproto.ErrProtocol,
	// ErrInvalidData, ErrTooBig); code is its close code.
	err  error
	code wsproto.CloseCode
	// enc, if set, encodes want with the package's writer: it must give
	// exactly wire (the table is shared by encoder and decoder).
	enc func() []byte
	// partial: the input ends inside a frame's payload, so trailing bytes
	// would be payload; the trailing-bytes run is skipped.
	partial bool
}

// checkResult compares a result with the case's expectations.
func (c *readerCase) check(t *testing.T, how string, res result) {
	t.Helper()
	if !equalEvents(res.events, c.want) {
		t.Errorf("%s: events\n got %v\nwant %v", how, res.events, c.want)
	}
	if c.err == nil {
		if res.err != nil {
			t.Errorf("%s: unexpected error %v", how, res.err)
		}
		return
	}
	var we *wsproto.Error
	switch {
	case res.err == nil:
		t.Errorf("%s: no error, want %v", how, c.err)
	case !errors.Is(res.err, c.err):
		t.Errorf("%s: error %v, want kind %v", how, res.err, c.err)
	case !errors.As(res.err, &we):
		t.Errorf("%s: error %T is not a *wsproto.Error", how, res.err)
	case we.Code != c.code || we.Fault != wsproto.PeerFault:
		t.Errorf("%s: error %v: code %d fault %v, want code %d, peer fault", how, res.err, we.Code, we.Fault, c.code)
	case len(we.Reason) > wsproto.MaxCloseReasonLen:
		t.Errorf("%s: reason of %d bytes cannot go in a Close frame", how, len(we.Reason))
	}
}

func equalEvents(a, b []ev) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// splitPoints returns the split offsets to try for an input of n bytes:
// all of them for small inputs, those near the ends and a sample otherwise.
func splitPoints(n int) []int {
	if n <= 300 {
		pts := make([]int, 0, n+1)
		for i := 0; i <= n; i++ {
			pts = append(pts, i)
		}
		return pts
	}
	var pts []int
	for i := 0; i <= n; i++ {
		if i < 140 || i > n-140 || i%4099 == 0 {
			pts = append(pts, i)
		}
	}
	return pts
}

// runReaderCase runs c whole, one byte at a time, split in two at every
// offset, and followed by trailing bytes (STYLE.md point 11).
func runReaderCase(t *testing.T, c *readerCase) {
	t.Helper()
	newReader := func() *wsproto.Reader { return wsproto.NewReader(c.role, c.opts) }
	if c.enc != nil {
		if got := c.enc(); !bytes.Equal(got, c.wire) {
			t.Errorf("encoder gives\n% x\nwant\n% x", head(got), head(c.wire))
		}
	}
	whole := feed(newReader(), c.wire, nil)
	c.check(t, "whole", whole)

	bytewise := make([]int, 0, len(c.wire))
	for i := 1; i < len(c.wire); i++ {
		bytewise = append(bytewise, i)
	}
	c.check(t, "byte at a time", feed(newReader(), c.wire, bytewise))

	for _, i := range splitPoints(len(c.wire)) {
		res := feed(newReader(), c.wire, []int{i})
		c.check(t, fmt.Sprintf("split at %d", i), res)
		if t.Failed() {
			return
		}
	}

	if c.partial {
		return
	}
	// Trailing bytes: the start of a Ping header, which fits any state.
	// They must not change the events, and stay unconsumed unless the
	// input ended with a Close frame (then they are discarded).
	trailing := []byte{0x89, 0x05}
	if c.role == wsproto.Server {
		trailing[1] |= 0x80
	}
	res := feed(newReader(), append(append([]byte(nil), c.wire...), trailing...), nil)
	c.check(t, "with trailing bytes", res)
	if c.err == nil && len(whole.rest) == 0 {
		closed := len(c.want) > 0 && c.want[len(c.want)-1].kind == wsproto.Close
		switch {
		case closed && len(res.rest) != 0:
			t.Errorf("trailing bytes after Close: %d left, want them discarded", len(res.rest))
		case !closed && !bytes.Equal(res.rest, trailing):
			t.Errorf("trailing bytes: left % x, want % x", res.rest, trailing)
		}
	}
}

func head(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

// rawFrame builds a frame by hand, independently of the package's writer:
// b0 is the first byte (FIN, RSV bits, opcode), the length goes in form
// (0 for the minimal one, else 7, 16 or 64 bits), and a masked frame uses
// testKey.
func rawFrame(b0 byte, masked bool, payload []byte, form int) []byte {
	n := len(payload)
	if form == 0 {
		switch {
		case n <= 125:
			form = 7
		case n <= 0xFFFF:
			form = 16
		default:
			form = 64
		}
	}
	var mb byte
	if masked {
		mb = 0x80
	}
	out := []byte{b0}
	switch form {
	case 7:
		out = append(out, mb|byte(n))
	case 16:
		out = append(out, mb|126, byte(n>>8), byte(n))
	case 64:
		out = append(out, mb|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	if masked {
		out = append(out, testKey[:]...)
		for i, c := range payload {
			out = append(out, c^testKey[i%4])
		}
		return out
	}
	return append(out, payload...)
}

// peer returns the frame a peer of an endpoint of role sends: masked if
// role is Server.
func peer(role wsproto.Role, b0 byte, payload string) []byte {
	return rawFrame(b0, role == wsproto.Server, []byte(payload), 0)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// The first bytes of frames: FIN and opcode.
const (
	fText   = 0x81
	fBinary = 0x82
	fClose  = 0x88
	fPing   = 0x89
	fPong   = 0x8A
	fLast   = 0x80 // final continuation
	nText   = 0x01 // text, FIN clear
	nBinary = 0x02
	nCont   = 0x00
	rsv1    = 0x40
	rsv2    = 0x20
	rsv3    = 0x10
)

func closePayload(code uint16, reason string) string {
	return string(binary.BigEndian.AppendUint16(nil, code)) + reason
}

// pattern returns n bytes of printable ASCII.
func pattern(n int) string {
	var b strings.Builder
	b.Grow(n)
	for i := 0; i < n; i++ {
		b.WriteByte(byte('a' + i%26))
	}
	return b.String()
}

// binPattern returns n bytes covering all byte values.
func binPattern(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return string(b)
}

// fill fills b with random bytes from rng.
func fill(rng *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
}
