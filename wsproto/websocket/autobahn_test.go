package websocket

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gale-io/gale/wsproto"
)

// The Autobahn testsuite's families, at the glue's level: a raw client sends
// crafted frames and the test checks the server's reaction: the echo, a
// Close frame with the right code followed by the end of the connection, or
// nothing. Each small case also runs with its bytes sent one at a time.

type abCase struct {
	name string
	send [][]byte
	// echo: the frames the server must send back, in order.
	echo []rawFrame
	// close: the code of the server's Close frame (the server must then
	// close TCP); 0 means the connection stays open (the test closes it
	// with 1000 and expects the echo).
	close wsproto.CloseCode
	// ext: the Sec-WebSocket-Extensions offer, if any.
	ext string
}

func text(s string) rawFrame                          { return rawFrame{fin: true, op: wsproto.OpText, payload: []byte(s)} }
func binMsg(b []byte) rawFrame                        { return rawFrame{fin: true, op: wsproto.OpBinary, payload: b} }
func pong(b []byte) rawFrame                          { return rawFrame{fin: true, op: wsproto.OpPong, payload: b} }
func fr(fin bool, op wsproto.Opcode, p string) []byte { return frame(fin, false, op, []byte(p)) }

func rawHdr(b0 byte, payload string) []byte {
	// A masked frame with an arbitrary first byte (reserved bits/opcodes).
	f := frame(true, false, wsproto.OpText, []byte(payload))
	f[0] = b0
	return f
}

