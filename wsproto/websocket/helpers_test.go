package websocket

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gale-io/gale/httpproto/httpserver"
	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/wsproto"
)

const testTimeout = 20 * time.Second

// recorder is a Handler that records what happens and echoes messages
// (unless noEcho), for tests. Its channels are read by the test goroutine.
type recorder struct {
	noEcho  bool
	opened  chan *Conn
	msgs    chan message
	closed  chan *CloseError
	pings   chan []byte
	drained chan struct{}
	mu      sync.Mutex
	nClose  int
}

type message struct {
	op   wsproto.Opcode
	data []byte
}

func newRecorder() *recorder {
	return &recorder{
		opened:  make(chan *Conn, 4),
		msgs:    make(chan message, 1024),
		closed:  make(chan *CloseError, 4),
		pings:   make(chan []byte, 16),
		drained: make(chan struct{}, 16),
	}
}

func (r *recorder) OnOpen(c *Conn) { r.opened <- c }

func (r *recorder) OnMessage(c *Conn, op wsproto.Opcode, data []byte) {
	if !r.noEcho {
		if err := c.WriteMessage(op, data); err != nil {
			panic(fmt.Sprintf("echo: %v", err))
		}
	}
	select {
	case r.msgs <- message{op, bytes.Clone(data)}:
	default:
	}
}

func (r *recorder) OnClose(c *Conn, e *CloseError) {
	r.mu.Lock()
	r.nClose++
	r.mu.Unlock()
	r.closed <- e
}

func (r *recorder) OnPing(c *Conn, p []byte) { r.pings <- bytes.Clone(p) }
func (r *recorder) OnDrain(c *Conn)          { r.drained <- struct{}{} }

// waitClose waits for OnClose and checks it came once.
func (r *recorder) waitClose(t *testing.T) *CloseError {
	t.Helper()
	select {
	case e := <-r.closed:
		return e
	case <-time.After(testTimeout):
		t.Fatal("OnClose not called")
	}
	return nil
}

func (r *recorder) closeCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.nClose
}

func (r *recorder) waitMsg(t *testing.T) message {
	t.Helper()
	select {
	case m := <-r.msgs:
		return m
	case <-time.After(testTimeout):
		t.Fatal("no message")
	}
	return message{}
}

// startServer runs a one-loop httpserver whose handler upgrades every
// request to a WebSocket served by the recorder mk returns.
func startServer(t *testing.T, opts *ServerOptions, mk func() Handler) string {
	t.Helper()
	return startHTTP(t, func(w *httpserver.ResponseWriter, r *httpserver.Request) {
		Upgrade(w, r, mk(), opts)
	})
}

func startHTTP(t *testing.T, h httpserver.Handler) string {
	t.Helper()
	return startHTTPWith(t, h, &httpserver.Options{})
}

// startHTTPWith is startHTTP with server options (one loop is forced).
func startHTTPWith(t *testing.T, h httpserver.Handler, opts *httpserver.Options) string {
	t.Helper()
	opts.TCP.Loops = 1
	s := httpserver.New(h, opts)
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Addrs()[0].String()
}

// clientLoop runs a loop on its own goroutine for the test.
func clientLoop(t *testing.T) *loop.Loop {
	t.Helper()
	l := testloop.New(t, nil)
	testloop.Start(t, l)
	return l
}

// dialSync dials from the test goroutine, running Dial on l.
func dialSync(t *testing.T, l *loop.Loop, url string, h Handler, opts *DialOptions) (*Conn, error) {
	t.Helper()
	type res struct {
		c   *Conn
		err error
	}
	ch := make(chan res, 1)
	if err := l.Post(func() {
		Dial(context.Background(), l, url, h, opts, func(c *Conn, err error) { ch <- res{c, err} })
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-ch:
		return r.c, r.err
	case <-time.After(testTimeout):
		t.Fatal("Dial did not call back")
	}
	return nil, nil
}

// onLoop runs f on l and waits for it.
func onLoop(t *testing.T, l *loop.Loop, f func()) {
	t.Helper()
	done := make(chan struct{})
	if err := l.Post(func() { defer close(done); f() }); err != nil {
		t.Fatal(err)
	}
	<-done
}

// rawClient is a hand-driven WebSocket client over a plain TCP socket, to
// send crafted frames and watch the server's reaction.
type rawClient struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(testTimeout))
	return &rawClient{t: t, c: c, br: bufio.NewReader(c)}
}

