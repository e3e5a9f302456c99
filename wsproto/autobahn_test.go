package wsproto_test

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/gale-io/gale/wsproto"
)

// The case families of the Autobahn test suite that concern the codec,
// rebuilt at the codec level: the same inputs a fuzzing client would send,
// checked event by event (and run whole, byte by byte, split everywhere and
// with trailing bytes like every golden case).

// boundaryLengths straddle the 7-, 16- and 64-bit length forms.
var boundaryLengths = []int{0, 1, 2, 124, 125, 126, 127, 128, 129, 65534, 65535, 65536, 65537}

// family1 (Autobahn 1.*): text and binary messages of every boundary length,
// for both roles.
func family1() []readerCase {
	var cases []readerCase
	for _, role := range []wsproto.Role{S, C} {
		for _, n := range boundaryLengths {
			txt, bin := pattern(n), binPattern(n)
			cases = append(cases,
				readerCase{name: fmt.Sprintf("1.1/%v/text %d", role, n), role: role,
					wire: peer(role, fText, txt), want: msg(wsproto.OpText, txt)},
				readerCase{name: fmt.Sprintf("1.2/%v/binary %d", role, n), role: role,
					wire: peer(role, fBinary, bin), want: msg(wsproto.OpBinary, bin)})
		}
	}
	return cases
}

// family2 (Autobahn 2.*): pings and pongs.
func family2() []readerCase {
	var tenPings []byte
	var tenWant []ev
	for i := 0; i < 10; i++ {
		p := fmt.Sprintf("ping %d", i)
		tenPings = append(tenPings, peer(S, fPing, p)...)
		tenWant = append(tenWant, ping(p))
	}
	return []readerCase{
		{name: "2.1/empty ping", role: S, wire: peer(S, fPing, ""), want: evs(ping(""))},
		{name: "2.2/text ping", role: S, wire: peer(S, fPing, "Hello, world!"), want: evs(ping("Hello, world!"))},
		{name: "2.3/binary ping", role: S, wire: peer(S, fPing, "\x00\xff\xfe\xfd\xfc\xfb\x00\xff"), want: evs(ping("\x00\xff\xfe\xfd\xfc\xfb\x00\xff"))},
		{name: "2.4/125-byte ping", role: S, wire: peer(S, fPing, binPattern(125)), want: evs(ping(binPattern(125)))},
		{name: "2.5/126-byte ping", role: S, wire: peer(S, fPing, binPattern(126)), err: wsproto.ErrProtocol, code: 1002},
		{name: "2.5/126-byte ping, header only", role: C, wire: []byte{fPing, 126}, err: wsproto.ErrProtocol, code: 1002},
		{name: "2.7/unsolicited pong", role: S, wire: peer(S, fPong, ""), want: evs(pong(""))},
		{name: "2.8/unsolicited pong with payload", role: S, wire: peer(S, fPong, "unsolicited"), want: evs(pong("unsolicited"))},
		{name: "2.9/pong then ping", role: C, wire: cat(peer(C, fPong, "x"), peer(C, fPing, "y")), want: evs(pong("x"), ping("y"))},
		{name: "2.10/ten pings", role: S, wire: tenPings, want: tenWant},
	}
}

// family3 (Autobahn 3.*): reserved bits, alone and after a valid message.
func family3() []readerCase {
	var cases []readerCase
	for rsv := byte(1); rsv <= 7; rsv++ {
		bits := rsv << 4
		for _, f := range []struct {
			name string
			b0   byte
		}{{"text", fText}, {"binary", fBinary}, {"ping", fPing}, {"close", fClose}} {
			for _, deflate := range []bool{false, true} {
				c := readerCase{name: fmt.Sprintf("3.%d/%s/deflate=%v", rsv, f.name, deflate), role: S,
					opts: &wsproto.ReaderOptions{Deflate: deflate},
					wire: cat(peer(S, fText, "ok"), peer(S, f.b0|bits, ""), peer(S, fPing, "after")),
					want: msg(wsproto.OpText, "ok"), err: wsproto.ErrProtocol, code: 1002}
				if rsv == 4 && deflate && (f.b0 == fText || f.b0 == fBinary) {
					// RSV1 alone on a data frame: a compressed message.
					c.want = evs(c.want, start(wsproto.Opcode(f.b0&0xF)), ev{kind: wsproto.MessageEnd}, ping("after"))
					c.want[3].compressed = true
					c.err, c.code = nil, 0
				}
				cases = append(cases, c)
			}
		}
	}
	return cases
}