func abCases() []abCase {
	var cs []abCase
	// 1: framing, every length encoding.
	for _, n := range []int{0, 1, 125, 126, 127, 128, 65535, 65536, 65537} {
		p := strings.Repeat("*", n)
		b := bytes.Repeat([]byte{0xFE}, n)
		cs = append(cs,
			abCase{name: "1.1 text " + itoa(n), send: [][]byte{fr(true, wsproto.OpText, p)}, echo: []rawFrame{text(p)}},
			abCase{name: "1.2 binary " + itoa(n), send: [][]byte{frame(true, false, wsproto.OpBinary, b)}, echo: []rawFrame{binMsg(b)}},
		)
	}
	ping125 := strings.Repeat("p", 125)
	cs = append(cs,
		// 2: pings and pongs.
		abCase{name: "2.1 empty ping", send: [][]byte{fr(true, wsproto.OpPing, "")}, echo: []rawFrame{pong(nil)}},
		abCase{name: "2.2 ping payload", send: [][]byte{fr(true, wsproto.OpPing, "hello")}, echo: []rawFrame{pong([]byte("hello"))}},
		abCase{name: "2.4 ping 125", send: [][]byte{fr(true, wsproto.OpPing, ping125)}, echo: []rawFrame{pong([]byte(ping125))}},
		abCase{name: "2.5 ping 126", send: [][]byte{fr(true, wsproto.OpPing, ping125+"x")}, close: 1002},
		abCase{name: "2.6 fragmented ping", send: [][]byte{fr(false, wsproto.OpPing, "a")}, close: 1002},
		abCase{name: "2.7 unsolicited pong", send: [][]byte{fr(true, wsproto.OpPong, "x"), fr(true, wsproto.OpText, "after")}, echo: []rawFrame{text("after")}},
		abCase{name: "2.10 ten pings", send: bytes10(fr(true, wsproto.OpPing, "n")), echo: repeat(pong([]byte("n")), 10)},
		// 3: reserved bits.
		abCase{name: "3.1 rsv2", send: [][]byte{rawHdr(0x80|0x20|0x1, "x")}, close: 1002},
		abCase{name: "3.2 rsv3 after echo", send: [][]byte{fr(true, wsproto.OpText, "ok"), rawHdr(0x80|0x10|0x1, "x")}, echo: []rawFrame{text("ok")}, close: 1002},
		abCase{name: "3.3 rsv1 without deflate", send: [][]byte{rawHdr(0x80|0x40|0x1, "x")}, close: 1002},
		abCase{name: "3.6 rsv on ping", send: [][]byte{rawHdr(0x80|0x70|0x9, "")}, close: 1002},
		// 5: fragmentation.
		abCase{name: "5.3 two fragments", send: [][]byte{fr(false, wsproto.OpText, "frag"), fr(true, wsproto.OpContinuation, "ment")}, echo: []rawFrame{text("fragment")}},
		abCase{name: "5.6 ping between fragments", send: [][]byte{fr(false, wsproto.OpText, "fr"), fr(true, wsproto.OpPing, "p"), fr(true, wsproto.OpContinuation, "ag")}, echo: []rawFrame{pong([]byte("p")), text("frag")}},
		abCase{name: "5.9 continuation first", send: [][]byte{fr(true, wsproto.OpContinuation, "x")}, close: 1002},
		abCase{name: "5.18 text inside text", send: [][]byte{fr(false, wsproto.OpText, "a"), fr(true, wsproto.OpText, "b")}, close: 1002},
		abCase{name: "5.19 empty fragments", send: [][]byte{fr(false, wsproto.OpText, ""), fr(false, wsproto.OpContinuation, "a"), fr(true, wsproto.OpContinuation, "")}, echo: []rawFrame{text("a")}},
		// 6: UTF-8.
		abCase{name: "6.2 multi-byte", send: [][]byte{fr(true, wsproto.OpText, "κόσμε €𝄞")}, echo: []rawFrame{text("κόσμε €𝄞")}},
		abCase{name: "6.4 split sequence", send: [][]byte{fr(false, wsproto.OpText, "\xe2\x82"), fr(true, wsproto.OpContinuation, "\xac")}, echo: []rawFrame{text("€")}},
		abCase{name: "6.3 invalid byte", send: [][]byte{fr(true, wsproto.OpText, "ab\xffcd")}, close: 1007},
		abCase{name: "6.4 invalid in second fragment", send: [][]byte{fr(false, wsproto.OpText, "\xce\xba"), fr(true, wsproto.OpContinuation, "\xed\xa0\x80")}, close: 1007},
		abCase{name: "6.5 truncated at end", send: [][]byte{fr(true, wsproto.OpText, "\xe2\x82")}, close: 1007},
		abCase{name: "6.6 overlong", send: [][]byte{fr(true, wsproto.OpText, "\xc0\xaf")}, close: 1007},
		// 7: closing.
		abCase{name: "7.1 text after close ignored", send: [][]byte{fr(true, wsproto.OpClose, ""), fr(true, wsproto.OpText, "late")}, echo: []rawFrame{{fin: true, op: wsproto.OpClose}}},
		abCase{name: "7.3 one-byte payload", send: [][]byte{fr(true, wsproto.OpClose, "\x03")}, close: 1002},
		abCase{name: "7.5 reason not UTF-8", send: [][]byte{frame(true, false, wsproto.OpClose, append([]byte{3, 0xe8}, 0xff))}, close: 1007},
		abCase{name: "7.3 max reason", send: [][]byte{frame(true, false, wsproto.OpClose, closePayload(1000, strings.Repeat("r", 123)))}, echo: []rawFrame{{fin: true, op: wsproto.OpClose, payload: closePayload(1000, "")}}},
	)
	// 4: reserved opcodes.
	for _, op := range []byte{3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF} {
		cs = append(cs, abCase{name: "4 opcode " + itoa(int(op)), send: [][]byte{rawHdr(0x80|op, "")}, close: 1002})
	}
	// 7.7 valid close codes are echoed, 7.9 invalid ones fail.
	for _, code := range []wsproto.CloseCode{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999} {
		cs = append(cs, abCase{name: "7.7 code " + itoa(int(code)), send: [][]byte{frame(true, false, wsproto.OpClose, closePayload(code, "r"))},
			echo: []rawFrame{{fin: true, op: wsproto.OpClose, payload: closePayload(code, "")}}})
	}
	for _, code := range []int{0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999, 5000, 65535} {
		p := []byte{byte(code >> 8), byte(code)}
		cs = append(cs, abCase{name: "7.9 code " + itoa(code), send: [][]byte{frame(true, false, wsproto.OpClose, p)}, close: 1002})
	}
	return cs
}

func bytes10(b []byte) [][]byte {
	var out [][]byte
	for range 10 {
		out = append(out, b)
	}
	return out
}

