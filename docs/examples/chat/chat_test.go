package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gale-io/gale/internal/leakcheck"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/wsproto"
	"github.com/gale-io/gale/wsproto/websocket"
)

func TestMain(m *testing.M) { os.Exit(leakcheck.Main(m)) }

// wait bounds every wait for an event.
const wait = 20 * time.Second

// startChat runs a chat server on a free loopback port with two loops, so
// that members land on different loops. It returns the address and stop,
// which stops the server (at once, or else when the test ends).
func startChat(t *testing.T, compress bool) (addr string, stop func()) {
	t.Helper()
	srv := NewServer(Config{Loops: 2, Compress: compress})
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			if err := srv.Stop(ctx); err != nil {
				t.Errorf("stop: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return srv.Addrs()[0].String(), stop
}

// testMember is a member driven by the test: a gale client on the test's
// loop that hands the lines it gets to the test goroutine.
type testMember struct {
	websocket.BaseHandler
	t      *testing.T
	l      *loop.Loop
	c      *websocket.Conn
	lines  chan line
	closed chan *websocket.CloseError
}

func (m *testMember) OnMessage(c *websocket.Conn, op wsproto.Opcode, data []byte) {
	var ln line
	if err := json.Unmarshal(data, &ln); err != nil {
		m.t.Errorf("bad line %q: %v", data, err)
		return
	}
	m.lines <- ln
}

func (m *testMember) OnClose(c *websocket.Conn, e *websocket.CloseError) { m.closed <- e }

func (m *testMember) next() line {
	m.t.Helper()
	select {
	case ln := <-m.lines:
		return ln
	case <-time.After(wait):
		m.t.Fatal("timed out waiting for a line")
		return line{}
	}
}

func (m *testMember) expect(want line) {
	m.t.Helper()
	if got := m.next(); got != want {
		m.t.Fatalf("got line %+v, want %+v", got, want)
	}
}

func (m *testMember) post(f func()) {
	m.t.Helper()
	done := make(chan struct{})
	if err := m.l.Post(func() { f(); close(done) }); err != nil {
		m.t.Fatal(err)
	}
	<-done
}

func (m *testMember) send(op wsproto.Opcode, text string) {
	m.t.Helper()
	var err error
	m.post(func() { err = m.c.WriteMessage(op, []byte(text)) })
	if err != nil {
		m.t.Fatal(err)
	}
}

func (m *testMember) waitClosed() *websocket.CloseError {
	m.t.Helper()
	select {
	case e := <-m.closed:
		return e
	case <-time.After(wait):
		m.t.Fatal("timed out waiting for the close")
		return nil
	}
}

// testLoop runs a loop for the test's clients.
func testLoop(t *testing.T) *loop.Loop {
	t.Helper()
	l, err := loop.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Run() }()
	t.Cleanup(func() {
		l.Stop()
		<-done
		l.Close()
	})
	return l
}

func join(t *testing.T, l *loop.Loop, addr, name string, compress bool) *testMember {
	t.Helper()
	m := &testMember{t: t, l: l, lines: make(chan line, 64), closed: make(chan *websocket.CloseError, 1)}
	opts := &websocket.DialOptions{}
	if compress {
		opts.Compression = &wsproto.DeflateConfig{}
	}
	errc := make(chan error, 1)
	m.post(func() {
		websocket.Dial(context.Background(), l, "ws://"+addr+"/ws?name="+name, m, opts, func(c *websocket.Conn, err error) {
			m.c = c
			errc <- err
		})
	})
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("%s: dial: %v", name, err)
		}
	case <-time.After(wait):
		t.Fatalf("%s: dial timed out", name)
	}
	if compress {
		var on bool
		m.post(func() { _, on = m.c.Compression() })
		if !on {
			t.Fatalf("%s: compression not negotiated", name)
		}
	}
	return m
}

func TestChat(t *testing.T) {
	for _, compress := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "compressed"}[compress], func(t *testing.T) {
			addr, stop := startChat(t, compress)
			l := testLoop(t)

			alice := join(t, l, addr, "alice", compress)
			alice.expect(line{Text: "alice joined"})
			bob := join(t, l, addr, "bob", compress)
			bob.expect(line{Text: "alice joined"}) // the history
			bob.expect(line{Text: "bob joined"})
			alice.expect(line{Text: "bob joined"})

			alice.send(wsproto.OpText, "  hello, bob  ")
			want := line{From: "alice", Text: "hello, bob"}
			alice.expect(want)
			bob.expect(want)

			// A binary message is refused: 1003 for bob, a notice for alice.
			bob.send(wsproto.OpBinary, "\x00\x01")
			if e := bob.waitClosed(); e.Code != wsproto.CloseUnsupportedData || e.Local {
				t.Fatalf("bob's close: %+v, want 1003 from the server", e)
			}
			alice.expect(line{Text: "bob left"})

			// Stopping the server closes alice with 1001.
			stop()
			if e := alice.waitClosed(); e.Code != wsproto.CloseGoingAway || e.Err != nil {
				t.Errorf("alice's close on stop: %+v, want a clean 1001", e)
			}
		})
	}
}

