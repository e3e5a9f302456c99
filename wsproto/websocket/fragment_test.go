package websocket

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/gale-io/gale/wsproto"
)

// TestWriteFragment: a server sends a text message in three fragments with
// a ping between two, uncompressed although deflate was agreed; the rules
// of an open fragmented message hold; the next message is whole again.
func TestWriteFragment(t *testing.T) {
	errs := make(chan error, 1)
	addr := startServer(t, &ServerOptions{Config: Config{Compression: &wsproto.DeflateConfig{}}}, func() Handler {
		return &HandlerFuncs{Message: func(c *Conn, op wsproto.Opcode, data []byte) {
			errs <- func() error {
				return checkSteps([]step{
					{"continuation first", c.WriteFragment(wsproto.OpContinuation, []byte("x"), true), ErrBadOpcode},
					{"ping opcode", c.WriteFragment(wsproto.OpPing, nil, false), ErrBadOpcode},
					{"first", c.WriteFragment(wsproto.OpText, []byte("hel"), false), nil},
					{"ping between", c.Ping([]byte("p")), nil},
					{"second, same op", c.WriteFragment(wsproto.OpText, []byte("lo"), false), nil},
					{"a whole message meanwhile", c.WriteMessage(wsproto.OpText, []byte("no")), ErrFragmenting},
					{"binary meanwhile", c.WriteFragment(wsproto.OpBinary, []byte("no"), false), ErrFragmenting},
					{"last", c.WriteFragment(wsproto.OpContinuation, []byte(" world"), true), nil},
					{"next message", c.WriteMessage(wsproto.OpBinary, bytes.Repeat([]byte("z"), 300)), nil},
					{"one-fragment message", c.WriteFragment(wsproto.OpBinary, []byte("solo"), true), nil},
				})
			}()
		}}
	})
	rc := dialRaw(t, addr)
	resp := rc.open("Sec-WebSocket-Extensions: permessage-deflate")
	if resp.Header.Get("Sec-WebSocket-Extensions") == "" {
		t.Fatal("deflate not agreed")
	}
	rc.send(frame(true, false, wsproto.OpText, []byte("go")))
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	want := []rawFrame{
		{fin: false, op: wsproto.OpText, payload: []byte("hel")},
		{fin: true, op: wsproto.OpPing, payload: []byte("p")},
		{fin: false, op: wsproto.OpContinuation, payload: []byte("lo")},
		{fin: true, op: wsproto.OpContinuation, payload: []byte(" world")},
	}
	expectFrames(t, rc, want)
	if f, err := rc.readFrame(); err != nil || !f.fin || !f.rsv1 || f.op != wsproto.OpBinary {
		t.Fatalf("the next message: fin %v rsv1 %v op %v, %v; want a whole compressed binary frame", f.fin, f.rsv1, f.op, err)
	}
	if f, err := rc.readFrame(); err != nil || !f.fin || f.rsv1 || f.op != wsproto.OpBinary || string(f.payload) != "solo" {
		t.Fatalf("one-fragment message: %+v, %v", f, err)
	}
}

// TestWriteFragmentClient: a client's fragments are masked, and the server
// receives them as one message.
func TestWriteFragmentClient(t *testing.T) {
	rec := newRecorder()
	rec.noEcho = true
	addr := startServer(t, nil, func() Handler { return rec })
	l := clientLoop(t)
	client := newRecorder()
	client.noEcho = true
	c, err := dialSync(t, l, "ws://"+addr+"/", client, nil)
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("0123456789"), 10000) // over one pooled chunk
	onLoop(t, l, func() {
		for i, part := range [][]byte{big[:3], big[3:50000], big[50000:], nil} {
			if err := c.WriteFragment(wsproto.OpBinary, part, i == 3); err != nil {
				t.Errorf("fragment %d: %v", i, err)
			}
		}
	})
	if m := rec.waitMsg(t); m.op != wsproto.OpBinary || !bytes.Equal(m.data, big) {
		t.Fatalf("server got op %v, %d bytes; want the %d-byte binary message", m.op, len(m.data), len(big))
	}
	onLoop(t, l, func() { c.Close(wsproto.CloseNormal, "") })
	rec.waitClose(t)
	if e := client.waitClose(t); !e.Clean() {
		t.Fatalf("client closed with %v", e)
	}
}

