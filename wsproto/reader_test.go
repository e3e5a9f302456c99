package wsproto_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"unicode/utf8"

	"github.com/gale-io/gale/wsproto"
)

var (
	S = wsproto.Server
	C = wsproto.Client
)

func hexBytes(s string) []byte {
	var out []byte
	for _, f := range bytes.Fields([]byte(s)) {
		var b byte
		fmt.Sscanf(string(f), "%x", &b)
		out = append(out, b)
	}
	return out
}

// goldenCases are hand-written cases, the RFC's examples first.
func goldenCases() []readerCase {
	hello := "Hello"
	bin256, bin64k := binPattern(256), binPattern(65536)
	deflate := &wsproto.ReaderOptions{Deflate: true}
	return []readerCase{
		// RFC 6455 section 5.7.
		{name: "rfc/unmasked text", role: C, wire: hexBytes("81 05 48 65 6c 6c 6f"), want: msg(wsproto.OpText, hello),
			enc: func() []byte {
				return wsproto.AppendFrame(nil, true, false, wsproto.OpText, false, testKey, []byte(hello))
			}},
		{name: "rfc/masked text", role: S, wire: hexBytes("81 85 37 fa 21 3d 7f 9f 4d 51 58"), want: msg(wsproto.OpText, hello),
			enc: func() []byte {
				return wsproto.AppendFrame(nil, true, false, wsproto.OpText, true, testKey, []byte(hello))
			}},
		{name: "rfc/fragmented text", role: C, wire: hexBytes("01 03 48 65 6c 80 02 6c 6f"), want: msg(wsproto.OpText, hello),
			enc: func() []byte {
				b := wsproto.AppendFrame(nil, false, false, wsproto.OpText, false, testKey, []byte("Hel"))
				return wsproto.AppendFrame(b, true, false, wsproto.OpContinuation, false, testKey, []byte("lo"))
			}},
		{name: "rfc/unmasked ping", role: C, wire: hexBytes("89 05 48 65 6c 6c 6f"), want: evs(ping(hello)),
			enc: func() []byte { b, _ := wsproto.AppendPing(nil, false, testKey, []byte(hello)); return b }},
		{name: "rfc/masked pong", role: S, wire: hexBytes("8a 85 37 fa 21 3d 7f 9f 4d 51 58"), want: evs(pong(hello)),
			enc: func() []byte { b, _ := wsproto.AppendPong(nil, true, testKey, []byte(hello)); return b }},
		{name: "rfc/256 bytes", role: C, wire: cat(hexBytes("82 7e 01 00"), []byte(bin256)), want: msg(wsproto.OpBinary, bin256),
			enc: func() []byte {
				return wsproto.AppendFrame(nil, true, false, wsproto.OpBinary, false, testKey, []byte(bin256))
			}},
		{name: "rfc/64KiB", role: C, wire: cat(hexBytes("82 7f 00 00 00 00 00 01 00 00"), []byte(bin64k)), want: msg(wsproto.OpBinary, bin64k),
			enc: func() []byte {
				return wsproto.AppendFrame(nil, true, false, wsproto.OpBinary, false, testKey, []byte(bin64k))
			}},
		{name: "rfc/64KiB masked", role: S, wire: rawFrame(fBinary, true, []byte(bin64k), 0), want: msg(wsproto.OpBinary, bin64k),
			enc: func() []byte {
				return wsproto.AppendFrame(nil, true, false, wsproto.OpBinary, true, testKey, []byte(bin64k))
			}},

		// Close frames.
		{name: "close/normal", role: C, wire: hexBytes("88 02 03 e8"), want: evs(closeEv(1000, "")),
			enc: func() []byte { b, _ := wsproto.AppendClose(nil, false, testKey, 1000, ""); return b }},
		{name: "close/reason masked", role: S, wire: peer(S, fClose, closePayload(1001, "bye")), want: evs(closeEv(1001, "bye")),
			enc: func() []byte {
				b, _ := wsproto.AppendClose(nil, true, testKey, wsproto.CloseGoingAway, "bye")
				return b
			}},
		{name: "close/empty", role: C, wire: hexBytes("88 00"), want: evs(closeEv(wsproto.CloseNoStatusReceived, "")),
			enc: func() []byte { b, _ := wsproto.AppendClose(nil, false, testKey, 0, ""); return b }},
		{name: "close/then garbage", role: S, wire: cat(peer(S, fClose, closePayload(1000, "")), []byte{0xff, 0xff, 0xff}),
			want: evs(closeEv(1000, ""))},
		{name: "close/one byte", role: C, wire: hexBytes("88 01 03"), err: wsproto.ErrProtocol, code: 1002},
		{name: "close/bad utf8 reason", role: C, wire: peer(C, fClose, closePayload(1000, "\xff")), err: wsproto.ErrInvalidData, code: 1007},
		{name: "close/code 1005", role: C, wire: peer(C, fClose, closePayload(1005, "")), err: wsproto.ErrProtocol, code: 1002},

		// Masking by role.
		{name: "mask/server gets unmasked", role: S, wire: hexBytes("81 05 48 65 6c 6c 6f"), err: wsproto.ErrProtocol, code: 1002},
		{name: "mask/client gets masked", role: C, wire: hexBytes("81 85 37 fa 21 3d 7f 9f 4d 51 58"), err: wsproto.ErrProtocol, code: 1002},
		{name: "mask/error before key", role: S, wire: hexBytes("82 05"), err: wsproto.ErrProtocol, code: 1002},

		// Length encodings (RFC 6455 section 5.2: the minimal form MUST be used).
		{name: "length/16-bit for 125", role: C, wire: rawFrame(fBinary, false, []byte(pattern(125)), 16), err: wsproto.ErrProtocol, code: 1002},
		{name: "length/16-bit for 126", role: C, wire: rawFrame(fBinary, false, []byte(pattern(126)), 16), want: msg(wsproto.OpBinary, pattern(126))},
		{name: "length/64-bit for 65535", role: C, wire: rawFrame(fBinary, false, []byte(pattern(65535)), 64), err: wsproto.ErrProtocol, code: 1002},
		{name: "length/64-bit for 5", role: C, wire: rawFrame(fBinary, false, []byte("12345"), 64), err: wsproto.ErrProtocol, code: 1002},
		{name: "length/64-bit top bit", role: C, wire: hexBytes("82 7f 80 00 00 00 00 00 00 00"), err: wsproto.ErrProtocol, code: 1002},
		{name: "length/63-bit huge", role: C, wire: hexBytes("82 7f 7f ff ff ff ff ff ff ff"), err: wsproto.ErrTooBig, code: 1009},

		// Extension bits.
		{name: "rsv1/without deflate", role: S, wire: peer(S, fText|rsv1, "x"), err: wsproto.ErrProtocol, code: 1002},
		{name: "rsv1/with deflate", role: S, opts: deflate, wire: peer(S, fText|rsv1, "\xf2\x48\xcd\xc9\xc9\x07\x00"),
			want: evs(startC(wsproto.OpText), data("\xf2\x48\xcd\xc9\xc9\x07\x00"), end),
			enc: func() []byte {
				return wsproto.AppendFrame(nil, true, true, wsproto.OpText, true, testKey, []byte("\xf2\x48\xcd\xc9\xc9\x07\x00"))
			}},
		{name: "rsv1/on continuation", role: S, opts: deflate, wire: cat(peer(S, nText|rsv1, "a"), peer(S, fLast|rsv1, "b")),
			want: evs(startC(wsproto.OpText), data("a")), err: wsproto.ErrProtocol, code: 1002},
		{name: "rsv1/on ping", role: S, opts: deflate, wire: peer(S, fPing|rsv1, ""), err: wsproto.ErrProtocol, code: 1002},
		{name: "rsv1/compressed text not validated", role: C, opts: deflate, wire: peer(C, fText|rsv1, "\xff\xfe"),
			want: evs(startC(wsproto.OpText), data("\xff\xfe"), end)},
		{name: "rsv2", role: C, wire: peer(C, fText|rsv2, "x"), err: wsproto.ErrProtocol, code: 1002},
		{name: "rsv3", role: C, wire: peer(C, fText|rsv3, "x"), err: wsproto.ErrProtocol, code: 1002},

		// Size limits.
		{name: "limit/header alone suffices", role: S, opts: &wsproto.ReaderOptions{MaxMessageSize: 10},
			wire: hexBytes("82 8b"), err: wsproto.ErrTooBig, code: 1009},
		{name: "limit/exact", role: S, opts: &wsproto.ReaderOptions{MaxMessageSize: 10},
			wire: peer(S, fBinary, "0123456789"), want: msg(wsproto.OpBinary, "0123456789")},
		{name: "limit/fragments", role: S, opts: &wsproto.ReaderOptions{MaxMessageSize: 10},
			wire: cat(peer(S, nBinary, "01234"), peer(S, fPing, "p"), peer(S, fLast, "567890")),
			want: evs(start(wsproto.OpBinary), data("01234"), ping("p")), err: wsproto.ErrTooBig, code: 1009},
		{name: "limit/next message starts afresh", role: S, opts: &wsproto.ReaderOptions{MaxMessageSize: 10},
			wire: cat(peer(S, fBinary, "0123456789"), peer(S, fText, "0123456789")),
			want: evs(msg(wsproto.OpBinary, "0123456789"), msg(wsproto.OpText, "0123456789"))},
		{name: "limit/frame", role: C, opts: &wsproto.ReaderOptions{MaxFrameSize: 4},
			wire: cat(peer(C, nText, "0123"), peer(C, fLast, "45678")),
			want: evs(start(wsproto.OpText), data("0123")), err: wsproto.ErrTooBig, code: 1009},
		{name: "limit/frame ok in pieces", role: C, opts: &wsproto.ReaderOptions{MaxFrameSize: 4},
			wire: cat(peer(C, nText, "0123"), peer(C, nCont, "4567"), peer(C, fLast, "8")),
			want: msg(wsproto.OpText, "012345678")},
		{name: "limit/default exceeded", role: C, wire: hexBytes("82 7f 00 00 00 00 00 a0 00 01"), err: wsproto.ErrTooBig, code: 1009},
		{name: "limit/default met", role: C, wire: hexBytes("82 7f 00 00 00 00 00 a0 00 00"), want: evs(start(wsproto.OpBinary)), partial: true},
	}
}