// family4 (Autobahn 4.*): reserved opcodes, with and without payload, after
// a valid message.
func family4() []readerCase {
	var cases []readerCase
	for _, op := range []byte{3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF} {
		for _, p := range []string{"", "reserved"} {
			cases = append(cases, readerCase{name: fmt.Sprintf("4/opcode %x/%d bytes", op, len(p)), role: S,
				wire: cat(peer(S, fText, "ok"), peer(S, 0x80|op, p), peer(S, fPing, "")),
				want: msg(wsproto.OpText, "ok"), err: wsproto.ErrProtocol, code: 1002})
		}
	}
	return cases
}

// family5 (Autobahn 5.*): fragmentation.
func family5() []readerCase {
	oneByte := []byte(nil)
	s := "fragmented into one-byte frames"
	for i := 0; i < len(s); i++ {
		b0 := byte(nCont)
		switch {
		case i == 0:
			b0 = nText
		case i == len(s)-1:
			b0 = fLast
		}
		oneByte = append(oneByte, peer(S, b0, s[i:i+1])...)
	}
	return []readerCase{
		{name: "5.1/fragmented ping", role: S, wire: cat(peer(S, 0x09, "frag"), peer(S, fLast, "ment")), err: wsproto.ErrProtocol, code: 1002},
		{name: "5.2/fragmented pong", role: S, wire: cat(peer(S, 0x0A, "frag"), peer(S, fLast, "ment")), err: wsproto.ErrProtocol, code: 1002},
		{name: "5.2/fragmented close", role: C, wire: peer(C, 0x08, closePayload(1000, "")), err: wsproto.ErrProtocol, code: 1002},
		{name: "5.3/text in two", role: S, wire: cat(peer(S, nText, "frag"), peer(S, fLast, "ment")), want: msg(wsproto.OpText, "fragment")},
		{name: "5.5/text in two, client", role: C, wire: cat(peer(C, nText, "frag"), peer(C, fLast, "ment")), want: msg(wsproto.OpText, "fragment")},
		{name: "5.6/ping between fragments", role: S, wire: cat(peer(S, nText, "frag"), peer(S, fPing, "p"), peer(S, fLast, "ment")),
			want: evs(start(wsproto.OpText), data("frag"), ping("p"), data("ment"), end)},
		{name: "5.8/pong between fragments", role: C, wire: cat(peer(C, nBinary, "frag"), peer(C, fPong, ""), peer(C, fLast, "ment")),
			want: evs(start(wsproto.OpBinary), data("frag"), pong(""), data("ment"), end)},
		{name: "5.9/final continuation first", role: S, wire: cat(peer(S, fLast, "x"), peer(S, fText, "y")), err: wsproto.ErrProtocol, code: 1002},
		{name: "5.10/continuation first", role: S, wire: cat(peer(S, nCont, "x"), peer(S, fLast, "y")), err: wsproto.ErrProtocol, code: 1002},
		{name: "5.12/continuation after a message", role: S, wire: cat(peer(S, fText, "a"), peer(S, fLast, "x")),
			want: msg(wsproto.OpText, "a"), err: wsproto.ErrProtocol, code: 1002},
		{name: "5.15/continuation after fragmented message", role: S,
			wire: cat(peer(S, nText, "a"), peer(S, fLast, "b"), peer(S, nCont, "c"), peer(S, fLast, "d")),
			want: msg(wsproto.OpText, "ab"), err: wsproto.ErrProtocol, code: 1002},
		{name: "5.16/empty fragments", role: S, wire: cat(peer(S, nText, ""), peer(S, nCont, ""), peer(S, fLast, "")), want: msg(wsproto.OpText, "")},
		{name: "5.17/empty then data", role: S, wire: cat(peer(S, nBinary, ""), peer(S, nCont, "x"), peer(S, fLast, "")), want: msg(wsproto.OpBinary, "x")},
		{name: "5.18/text inside fragmented text", role: S, wire: cat(peer(S, nText, "a"), peer(S, fText, "b")),
			want: evs(start(wsproto.OpText), data("a")), err: wsproto.ErrProtocol, code: 1002},
		{name: "5.19/pings between many fragments", role: C,
			wire: cat(peer(C, nText, "1"), peer(C, fPing, "a"), peer(C, nCont, "2"), peer(C, fPing, "b"), peer(C, nCont, "3"), peer(C, fLast, "4")),
			want: evs(start(wsproto.OpText), data("1"), ping("a"), data("2"), ping("b"), data("34"), end)},
		{name: "5.20/close between fragments", role: S, wire: cat(peer(S, nText, "a"), peer(S, fClose, closePayload(1000, "")), peer(S, fLast, "b")),
			want: evs(start(wsproto.OpText), data("a"), closeEv(1000, ""))},
		{name: "5/one-byte fragments", role: S, wire: oneByte, want: msg(wsproto.OpText, s)},
	}
}