// TestWriteInvalidText: text that is not valid UTF-8 is refused before a
// byte is sent, whole or in fragments (where a character may straddle
// fragments, and the last must finish it), and the connection goes on.
func TestWriteInvalidText(t *testing.T) {
	euro := []byte("€") // e2 82 ac
	errs := make(chan error, 1)
	addr := startServer(t, nil, func() Handler {
		return &HandlerFuncs{Message: func(c *Conn, op wsproto.Opcode, data []byte) {
			errs <- func() error {
				return checkSteps([]step{
					{"invalid message", c.WriteMessage(wsproto.OpText, []byte{'a', 0xff}), ErrInvalidText},
					{"surrogate", c.WriteText([]byte{0xed, 0xa0, 0x80}), ErrInvalidText},
					{"invalid binary is fine", c.WriteBinary([]byte{0xff}), nil},
					{"invalid prepared", c.WritePrepared(wsproto.NewPreparedMessage(wsproto.OpText, []byte{0xc0, 0xaf}, nil)), ErrInvalidText},
					{"first, split euro", c.WriteFragment(wsproto.OpText, append([]byte("x"), euro[:1]...), false), nil},
					{"bad continuation", c.WriteFragment(wsproto.OpContinuation, []byte{'y'}, false), ErrInvalidText},
					{"middle of euro", c.WriteFragment(wsproto.OpContinuation, euro[1:2], false), nil},
					{"last, unfinished", c.WriteFragment(wsproto.OpContinuation, nil, true), ErrInvalidText},
					{"last, finishing", c.WriteFragment(wsproto.OpContinuation, append(euro[2:], 'z'), true), nil},
					{"one unfinished fragment", c.WriteFragment(wsproto.OpText, euro[:2], true), ErrInvalidText},
					{"valid message", c.WriteText([]byte("ok")), nil},
				})
			}()
		}}
	})
	rc := dialRaw(t, addr)
	rc.open()
	rc.send(frame(true, false, wsproto.OpText, []byte("go")))
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	want := []rawFrame{
		{fin: true, op: wsproto.OpBinary, payload: []byte{0xff}},
		{fin: false, op: wsproto.OpText, payload: []byte{'x', euro[0]}},
		{fin: false, op: wsproto.OpContinuation, payload: euro[1:2]},
		{fin: true, op: wsproto.OpContinuation, payload: []byte{euro[2], 'z'}},
		{fin: true, op: wsproto.OpText, payload: []byte("ok")},
	}
	expectFrames(t, rc, want)
}

// step is one call of a scripted sequence and the error it should return.
type step struct {
	name string
	err  error
	want error
}

// checkSteps returns the first step whose error is not the one wanted.
func checkSteps(steps []step) error {
	for _, s := range steps {
		if !errors.Is(s.err, s.want) && s.err != s.want {
			return fmt.Errorf("%s: %v, want %v", s.name, s.err, s.want)
		}
	}
	return nil
}

// expectFrames reads len(want) frames and fails on the first that differs
// (uncompressed, with want's fin, opcode and payload).
func expectFrames(t *testing.T, rc *rawClient, want []rawFrame) {
	t.Helper()
	for i, w := range want {
		f, err := rc.readFrame()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if f.fin != w.fin || f.rsv1 || f.op != w.op || !bytes.Equal(f.payload, w.payload) {
			t.Fatalf("frame %d: fin %v rsv1 %v op %v %q, want fin %v op %v %q", i, f.fin, f.rsv1, f.op, f.payload, w.fin, w.op, w.payload)
		}
	}
}