func TestReaderGolden(t *testing.T) {
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) { runReaderCase(t, &c) })
	}
}

// Frames must be complete; a partial input leaves its bytes unconsumed
// until the frame header (or the whole control frame) is there.
func TestReaderNeedMore(t *testing.T) {
	r := wsproto.NewReader(S, nil)
	frame := peer(S, fPing, "hello")
	for i := 0; i < len(frame); i++ {
		e, n, err := r.Next(frame[:i:i])
		if err != nil || e.Kind != wsproto.NeedMore || n != 0 {
			t.Fatalf("Next(%d bytes of a ping) = %v, %d, %v; want NeedMore, 0, nil", i, e, n, err)
		}
	}
	// A data frame's header is consumed as soon as it is whole.
	r = wsproto.NewReader(S, nil)
	frame = peer(S, fBinary, "hello")
	e, n, err := r.Next(frame[:6])
	if err != nil || e.Kind != wsproto.MessageStart || n != 6 {
		t.Fatalf("Next(header) = %v, %d, %v; want MessageStart, 6", e, n, err)
	}
	e, n, err = r.Next(nil)
	if err != nil || e.Kind != wsproto.NeedMore || n != 0 {
		t.Fatalf("Next(nil) = %v, %d, %v; want NeedMore", e, n, err)
	}
	e, n, err = r.Next(frame[6:8])
	if err != nil || e.Kind != wsproto.Data || n != 2 || string(e.Payload) != "he" {
		t.Fatalf("Next(2 bytes) = %v %q, %d, %v; want Data \"he\", 2", e, e.Payload, n, err)
	}
}