func repeat(f rawFrame, n int) []rawFrame {
	var out []rawFrame
	for range n {
		out = append(out, f)
	}
	return out
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// runAB runs one case on a new connection to addr, whose server's
// recorders arrive on recs.
func runAB(t *testing.T, addr string, recs <-chan *recorder, tc abCase, bytewise bool) {
	t.Helper()
	rc := dialRaw(t, addr)
	var extra []string
	if tc.ext != "" {
		extra = append(extra, "Sec-WebSocket-Extensions: "+tc.ext)
	}
	rc.open(extra...)
	rec := <-recs
	all := bytes.Join(tc.send, nil)
	if bytewise {
		// Once a Close frame is out the server may close the connection,
		// and writing what follows it may then fail (a reset): only the
		// bytes up to the end of the first Close frame must go through.
		must := len(all)
		off := 0
		for _, f := range tc.send {
			off += len(f)
			if len(f) > 0 && wsproto.Opcode(f[0]&0x0f) == wsproto.OpClose {
				must = off
				break
			}
		}
		for i := range all {
			if i < must {
				rc.send(all[i : i+1])
			} else if _, err := rc.c.Write(all[i : i+1]); err != nil {
				break
			}
		}
	} else {
		rc.send(all)
	}
	var infl *wsproto.Inflater
	if tc.ext != "" {
		infl = wsproto.NewInflater(wsproto.Client, wsproto.DeflateParams{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}, nil)
	}
	for i, want := range tc.echo {
		got, err := rc.readFrame()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if got.rsv1 && infl != nil {
			got.payload, err = infl.Inflate(nil, got.payload, true)
			if err != nil {
				t.Fatalf("frame %d: inflate: %v", i, err)
			}
		}
		if got.op != want.op || !bytes.Equal(got.payload, want.payload) || !got.fin {
			t.Fatalf("frame %d: got %v %q (fin %v), want %v %q", i, got.op, trunc(got.payload), got.fin, want.op, trunc(want.payload))
		}
	}
	if tc.close != 0 {
		code, _ := rc.expectClose()
		if code != tc.close {
			t.Fatalf("close code %d, want %d", code, tc.close)
		}
		rc.expectEOF()
		e := rec.waitClose(t)
		if !e.Local || e.Err == nil || e.Code != wsproto.CloseAbnormal {
			t.Errorf("OnClose %+v", e)
		}
		return
	}
	closedAlready := len(tc.echo) > 0 && tc.echo[len(tc.echo)-1].op == wsproto.OpClose
	if !closedAlready {
		rc.send(frame(true, false, wsproto.OpClose, closePayload(1000, "")))
		if code, _ := rc.expectClose(); code != 1000 {
			t.Fatalf("close echo %d", code)
		}
	}
	rc.expectEOF()
	if e := rec.waitClose(t); e.Err != nil || e.Local {
		t.Errorf("OnClose %+v", e)
	}
	// Nothing else may arrive, and OnClose only once.
	select {
	case e := <-rec.closed:
		t.Errorf("second OnClose %+v", e)
	case <-time.After(10 * time.Millisecond):
	}
}

func abServer(t *testing.T, opts *ServerOptions) (string, <-chan *recorder) {
	recs := make(chan *recorder, 4)
	addr := startServer(t, opts, func() Handler {
		r := newRecorder()
		recs <- r
		return r
	})
	return addr, recs
}

func TestAutobahnFamilies(t *testing.T) {
	addr, recs := abServer(t, nil)
	for _, tc := range abCases() {
		t.Run(tc.name, func(t *testing.T) {
			runAB(t, addr, recs, tc, false)
			if len(bytes.Join(tc.send, nil)) < 512 {
				runAB(t, addr, recs, tc, true)
			}
		})
	}
}

// 9, scaled down: limits on message and frame sizes.
func TestAutobahnLimits(t *testing.T) {
	const max = 64 << 10
	addr, recs := abServer(t, &ServerOptions{Config: Config{MaxMessageSize: max, MaxFrameSize: max / 2}})
	half := strings.Repeat("a", max/2)
	for _, tc := range []abCase{
		{name: "message at the limit", send: [][]byte{fr(false, wsproto.OpText, half), fr(true, wsproto.OpContinuation, half)}, echo: []rawFrame{text(half + half)}},
		{name: "message over the limit", send: [][]byte{fr(false, wsproto.OpText, half), fr(false, wsproto.OpContinuation, half), fr(true, wsproto.OpContinuation, "x")}, close: 1009},
		{name: "frame over the limit", send: [][]byte{fr(true, wsproto.OpText, half+"x")}, close: 1009},
		{name: "many fragments", send: manyFragments(1000, "ab"), echo: []rawFrame{text(strings.Repeat("ab", 1000))}},
	} {
		t.Run(tc.name, func(t *testing.T) { runAB(t, addr, recs, tc, false) })
	}
}

func manyFragments(n int, p string) [][]byte {
	out := [][]byte{fr(false, wsproto.OpText, p)}
	for i := 1; i < n-1; i++ {
		out = append(out, fr(false, wsproto.OpContinuation, p))
	}
	return append(out, fr(true, wsproto.OpContinuation, p))
}

// 12/13: permessage-deflate, with crafted compressed frames.
func TestAutobahnCompression(t *testing.T) {
	cfg := &wsproto.DeflateConfig{MaxDecompressedSize: 1 << 20}
	addr, recs := abServer(t, &ServerOptions{Config: Config{Compression: cfg}})
	d := wsproto.NewDeflater(wsproto.Client, wsproto.DeflateParams{ClientNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}, &wsproto.DeflateConfig{Threshold: 1})
	comp := func(s string) []byte { return d.Compress(nil, []byte(s)) }
	cframe := func(fin bool, op wsproto.Opcode, p []byte) []byte { return frame(fin, true, op, p) }
	long := strings.Repeat("compress me please ", 100)
	c1 := comp(long)
	bomb := d.Compress(nil, make([]byte, 2<<20))
	const ext = "permessage-deflate; client_no_context_takeover"
	for _, tc := range []abCase{
		{name: "12 compressed text", send: [][]byte{cframe(true, wsproto.OpText, comp(long))}, echo: []rawFrame{text(long)}},
		{name: "12 compressed binary short", send: [][]byte{cframe(true, wsproto.OpBinary, comp("hi"))}, echo: []rawFrame{binMsg([]byte("hi"))}},
		{name: "12 fragmented compressed", send: [][]byte{cframe(false, wsproto.OpText, c1[:len(c1)/2]), fr(true, wsproto.OpContinuation, string(c1[len(c1)/2:]))}, echo: []rawFrame{text(long)}},
		{name: "12 mixed plain and compressed", send: [][]byte{fr(true, wsproto.OpText, "plain"), cframe(true, wsproto.OpText, comp(long)), fr(true, wsproto.OpText, "plain2")}, echo: []rawFrame{text("plain"), text(long), text("plain2")}},
		{name: "13 rsv1 on continuation", send: [][]byte{fr(false, wsproto.OpText, "a"), cframe(true, wsproto.OpContinuation, []byte("b"))}, close: 1002},
		{name: "13 rsv1 on ping", send: [][]byte{cframe(true, wsproto.OpPing, nil)}, close: 1002},
		{name: "13 invalid deflate", send: [][]byte{cframe(true, wsproto.OpText, []byte{0xff, 0xff, 0xff})}, close: 1007},
		{name: "13 empty compressed payload", send: [][]byte{cframe(true, wsproto.OpText, nil)}, close: 1007},
		{name: "13 invalid UTF-8 inside", send: [][]byte{cframe(true, wsproto.OpText, comp("ok \xff no"))}, close: 1007},
		{name: "13 bomb", send: [][]byte{cframe(true, wsproto.OpBinary, bomb)}, close: 1009},
	} {
		tc.ext = ext
		t.Run(tc.name, func(t *testing.T) { runAB(t, addr, recs, tc, false) })
	}
	// Without an offer, RSV1 stays a protocol error on a compressing server.
	runAB(t, addr, recs, abCase{name: "no offer", send: [][]byte{cframe(true, wsproto.OpText, comp("x"))}, close: 1002}, false)
}

// 6.4.1-6.4.4: a text message whose second part makes it invalid UTF-8 is
// failed with 1007 as soon as that part arrives, whether the parts are
// fragments or pieces of one frame: the test sends the rest only after the
// Close frame has come, so a server that waited for the message's end
// would time out here.
func TestAutobahnFailFast(t *testing.T) {
	addr, recs := abServer(t, nil)
	parts := []string{"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", "\xf4\x90\x80\x80", "\x65\x64\x69\x74\x65\x64"}
	whole := frame(true, false, wsproto.OpText, []byte(strings.Join(parts, "")))
	// Where the second part starts and ends inside the frame.
	p1 := len(whole) - len(strings.Join(parts, "")) + len(parts[0])
	p2 := p1 + len(parts[1])
	for _, tc := range []struct {
		name   string
		chunks [][]byte
	}{
		{"6.4.1 fragments", [][]byte{fr(false, wsproto.OpText, parts[0]), fr(false, wsproto.OpContinuation, parts[1]),
			fr(true, wsproto.OpContinuation, parts[2])}},
		{"6.4.3 chops of one frame", [][]byte{whole[:p1], whole[p1:p2], whole[p2:]}},
		// 6.4.2 and 6.4.4: the invalid byte alone.
		{"6.4.2 fragments", [][]byte{fr(false, wsproto.OpText, parts[0]+"\xf4"), fr(false, wsproto.OpContinuation, "\x90"),
			fr(true, wsproto.OpContinuation, "\x80\x80"+parts[2])}},
		{"6.4.4 chops of one frame", [][]byte{whole[:p1+1], whole[p1+1 : p1+2], whole[p1+2:]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRaw(t, addr)
			rc.open()
			rec := <-recs
			rc.send(tc.chunks[0])
			// The first part is valid: nothing comes back for it.
			rc.c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			if f, err := rc.readFrame(); err == nil {
				t.Fatalf("after the valid part: %v %q", f.op, f.payload)
			}
			rc.c.SetDeadline(time.Now().Add(testTimeout))
			rc.send(tc.chunks[1])
			if code, _ := rc.expectClose(); code != wsproto.CloseInvalidPayload {
				t.Fatalf("close code %d, want 1007", code)
			}
			rc.c.Write(tc.chunks[2]) // may fail: the server is closing
			rc.expectEOF()
			if e := rec.waitClose(t); !e.Local || e.Code != wsproto.CloseAbnormal {
				t.Errorf("OnClose %+v", e)
			}
		})
	}
}