// utf8Valid are the valid strings of Autobahn 6.2-6.5 and 6.7, 6.22 (the
// boundaries of each sequence length, noncharacters included).
var utf8Valid = []string{
	"Hello-µ@ßöäüàá-UTF-8!!",
	"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", // κόσμε
	"\x00", "\xc2\x80", "\xe0\xa0\x80", "\xf0\x90\x80\x80", // first of each length
	"\x7f", "\xdf\xbf", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf", // last of each length
	"\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbd", // around the surrogates
	"\xef\xbf\xbe", "\xf0\x9f\xbf\xbf", "\xf3\xbf\xbf\xbf", // noncharacters are valid
}

// utf8Invalid are invalid strings of Autobahn 6.3, 6.6, 6.8-6.21.
var utf8Invalid = []string{
	"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited", // 6.3: surrogate inside text
	"\xce\xba\xe1\xbd",                                 // 6.6: truncated at the end
	"\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80", // 5- and 6-byte forms
	"\xf4\x90\x80\x80", "\xf7\xbf\xbf\xbf", // above U+10FFFF
	"\x80", "\xbf", "\x80\xbf\x80", // lone continuation bytes
	"\xc0 ", "\xe0\x80 ", "\xf0\x80\x80 ", // lone leads followed by a space
	"\xc2", "\xe0\xa0", "\xf0\x90\x80", // truncated sequences
	"\xfe", "\xff", "\xfe\xfe\xff\xff",
	"\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", // overlong "/"
	"\xc1\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf", // maximal overlongs
	"\xc0\x80", "\xe0\x80\x80", // overlong NUL
	"\xed\xa0\x80", "\xed\xad\xbf", "\xed\xbf\xbf", "\xed\xa0\x80\xed\xb0\x80", // surrogates and pairs
}

// fragmentText returns s as a text message in frames of k bytes (the last
// may be shorter), as a peer of role S sends it.
func fragmentText(s string, k int) []byte {
	var out []byte
	for i := 0; i < len(s) || i == 0; i += k {
		j := min(i+k, len(s))
		b0 := byte(nCont)
		if i == 0 {
			b0 = nText
		}
		if j == len(s) {
			b0 |= 0x80
		}
		out = append(out, peer(S, b0, s[i:j])...)
		if j == len(s) {
			break
		}
	}
	return out
}