// Next unmasks in place, and the payload aliases the input.
func TestReaderInPlace(t *testing.T) {
	in := peer(S, fText, "Hello")
	r := wsproto.NewReader(S, nil)
	_, n, _ := r.Next(in)
	e, _, err := r.Next(in[n:])
	if err != nil || string(e.Payload) != "Hello" {
		t.Fatalf("got %v %q, %v", e, e.Payload, err)
	}
	if &e.Payload[0] != &in[n] {
		t.Error("Data payload does not alias the input")
	}
	if string(in[n:]) != "Hello" {
		t.Errorf("input after Next: %q, want it unmasked in place", in[n:])
	}
}

// An error is final, and Reset starts over.
func TestReaderStickyErrorAndReset(t *testing.T) {
	r := wsproto.NewReader(S, nil)
	_, _, err1 := r.Next([]byte{0x83})
	_, _, err2 := r.Next(peer(S, fText, "ok"))
	if err1 == nil || err1 != err2 {
		t.Fatalf("errors %v, %v: want the same error twice", err1, err2)
	}
	r.Reset()
	res := feed(r, peer(S, fText, "ok"), nil)
	if res.err != nil || !equalEvents(res.events, msg(wsproto.OpText, "ok")) {
		t.Fatalf("after Reset: %v, %v", res.events, res.err)
	}
}