const testKey = "dGhlIHNhbXBsZSBub25jZQ=="

// upgradeRequest returns a valid handshake with extra header lines.
func upgradeRequestText(extra ...string) string {
	var b strings.Builder
	b.WriteString("GET /ws HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")
	b.WriteString("Sec-WebSocket-Key: " + testKey + "\r\nSec-WebSocket-Version: 13\r\n")
	for _, e := range extra {
		b.WriteString(e + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// handshake sends a handshake and returns the response.
func (rc *rawClient) handshake(req string, more []byte) *http.Response {
	rc.t.Helper()
	if _, err := rc.c.Write(append([]byte(req), more...)); err != nil {
		rc.t.Fatal(err)
	}
	resp, err := http.ReadResponse(rc.br, &http.Request{Method: "GET"})
	if err != nil {
		rc.t.Fatalf("reading handshake response: %v", err)
	}
	return resp
}

// open performs a valid handshake and checks the 101.
func (rc *rawClient) open(extra ...string) *http.Response {
	rc.t.Helper()
	resp := rc.handshake(upgradeRequestText(extra...), nil)
	if resp.StatusCode != 101 {
		body, _ := io.ReadAll(resp.Body)
		rc.t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	return resp
}

// frame builds a masked client frame.
func frame(fin, rsv1 bool, op wsproto.Opcode, payload []byte) []byte {
	return wsproto.AppendFrame(nil, fin, rsv1, op, true, [4]byte{1, 2, 3, 4}, payload)
}

func (rc *rawClient) send(b ...[]byte) {
	rc.t.Helper()
	if _, err := rc.c.Write(bytes.Join(b, nil)); err != nil {
		rc.t.Fatal(err)
	}
}

// rawFrame is a frame the server sent.
type rawFrame struct {
	fin, rsv1 bool
	op        wsproto.Opcode
	payload   []byte
}

// readFrame reads one frame from the server (unmasked), or returns the
// read error (io.EOF when the server closed).
func (rc *rawClient) readFrame() (rawFrame, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(rc.br, hdr[:]); err != nil {
		return rawFrame{}, err
	}
	f := rawFrame{fin: hdr[0]&0x80 != 0, rsv1: hdr[0]&0x40 != 0, op: wsproto.Opcode(hdr[0] & 0xF)}
	if hdr[1]&0x80 != 0 {
		return f, fmt.Errorf("server frame is masked")
	}
	n := uint64(hdr[1] & 0x7F)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(rc.br, b[:]); err != nil {
			return f, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(rc.br, b[:]); err != nil {
			return f, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	f.payload = make([]byte, n)
	if _, err := io.ReadFull(rc.br, f.payload); err != nil {
		return f, err
	}
	return f, nil
}

func (rc *rawClient) expectFrame(op wsproto.Opcode, payload []byte) {
	rc.t.Helper()
	f, err := rc.readFrame()
	if err != nil {
		rc.t.Fatalf("reading frame: %v", err)
	}
	if f.op != op || !bytes.Equal(f.payload, payload) {
		rc.t.Fatalf("got %v %q, want %v %q", f.op, trunc(f.payload), op, trunc(payload))
	}
}

// expectClose reads frames until a Close frame, and returns its code.
func (rc *rawClient) expectClose() (wsproto.CloseCode, string) {
	rc.t.Helper()
	for {
		f, err := rc.readFrame()
		if err != nil {
			rc.t.Fatalf("reading for a Close frame: %v", err)
		}
		if f.op != wsproto.OpClose {
			continue
		}
		if len(f.payload) == 0 {
			return wsproto.CloseNoStatusReceived, ""
		}
		return wsproto.CloseCode(binary.BigEndian.Uint16(f.payload)), string(f.payload[2:])
	}
}

// expectEOF checks that the server closes the connection (after what it
// sent).
func (rc *rawClient) expectEOF() {
	rc.t.Helper()
	for {
		if _, err := rc.readFrame(); err != nil {
			if err != io.EOF && !isReset(err) {
				rc.t.Fatalf("want EOF, got %v", err)
			}
			rc.c.Close() // as a client does once the server has closed
			return
		}
	}
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "reset") || err == io.ErrUnexpectedEOF)
}

func trunc(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

func closePayload(code wsproto.CloseCode, reason string) []byte {
	p, _ := wsproto.AppendClosePayload(nil, code, reason)
	return p
}

func listenTCP(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func errorsAs[T error](err error, target *T) bool { return errors.As(err, target) }