// family6 (Autobahn 6.*): UTF-8 in text messages, whole and in fragments of
// every size (so fragment boundaries fall inside sequences). An invalid
// message fails with 1007 after exactly its longest valid prefix.
func family6() []readerCase {
	var cases []readerCase
	for i, s := range utf8Valid {
		for k := 1; k <= len(s); k++ {
			cases = append(cases, readerCase{name: fmt.Sprintf("6/valid %d/frames of %d", i, k), role: S,
				wire: fragmentText(s, k), want: msg(wsproto.OpText, s)})
		}
	}
	for i, s := range utf8Invalid {
		prefix := s[:validPrefixLen([]byte(s))]
		want := []ev{start(wsproto.OpText)}
		if prefix != "" {
			want = append(want, data(prefix))
		}
		for _, k := range []int{1, 2, 3, len(s)} {
			cases = append(cases, readerCase{name: fmt.Sprintf("6/invalid %d/frames of %d", i, k), role: S,
				wire: fragmentText(s, k), want: want, err: wsproto.ErrInvalidData, code: 1007})
		}
		// Binary messages are not checked.
		cases = append(cases, readerCase{name: fmt.Sprintf("6/invalid %d/binary", i), role: S,
			wire: peer(S, fBinary, s), want: msg(wsproto.OpBinary, s)})
	}
	// Fail fast: the error comes at the bad byte, not at the message's end.
	cases = append(cases, readerCase{name: "6.4/fail fast", role: S,
		wire: cat(peer(S, nText, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"), peer(S, nCont, "\xf4\x90\x80\x80"))[:27],
		want: evs(start(wsproto.OpText), data("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4")), err: wsproto.ErrInvalidData, code: 1007})
	return cases
}

// family7 (Autobahn 7.*): closing.
func family7() []readerCase {
	cases := []readerCase{
		{name: "7.1.1/message then close", role: S, wire: cat(peer(S, fText, "Hello"), peer(S, fClose, closePayload(1000, ""))),
			want: evs(msg(wsproto.OpText, "Hello"), closeEv(1000, ""))},
		{name: "7.1.3/ping after close ignored", role: S, wire: cat(peer(S, fClose, closePayload(1000, "")), peer(S, fPing, "x")),
			want: evs(closeEv(1000, ""))},
		{name: "7.1.4/text after close ignored", role: S, wire: cat(peer(S, fClose, closePayload(1000, "")), peer(S, fText, "x")),
			want: evs(closeEv(1000, ""))},
		{name: "7.1.5/close inside fragmented message", role: S, wire: cat(peer(S, nText, "frag"), peer(S, fClose, closePayload(1000, "")), peer(S, fLast, "ment")),
			want: evs(start(wsproto.OpText), data("frag"), closeEv(1000, ""))},
		{name: "7.3.1/empty close", role: S, wire: peer(S, fClose, ""), want: evs(closeEv(1005, ""))},
		{name: "7.3.2/one-byte close", role: S, wire: peer(S, fClose, "\x03"), err: wsproto.ErrProtocol, code: 1002},
		{name: "7.3.3/code only", role: S, wire: peer(S, fClose, closePayload(1000, "")), want: evs(closeEv(1000, ""))},
		{name: "7.3.4/code and reason", role: S, wire: peer(S, fClose, closePayload(1000, "Hello World!")), want: evs(closeEv(1000, "Hello World!"))},
		{name: "7.3.5/123-byte reason", role: S, wire: peer(S, fClose, closePayload(1000, pattern(123))), want: evs(closeEv(1000, pattern(123)))},
		{name: "7.3.6/124-byte reason", role: S, wire: peer(S, fClose, closePayload(1000, pattern(124))), err: wsproto.ErrProtocol, code: 1002},
		{name: "7.5.1/invalid utf8 reason", role: S, wire: peer(S, fClose, closePayload(1000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited")),
			err: wsproto.ErrInvalidData, code: 1007},
		{name: "7.5.1/utf8 reason", role: C, wire: peer(C, fClose, closePayload(1001, "κόσμε")), want: evs(closeEv(1001, "κόσμε"))},
	}
	for _, code := range []uint16{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999} {
		cases = append(cases, readerCase{name: fmt.Sprintf("7.7/code %d", code), role: S,
			wire: peer(S, fClose, closePayload(code, "")), want: evs(closeEv(wsproto.CloseCode(code), ""))})
	}
	for _, code := range []uint16{0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535} {
		cases = append(cases, readerCase{name: fmt.Sprintf("7.9/code %d", code), role: S,
			wire: peer(S, fClose, closePayload(code, "")), err: wsproto.ErrProtocol, code: 1002})
	}
	return cases
}

// family9 (Autobahn 9.*, at the codec level): large messages against the
// limits, whole and in frames.
func family9() []readerCase {
	const limit = 1 << 16
	opts := &wsproto.ReaderOptions{MaxMessageSize: limit}
	big := pattern(limit)
	var frames4k, frames4kOver []byte
	for i := 0; i < limit; i += 4096 {
		b0 := byte(nCont)
		if i == 0 {
			b0 = nText
		}
		if i+4096 == limit {
			frames4kOver = append(frames4kOver, peer(S, b0, big[i:i+4096])...)
			b0 |= 0x80
		}
		frames4k = append(frames4k, peer(S, b0, big[i:i+4096])...)
		if b0&0x80 == 0 {
			frames4kOver = append(frames4kOver, peer(S, b0, big[i:i+4096])...)
		}
	}
	frames4kOver = append(frames4kOver, peer(S, fLast, "x")...)
	return []readerCase{
		{name: "9.1/text at the limit", role: S, opts: opts, wire: peer(S, fText, big), want: msg(wsproto.OpText, big)},
		{name: "9.1/text over the limit", role: S, opts: opts, wire: peer(S, fText, big+"x")[:14], err: wsproto.ErrTooBig, code: 1009},
		{name: "9.2/binary over the limit", role: C, opts: opts, wire: peer(C, fBinary, big+"x")[:10], err: wsproto.ErrTooBig, code: 1009},
		{name: "9.3/4 KiB frames at the limit", role: S, opts: opts, wire: frames4k, want: msg(wsproto.OpText, big)},
		{name: "9.3/4 KiB frames over the limit", role: S, opts: opts, wire: frames4kOver,
			want: evs(start(wsproto.OpText), data(big)), err: wsproto.ErrTooBig, code: 1009},
	}
}

// family10 (Autobahn 10.1.1): a 64 KiB text message auto-fragmented into
// 1300-byte frames.
func family10() []readerCase {
	s := strings.Repeat("*", 65536)
	return []readerCase{{name: "10.1.1/64 KiB in 1300-byte frames", role: S, wire: fragmentText(s, 1300), want: msg(wsproto.OpText, s)}}
}

// unmaskedWire returns the frames of w (as a client sends them, masked)
// as a server sends them: unmasked, without the keys. The last frame may
// be cut short; bytes too few to make a header are kept as they are.
func unmaskedWire(w []byte) []byte {
	var out []byte
	for len(w) >= 2 {
		hl, n := 2, int(w[1]&0x7f)
		switch n {
		case 126:
			hl = 4
		case 127:
			hl = 10
		}
		if len(w) < hl {
			break
		}
		switch n {
		case 126:
			n = int(binary.BigEndian.Uint16(w[2:]))
		case 127:
			n = int(binary.BigEndian.Uint64(w[2:]))
		}
		if w[1]&0x80 == 0 {
			k := min(len(w), hl+n)
			out, w = append(out, w[:k]...), w[k:]
			continue
		}
		out = append(out, w[0], w[1]&^0x80)
		out = append(out, w[2:hl]...)
		if len(w) < hl+4 {
			return out
		}
		key, p := [4]byte(w[hl:hl+4]), w[hl+4:]
		p = p[:min(len(p), n)]
		for i, c := range p {
			out = append(out, c^key[i%4])
		}
		w = w[hl+4+len(p):]
	}
	return append(out, w...)
}

func TestReaderAutobahn(t *testing.T) {
	families := []struct {
		name  string
		cases []readerCase
	}{
		{"1", family1()}, {"2", family2()}, {"3", family3()}, {"4", family4()},
		{"5", family5()}, {"6", family6()}, {"7", family7()}, {"9", family9()},
		{"10", family10()},
	}
	// Every case is run in both roles: the same frames, masked when a
	// client sends them to a server and not when a server sends them to a
	// client.
	for i := range families {
		for _, c := range families[i].cases {
			if c.role == S {
				c.name, c.role, c.wire = "client/"+c.name, C, unmaskedWire(c.wire)
				families[i].cases = append(families[i].cases, c)
			}
		}
	}
	for _, f := range families {
		t.Run(f.name, func(t *testing.T) {
			for _, c := range f.cases {
				if raceEnabled && testing.Short() && len(c.wire) > 1<<12 {
					continue
				}
				t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) { runReaderCase(t, &c) })
			}
		})
	}
}