func TestReaderInvalidRole(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewReader(0) did not panic")
		}
	}()
	wsproto.NewReader(0, nil)
}

// The error of a missing transition names the state and the frame kind.
func TestReaderTransitionErrors(t *testing.T) {
	cases := []struct {
		wire   []byte
		reason string
	}{
		{peer(S, fLast, "x"), "unexpected final continuation frame in state Idle"},
		{peer(S, nCont, "x"), "unexpected continuation frame in state Idle"},
		{cat(peer(S, nText, "x"), peer(S, fText, "y")), "unexpected data frame in state InMessage"},
		{cat(peer(S, nText, "x"), peer(S, nBinary, "y")), "unexpected first fragment frame in state InMessage"},
	}
	for _, c := range cases {
		res := feed(wsproto.NewReader(S, nil), c.wire, nil)
		var e *wsproto.Error
		if !errors.As(res.err, &e) || e.Reason != c.reason || e.Code != wsproto.CloseProtocolError {
			t.Errorf("% x: error %v, want reason %q", c.wire, res.err, c.reason)
		}
	}
}

func TestEventString(t *testing.T) {
	cases := map[string]wsproto.Event{
		"NeedMore":                           {},
		"MessageStart(Text, compressed)":     {Kind: wsproto.MessageStart, Opcode: wsproto.OpText, Compressed: true},
		"Data(3 bytes)":                      {Kind: wsproto.Data, Payload: []byte("abc")},
		"Close(1000 Normal, \"bye\")":        {Kind: wsproto.Close, Code: 1000, Payload: []byte("bye")},
		"Ping(0 bytes)":                      {Kind: wsproto.Ping},
		"MessageStart(Binary)":               {Kind: wsproto.MessageStart, Opcode: wsproto.OpBinary},
		"MessageEnd":                         {Kind: wsproto.MessageEnd},
		"Close(1005 NoStatusReceived, \"\")": {Kind: wsproto.Close, Code: 1005},
	}
	for want, e := range cases {
		if got := e.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", e, got, want)
		}
	}
	if got := wsproto.EventKind(9).String(); got != "EventKind(9)" {
		t.Errorf("EventKind(9) = %q", got)
	}
	if wsproto.Server.String() != "Server" || wsproto.Client.String() != "Client" || wsproto.Role(7).String() != "Role(7)" {
		t.Error("Role.String")
	}
}