func TestPage(t *testing.T) {
	addr, _ := startChat(t, false)
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !bytes.Equal(body, indexHTML) {
		t.Fatalf("GET /: %d, %d bytes; want 200 and the page", resp.StatusCode, len(body))
	}
	http.DefaultClient.CloseIdleConnections()
}

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "guest",
		"  ann  ":               "ann",
		"a\x00b\nc":             "abc",
		"ünïcødé":               "ünïcødé",
		string(make([]byte, 3)): "guest",
		"0123456789012345678901234567890123456789": "01234567890123456789012345678901",
	} {
		if got := cleanName(in); got != want {
			t.Errorf("cleanName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSlowMemberDropped floods the room while one member (a raw socket)
// reads nothing: once its unsent output passes WriteBufferLimit the server
// closes it with 1013 "too slow", after the lines it had queued, in order;
// the other member gets every line and the notice that the slow one left.
func TestSlowMemberDropped(t *testing.T) {
	addr, stop := startChat(t, false)
	l := testLoop(t)

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * wait))
	io.WriteString(conn, "GET /ws?name=slow HTTP/1.1\r\nHost: "+addr+"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("slow member's handshake: %v %v", resp, err)
	}

	alice := join(t, l, addr, "alice", false)
	const lines, size = 4000, 4000 // 16 MB: past the limit and every socket buffer
	next := 0
	seen := make(chan int, 1) // how many of alice's lines alice got back, once slow left
	go func() {
		n := 0
		for {
			select {
			case ln := <-alice.lines:
				switch {
				case ln.From == "alice":
					n++
				case ln.Text == "slow left":
					seen <- n
					return
				}
			case <-time.After(2 * wait):
				seen <- -1
				return
			}
		}
	}()
	text := func(i int) string { return fmt.Sprintf("%05d", i) + strings.Repeat("x", size-5) }
	for i := range lines {
		alice.send(wsproto.OpText, text(i))
	}

	// The slow member now reads: the lines it got, in order and whole,
	// then the server's Close.
	for {
		op, payload := readServerFrame(t, br)
		if op == byte(wsproto.OpClose) {
			if len(payload) < 2 || wsproto.CloseCode(binary.BigEndian.Uint16(payload)) != wsproto.CloseTryAgainLater || string(payload[2:]) != "too slow" {
				t.Fatalf("close frame %q, want 1013 \"too slow\"", payload)
			}
			break
		}
		var ln line
		if err := json.Unmarshal(payload, &ln); err != nil {
			t.Fatalf("bad line %q: %v", payload, err)
		}
		if ln.From != "alice" {
			continue // the joins
		}
		if ln.Text != text(next) {
			t.Fatalf("slow member's line %d: got %.10q..., want %.10q...", next, ln.Text, text(next))
		}
		next++
	}
	if next == 0 || next >= lines {
		t.Fatalf("slow member got %d of %d lines before its close, want some but not all", next, lines)
	}
	// Answer the Close (masked, mask 0) so the server ends the connection.
	conn.Write([]byte{0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8})
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("after the close handshake the slow member read %v, want EOF", err)
	}
	if n := <-seen; n != lines {
		t.Fatalf("alice got %d of her %d lines back before slow left (-1: never left)", n, lines)
	}
	stop()
	if e := alice.waitClosed(); e.Code != wsproto.CloseGoingAway || e.Err != nil {
		t.Errorf("alice's close on stop: %+v, want a clean 1001", e)
	}
}

// readServerFrame reads one unmasked, unfragmented frame from the server.
func readServerFrame(t *testing.T, r *bufio.Reader) (op byte, payload []byte) {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	if h[0]&0x80 == 0 || h[1]&0x80 != 0 {
		t.Fatalf("frame header %x: want FIN set and no mask", h)
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		io.ReadFull(r, b[:])
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		io.ReadFull(r, b[:])
		n = binary.BigEndian.Uint64(b[:])
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		t.Fatalf("reading a %d-byte payload: %v", n, err)
	}
	return h[0] & 0x0f, payload
}