// Random text messages, mostly UTF-8 with damage here and there, cut into
// random fragments with Pings between them and fed in random reads, in both
// roles: each message gives its longest valid prefix as Data, then either
// MessageEnd (valid) or a 1007 error, at the first byte that can no longer
// become valid or at the end of a message left inside a sequence. The
// oracle is unicode/utf8.
func TestReaderTextRandom(t *testing.T) {
	runes := []rune{'a', 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x10ffff, 'κ', '€'}
	rng := rand.New(rand.NewPCG(21, 22))
	n := 3000
	if raceEnabled {
		n = 500
	}
	for iter := 0; iter < n; iter++ {
		role := []wsproto.Role{S, C}[iter%2]
		var wire []byte
		var want []ev
		failed := false
		for m := 1 + rng.IntN(3); m > 0 && !failed; m-- {
			var text []byte
			for k := rng.IntN(12); k > 0; k-- {
				enc := utf8.AppendRune(nil, runes[rng.IntN(len(runes))])
				switch rng.IntN(12) {
				case 0: // a sequence cut short
					enc = enc[:rng.IntN(len(enc))+1]
				case 1: // a random byte
					enc = []byte{byte(rng.IntN(256))}
				case 2: // a surrogate, overlong or out-of-range form
					enc = [][]byte{{0xed, 0xa0, 0x80}, {0xc0, 0xaf}, {0xe0, 0x80, 0xaf}, {0xf4, 0x90, 0x80, 0x80}, {0xf5}}[rng.IntN(5)]
				}
				text = append(text, enc...)
			}
			// Fragments, with Pings between them.
			first := true
			for rest := text; first || len(rest) > 0; first = false {
				k := min(len(rest), rng.IntN(6))
				b0 := byte(nCont)
				if first {
					b0 = nText
				}
				if k == len(rest) {
					b0 |= 0x80
				}
				wire = append(wire, peer(role, b0, string(rest[:k]))...)
				rest = rest[k:]
				if len(rest) > 0 && rng.IntN(3) == 0 {
					wire = append(wire, peer(role, fPing, "p")...)
				}
			}
			want = append(want, start(wsproto.OpText))
			switch p := validPrefixLen(text); {
			case utf8.Valid(text):
				want = append(want, msg(wsproto.OpText, string(text))[1:]...)
			case p > 0:
				want = append(want, data(string(text[:p])))
				failed = true
			default:
				failed = true
			}
		}
		// Pings are left out of the comparison: where they fall between
		// Data depends on the damage.
		var cuts []int
		for i := 1; i < len(wire); i++ {
			if rng.IntN(4) == 0 {
				cuts = append(cuts, i)
			}
		}
		res := feed(wsproto.NewReader(role, nil), wire, cuts)
		var got []ev
		var pending string
		for _, e := range res.events {
			switch {
			case e.kind == wsproto.Ping:
			case e.kind == wsproto.Data:
				pending += e.payload
			default:
				if pending != "" {
					got = append(got, data(pending))
					pending = ""
				}
				got = append(got, e)
			}
		}
		if pending != "" {
			got = append(got, data(pending))
		}
		var we *wsproto.Error
		switch {
		case !equalEvents(got, want):
			t.Fatalf("%v, % x:\n got %v\nwant %v (%v)", role, wire, got, want, res.err)
		case failed && (!errors.As(res.err, &we) || we.Code != wsproto.CloseInvalidPayload):
			t.Fatalf("%v, % x: error %v, want 1007", role, wire, res.err)
		case !failed && res.err != nil:
			t.Fatalf("%v, % x: error %v", role, wire, res.err)
		}
	}
}
