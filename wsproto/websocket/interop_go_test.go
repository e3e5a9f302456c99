package websocket

// Interoperability with the two widely used Go WebSocket libraries, run in
// this process: gale's client against gorilla/websocket and coder/websocket
// servers, and their clients against gale's server, with and without
// permessage-deflate, checking echoes and close codes both ways.

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cws "github.com/coder/websocket"
	gws "github.com/gorilla/websocket"

	"github.com/gale-io/gale/httpproto/httpserver"
	"github.com/gale-io/gale/tcpserver"
	"github.com/gale-io/gale/wsproto"
)

// goMessages are sent by every client: short, across the length
// encodings, repetitive (compressible) and > 64 KiB.
func goMessages() []message {
	return []message{
		{wsproto.OpText, []byte("hello")},
		{wsproto.OpBinary, []byte{0, 1, 2, 0xff}},
		{wsproto.OpText, []byte("")},
		{wsproto.OpText, []byte(strings.Repeat("κόσμε ", 30))},
		{wsproto.OpBinary, bytes.Repeat([]byte{7}, 65536)},
		{wsproto.OpText, []byte(strings.Repeat("the same words again ", 5000))},
		{wsproto.OpBinary, pseudoRandom(200 << 10)},
	}
}

func pseudoRandom(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// serveGo runs a net/http server (goroutine per connection) for a
// third-party WebSocket library's handler.
func serveGo(t *testing.T, h http.Handler) string {
	t.Helper()
	ln := listenTCP(t)
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

type peerClose struct {
	code   int
	reason string
}

func gorillaEchoServer(t *testing.T, compress bool, closes chan<- peerClose) string {
	up := gws.Upgrader{EnableCompression: compress}
	return serveGo(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			mt, p, err := c.ReadMessage()
			if err != nil {
				var ce *gws.CloseError
				if errors.As(err, &ce) {
					closes <- peerClose{ce.Code, ce.Text}
				} else {
					closes <- peerClose{-1, err.Error()}
				}
				return
			}
			if err := c.WriteMessage(mt, p); err != nil {
				return
			}
		}
	}))
}

func coderEchoServer(t *testing.T, mode cws.CompressionMode, closes chan<- peerClose) string {
	return serveGo(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := cws.Accept(w, r, &cws.AcceptOptions{CompressionMode: mode})
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(-1)
		ctx := context.Background()
		for {
			mt, p, err := c.Read(ctx)
			if err != nil {
				closes <- peerClose{int(cws.CloseStatus(err)), err.Error()}
				return
			}
			if err := c.Write(ctx, mt, p); err != nil {
				return
			}
		}
	}))
}

// clientRound dials url with gale's client, sends every message, checks
// the echoes, and closes with 1000 "bye".
func clientRound(t *testing.T, url string, comp *wsproto.DeflateConfig, wantComp bool) {
	t.Helper()
	l := clientLoop(t)
	rec := newRecorder()
	rec.noEcho = true
	c, err := dialSync(t, l, url, rec, &DialOptions{Config: Config{Compression: comp}})
	if err != nil {
		t.Fatal(err)
	}
	<-rec.opened
	onLoop(t, l, func() {
		if _, ok := c.Compression(); ok != wantComp {
			t.Errorf("compression negotiated: %v, want %v", ok, wantComp)
		}
	})
	for _, m := range goMessages() {
		onLoop(t, l, func() {
			if err := c.WriteMessage(m.op, m.data); err != nil {
				t.Errorf("write: %v", err)
			}
		})
		got := rec.waitMsg(t)
		if got.op != m.op || !bytes.Equal(got.data, m.data) {
			t.Fatalf("echo of %d bytes %v: got %d bytes %v", len(m.data), m.op, len(got.data), got.op)
		}
	}
	onLoop(t, l, func() {
		if err := c.Close(1000, "bye"); err != nil {
			t.Error(err)
		}
	})
	e := rec.waitClose(t)
	if e.Code != 1000 || !e.Local || e.Err != nil {
		t.Errorf("client OnClose %+v", e)
	}
}

func TestClientAgainstGorilla(t *testing.T) {
	for _, compress := range []bool{false, true} {
		t.Run(onOffName(compress), func(t *testing.T) {
			closes := make(chan peerClose, 1)
			addr := gorillaEchoServer(t, compress, closes)
			var comp *wsproto.DeflateConfig
			if compress {
				comp = &wsproto.DeflateConfig{}
			}
			clientRound(t, "ws://"+addr+"/", comp, compress)
			if pc := <-closes; pc.code != 1000 || pc.reason != "bye" {
				t.Errorf("gorilla saw close %+v", pc)
			}
		})
	}
}

func TestClientAgainstCoder(t *testing.T) {
	for _, mode := range []cws.CompressionMode{cws.CompressionDisabled, cws.CompressionContextTakeover, cws.CompressionNoContextTakeover} {
		t.Run(itoa(int(mode)), func(t *testing.T) {
			closes := make(chan peerClose, 1)
			addr := coderEchoServer(t, mode, closes)
			var comp *wsproto.DeflateConfig
			if mode != cws.CompressionDisabled {
				comp = &wsproto.DeflateConfig{}
			}
			clientRound(t, "ws://"+addr+"/x?y=1", comp, mode != cws.CompressionDisabled)
			if pc := <-closes; pc.code != 1000 {
				t.Errorf("coder saw close %+v", pc)
			}
		})
	}
}

func onOffName(b bool) string {
	if b {
		return "compressed"
	}
	return "plain"
}

// serverVariants: gale servers with different compression settings.
func serverVariants() map[string]*wsproto.DeflateConfig {
	return map[string]*wsproto.DeflateConfig{
		"plain":      nil,
		"context":    {},
		"no-context": {ServerNoContextTakeover: true, ClientNoContextTakeover: true},
		"window-10":  {ServerMaxWindowBits: 10},
		"level-9":    {Level: 9, Threshold: 16},
	}
}

func TestGorillaClientAgainstServer(t *testing.T) {
	for name, cfg := range serverVariants() {
		t.Run(name, func(t *testing.T) {
			addr, recs := abServer(t, &ServerOptions{Config: Config{Compression: cfg}})
			d := gws.Dialer{EnableCompression: true, HandshakeTimeout: testTimeout}
			c, resp, err := d.Dial("ws://"+addr+"/ws", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			rec := <-recs
			if got := resp.Header.Get("Sec-WebSocket-Extensions") != ""; got != (cfg != nil) {
				t.Errorf("compression %v, want %v (%q)", got, cfg != nil, resp.Header.Get("Sec-WebSocket-Extensions"))
			}
			c.SetReadDeadline(time.Now().Add(testTimeout))
			for _, m := range goMessages() {
				if err := c.WriteMessage(int(m.op), m.data); err != nil {
					t.Fatal(err)
				}
				mt, p, err := c.ReadMessage()
				if err != nil {
					t.Fatal(err)
				}
				if mt != int(m.op) || !bytes.Equal(p, m.data) {
					t.Fatalf("echo of %d bytes: got %d bytes type %d", len(m.data), len(p), mt)
				}
			}
			c.WriteMessage(gws.CloseMessage, gws.FormatCloseMessage(4001, "done"))
			_, _, err = c.ReadMessage()
			var ce *gws.CloseError
			if !errors.As(err, &ce) || ce.Code != 4001 {
				t.Errorf("gorilla read %v, want the 4001 echo", err)
			}
			c.Close()
			if e := rec.waitClose(t); e.Code != 4001 || e.Reason != "done" || e.Err != nil || e.Local {
				t.Errorf("server OnClose %+v", e)
			}
		})
	}
}

func TestCoderClientAgainstServer(t *testing.T) {
	for name, cfg := range serverVariants() {
		for _, mode := range []cws.CompressionMode{cws.CompressionContextTakeover, cws.CompressionNoContextTakeover} {
			t.Run(name+"/"+itoa(int(mode)), func(t *testing.T) {
				addr, recs := abServer(t, &ServerOptions{Config: Config{Compression: cfg}})
				ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
				defer cancel()
				c, _, err := cws.Dial(ctx, "ws://"+addr+"/ws", &cws.DialOptions{CompressionMode: mode})
				if err != nil {
					t.Fatal(err)
				}
				defer c.CloseNow()
				c.SetReadLimit(-1)
				rec := <-recs
				for _, m := range goMessages() {
					typ := cws.MessageText
					if m.op == wsproto.OpBinary {
						typ = cws.MessageBinary
					}
					if err := c.Write(ctx, typ, m.data); err != nil {
						t.Fatal(err)
					}
					mt, p, err := c.Read(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if mt != typ || !bytes.Equal(p, m.data) {
						t.Fatalf("echo of %d bytes: got %d bytes", len(m.data), len(p))
					}
				}
				if err := c.Close(cws.StatusGoingAway, "later"); err != nil {
					t.Errorf("coder close: %v", err)
				}
				if e := rec.waitClose(t); e.Code != 1001 || e.Reason != "later" || e.Err != nil {
					t.Errorf("server OnClose %+v", e)
				}
			})
		}
	}
}

// The server closes: clients see its code.
func TestServerClosesGorilla(t *testing.T) {
	recs := make(chan *recorder, 1)
	addr := startServer(t, nil, func() Handler {
		r := &closer{recorder: newRecorder()}
		recs <- r.recorder
		return r
	})
	c, _, err := gws.DefaultDialer.Dial("ws://"+addr+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rec := <-recs
	c.SetReadDeadline(time.Now().Add(testTimeout))
	c.WriteMessage(gws.TextMessage, []byte("close please"))
	_, _, err = c.ReadMessage()
	var ce *gws.CloseError
	if !errors.As(err, &ce) || ce.Code != 4321 || ce.Text != "as asked" {
		t.Fatalf("gorilla read %v", err)
	}
	// gorilla echoes the close frame when it reads one.
	if e := rec.waitClose(t); !e.Local || e.Code != 4321 || e.Err != nil {
		t.Errorf("server OnClose %+v", e)
	}
}

// closer closes the connection with 4321 when it gets a message.
type closer struct{ *recorder }

func (h *closer) OnMessage(c *Conn, op wsproto.Opcode, data []byte) {
	if err := c.Close(4321, "as asked"); err != nil {
		panic(err)
	}
	if err := c.WriteText([]byte("late")); err != ErrClosed {
		panic("write after Close: " + errString(err))
	}
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

// gorilla and coder servers that send a message right behind their 101
// and then close with their own code and reason: gale's client delivers
// the message, echoes the code, and reports the peer's code and reason in
// a clean close (Local false); each library sees its close answered.
func TestGoServersCloseClient(t *testing.T) {
	servers := map[string]func(t *testing.T, answered chan<- error) string{
		"gorilla": func(t *testing.T, answered chan<- error) string {
			up := gws.Upgrader{}
			return serveGo(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c, err := up.Upgrade(w, r, nil)
				if err != nil {
					return
				}
				defer c.Close()
				c.WriteMessage(gws.TextMessage, []byte("first"))
				c.WriteControl(gws.CloseMessage, gws.FormatCloseMessage(4002, "gorilla says bye"), time.Now().Add(testTimeout))
				c.SetReadDeadline(time.Now().Add(testTimeout))
				_, _, err = c.ReadMessage()
				if ce := (*gws.CloseError)(nil); errors.As(err, &ce) && ce.Code == 4002 {
					err = nil // the echo
				}
				answered <- err
			}))
		},
		"coder": func(t *testing.T, answered chan<- error) string {
			return serveGo(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c, err := cws.Accept(w, r, nil)
				if err != nil {
					return
				}
				defer c.CloseNow()
				c.Write(context.Background(), cws.MessageText, []byte("first"))
				// Close waits for the answer, and fails without one.
				answered <- c.Close(4002, "coder says bye")
			}))
		},
	}
	for name, serve := range servers {
		t.Run(name, func(t *testing.T) {
			answered := make(chan error, 1)
			addr := serve(t, answered)
			l := clientLoop(t)
			rec := newRecorder()
			rec.noEcho = true
			if _, err := dialSync(t, l, "ws://"+addr+"/", rec, nil); err != nil {
				t.Fatal(err)
			}
			if m := rec.waitMsg(t); m.op != wsproto.OpText || string(m.data) != "first" {
				t.Errorf("message %v %q", m.op, m.data)
			}
			e := rec.waitClose(t)
			if e.Code != 4002 || e.Reason != name+" says bye" || e.Local || e.Err != nil {
				t.Errorf("client OnClose %+v", e)
			}
			if err := <-answered; err != nil {
				t.Errorf("%s: close not answered: %v", name, err)
			}
		})
	}
}

// The server closes: coder's client sees its code and reason, and answers.
func TestServerClosesCoder(t *testing.T) {
	recs := make(chan *recorder, 1)
	addr := startServer(t, nil, func() Handler {
		r := &closer{recorder: newRecorder()}
		recs <- r.recorder
		return r
	})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, _, err := cws.Dial(ctx, "ws://"+addr+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	rec := <-recs
	if err := c.Write(ctx, cws.MessageText, []byte("close please")); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Read(ctx)
	var ce cws.CloseError
	if !errors.As(err, &ce) || ce.Code != 4321 || ce.Reason != "as asked" {
		t.Fatalf("coder read %v", err)
	}
	if e := rec.waitClose(t); !e.Local || e.Code != 4321 || e.Err != nil {
		t.Errorf("server OnClose %+v", e)
	}
}

// WritePrepared interleaved with WriteMessage on compressed connections,
// with and without context takeover: coder's client (which keeps its
// decompression context when allowed) decodes every message, so the
// connection's compression context stays in step with the peer's after a
// prepared frame compressed without it.
func TestWritePreparedInterleaved(t *testing.T) {
	a := []byte(strings.Repeat("alpha beta gamma ", 50))
	b := []byte(strings.Repeat("alpha beta delta ", 60))
	for name, cfg := range serverVariants() {
		for _, mode := range []cws.CompressionMode{cws.CompressionContextTakeover, cws.CompressionNoContextTakeover} {
			t.Run(name+"/"+itoa(int(mode)), func(t *testing.T) {
				pcfg := cfg
				if pcfg == nil {
					pcfg = &wsproto.DeflateConfig{}
				}
				big := wsproto.NewPreparedMessage(wsproto.OpText, b, pcfg)
				small := wsproto.NewPreparedMessage(wsproto.OpBinary, []byte{1, 2, 3}, pcfg)
				want := [][]byte{a, b, a, {1, 2, 3}, a, b, b, a}
				errs := make(chan error, 1)
				addr := startServer(t, &ServerOptions{Config: Config{Compression: cfg}}, func() Handler {
					return &opener{recorder: newRecorder(), f: func(c *Conn) {
						errs <- errors.Join(c.WriteText(a), c.WritePrepared(big), c.WriteText(a), c.WritePrepared(small),
							c.WriteText(a), c.WritePrepared(big), c.WritePrepared(big), c.WriteText(a))
					}}
				})
				ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
				defer cancel()
				c, _, err := cws.Dial(ctx, "ws://"+addr+"/", &cws.DialOptions{CompressionMode: mode})
				if err != nil {
					t.Fatal(err)
				}
				defer c.CloseNow()
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
				for i, w := range want {
					_, p, err := c.Read(ctx)
					if err != nil {
						t.Fatalf("message %d: %v", i, err)
					}
					if !bytes.Equal(p, w) {
						t.Errorf("message %d: got %q", i, trunc(p))
					}
				}
			})
		}
	}
}

// A wss Dial whose TLS configuration also offers "h2" (one shared with an
// HTTP/2 client) still opens against a server that speaks both (net/http
// with HTTP/2 on, gorilla upgrading): the opening handshake is HTTP/1.1,
// so only "http/1.1" is offered.
func TestDialWSSOffersOnlyHTTP11(t *testing.T) {
	up := gws.Upgrader{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		mt, p, err := c.ReadMessage()
		if err == nil {
			c.WriteMessage(mt, p)
			c.ReadMessage() // until the client closes
		}
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	l := clientLoop(t)
	rec := newRecorder()
	rec.noEcho = true
	url := "wss://" + strings.TrimPrefix(srv.URL, "https://") + "/"
	c, err := dialSync(t, l, url, rec, &DialOptions{TLS: &tls.Config{RootCAs: pool, NextProtos: []string{"h2", "http/1.1"}}})
	if err != nil {
		t.Fatal(err)
	}
	onLoop(t, l, func() { c.WriteText([]byte("over http/1.1")) })
	if m := rec.waitMsg(t); string(m.data) != "over http/1.1" {
		t.Errorf("echo %q", m.data)
	}
	onLoop(t, l, func() { c.Close(1000, "") })
	rec.waitClose(t)
}

// chaosServer is one gale server (two loops) for TestChaosIsolation: every
// path echoes; /keepalive runs tight keepalive and close timeouts. It
// records each connection's OnClose by the peer's address.
type chaosServer struct {
	addr   string
	mu     sync.Mutex
	closes map[string]chan *CloseError
	opened atomic.Int64
	ended  atomic.Int64
}

// closeOf returns the channel that receives the OnClose of the connection
// from peer address a.
func (s *chaosServer) closeOf(a string) chan *CloseError {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.closes[a]
	if ch == nil {
		ch = make(chan *CloseError, 1)
		s.closes[a] = ch
	}
	return ch
}

func startChaosServer(t *testing.T) *chaosServer {
	s := &chaosServer{closes: make(map[string]chan *CloseError)}
	comp := &wsproto.DeflateConfig{}
	good := &ServerOptions{Config: Config{MaxMessageSize: 256 << 10, Compression: comp, CloseTimeout: 400 * time.Millisecond, PingInterval: 1500 * time.Millisecond}}
	tight := &ServerOptions{Config: Config{MaxMessageSize: 256 << 10, Compression: comp, CloseTimeout: 300 * time.Millisecond,
		PingInterval: 100 * time.Millisecond, PingTimeout: 100 * time.Millisecond}}
	// /nctx: no context takeover either way, so that every connection on
	// a loop shares pooled compressors, bad peers' included.
	nctx := &ServerOptions{Config: good.Config}
	nctx.Compression = &wsproto.DeflateConfig{ServerNoContextTakeover: true, ClientNoContextTakeover: true}
	// The peer's address is taken from the request: the Conn's RemoteAddr
	// is nil once the peer has reset, which may come before OnOpen.
	handler := func(peer string) Handler {
		return &HandlerFuncs{
			Open: func(c *Conn) { s.opened.Add(1) },
			Message: func(c *Conn, op wsproto.Opcode, data []byte) {
				if op == wsproto.OpText && string(data) == "close-me" {
					c.Close(4000, "bye")
					return
				}
				if err := c.WriteMessage(op, data); errors.Is(err, ErrBackpressure) {
					c.Close(wsproto.ClosePolicyViolation, "too slow")
				}
			},
			Close: func(c *Conn, e *CloseError) {
				s.ended.Add(1)
				select { // (a churned peer's port may come again)
				case s.closeOf(peer) <- e:
				default:
				}
			},
		}
	}
	srv := httpserver.New(func(w *httpserver.ResponseWriter, r *httpserver.Request) {
		opts := good
		switch string(r.Path) {
		case "/keepalive":
			opts = tight
		case "/nctx":
			opts = nctx
		}
		Upgrade(w, r, handler(r.RemoteAddrPort().String()), opts)
	}, &httpserver.Options{TCP: tcpserver.Options{Loops: 2}})
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	s.addr = srv.Addrs()[0].String()
	return s
}

// chaosSizes are the good clients' message sizes, across the length
// encodings and the stream's direct-write threshold.
var chaosSizes = []int{7, 125, 126, 1000, 65535, 65536, 100000}

// chaosMsg is message i of client id: its number first, then bytes that
// depend on both, text (ASCII) or binary.
func chaosMsg(id, i int) (wsproto.Opcode, []byte) {
	n := chaosSizes[i%len(chaosSizes)]
	b := make([]byte, n)
	copy(b, fmt.Sprintf("%02d%05d", id, i))
	x := uint32(id*7919 + i + 1)
	for j := 7; j < n; j++ {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[j] = 'a' + byte(x%26)
	}
	if i%2 == 1 {
		for j := 7; j < n; j += 3 {
			b[j] = byte(x >> (j % 24))
		}
		return wsproto.OpBinary, b
	}
	return wsproto.OpText, b
}

const (
	chaosMsgs   = 30
	chaosWindow = 3
)

// chaosGorilla runs a gorilla client: it sends chaosMsgs messages (the
// larger ones fragmented by its writer), at most chaosWindow unanswered,
// and checks every echo arrives intact and in order.
func chaosGorilla(addr, path string, id int, compress bool) error {
	d := gws.Dialer{EnableCompression: compress, HandshakeTimeout: testTimeout, WriteBufferSize: 4096}
	c, resp, err := d.Dial("ws://"+addr+path, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	if got := resp.Header.Get("Sec-WebSocket-Extensions") != ""; got != compress {
		return fmt.Errorf("gorilla %d: compression %v, want %v", id, got, compress)
	}
	c.SetReadDeadline(time.Now().Add(testTimeout))
	c.SetWriteDeadline(time.Now().Add(testTimeout))
	acks := make(chan error, chaosMsgs+1)
	go func() {
		for i := 0; i < chaosMsgs; i++ {
			mt, p, err := c.ReadMessage()
			if err != nil {
				acks <- fmt.Errorf("gorilla %d: reading echo %d: %w", id, i, err)
				return
			}
			op, want := chaosMsg(id, i)
			if mt != int(op) || !bytes.Equal(p, want) {
				acks <- fmt.Errorf("gorilla %d: echo %d: got type %d, %d bytes %q, want %d bytes", id, i, mt, len(p), trunc(p), len(want))
				return
			}
			acks <- nil
		}
		// The close handshake: the server's echo ends ReadMessage.
		_, _, err := c.ReadMessage()
		var ce *gws.CloseError
		if !errors.As(err, &ce) || ce.Code != 1000 {
			acks <- fmt.Errorf("gorilla %d: after the close: %v", id, err)
			return
		}
		acks <- nil
	}()
	for i := 0; i < chaosMsgs; i++ {
		if i >= chaosWindow {
			if err := <-acks; err != nil {
				return err
			}
		}
		op, m := chaosMsg(id, i)
		w, err := c.NextWriter(int(op))
		if err != nil {
			return err
		}
		for len(m) > 0 {
			k := min(len(m), 1+len(m)/3)
			w.Write(m[:k])
			m = m[k:]
		}
		if err := w.Close(); err != nil {
			return err
		}
	}
	for i := 0; i < chaosWindow; i++ {
		if err := <-acks; err != nil {
			return err
		}
	}
	if err := c.WriteMessage(gws.CloseMessage, gws.FormatCloseMessage(1000, "")); err != nil {
		return err
	}
	return <-acks
}

// chaosGale is chaosGorilla's gale client: it sends every third message in
// three fragments.
type chaosGale struct {
	BaseHandler
	compress      bool
	id, sent, got int
	done          chan error
	failed        bool
}

func (h *chaosGale) fail(c *Conn, err error) {
	if !h.failed {
		h.failed = true
		h.done <- err
		c.Abort()
	}
}

func (h *chaosGale) send(c *Conn) {
	for h.sent < chaosMsgs && h.sent-h.got < chaosWindow {
		op, m := chaosMsg(h.id, h.sent)
		var err error
		if h.sent%3 == 0 && len(m) >= 3 {
			k := len(m) / 3
			err = errors.Join(c.WriteFragment(op, m[:k], false), c.WriteFragment(op, m[k:2*k], false), c.WriteFragment(op, m[2*k:], true))
		} else {
			err = c.WriteMessage(op, m)
		}
		if err != nil {
			h.fail(c, fmt.Errorf("gale %d: sending %d: %w", h.id, h.sent, err))
			return
		}
		h.sent++
	}
}

func (h *chaosGale) OnOpen(c *Conn) {
	if _, ok := c.Compression(); ok != h.compress {
		h.fail(c, fmt.Errorf("gale %d: compression %v, want %v", h.id, ok, h.compress))
		return
	}
	h.send(c)
}

func (h *chaosGale) OnMessage(c *Conn, op wsproto.Opcode, data []byte) {
	wop, want := chaosMsg(h.id, h.got)
	if op != wop || !bytes.Equal(data, want) {
		h.fail(c, fmt.Errorf("gale %d: echo %d: got %v %d bytes %q, want %d bytes", h.id, h.got, op, len(data), trunc(data), len(want)))
		return
	}
	h.got++
	if h.got == chaosMsgs {
		c.Close(1000, "")
		return
	}
	h.send(c)
}

func (h *chaosGale) OnClose(c *Conn, e *CloseError) {
	if h.failed {
		return
	}
	if h.got != chaosMsgs || e.Err != nil || e.Code != 1000 {
		h.done <- fmt.Errorf("gale %d: closed after %d echoes: %+v", h.id, h.got, e)
		return
	}
	h.done <- nil
}

// chaosPeer is a misbehaving raw client: deadline bounds everything it
// waits for.
type chaosPeer struct {
	c  net.Conn
	br *bufio.Reader
}

func chaosDial(addr, path string, deadline time.Duration) (*chaosPeer, error) {
	c, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(deadline))
	return &chaosPeer{c: c, br: bufio.NewReader(c)}, nil
}

func (p *chaosPeer) local() string { return p.c.LocalAddr().String() }

// open sends a valid handshake (and more right behind it) and reads the 101.
func (p *chaosPeer) open(path string, more []byte, extra ...string) error {
	req := strings.Replace(upgradeRequestText(extra...), "GET /ws ", "GET "+path+" ", 1)
	if _, err := p.c.Write(append([]byte(req), more...)); err != nil {
		return err
	}
	return p.read101()
}

func (p *chaosPeer) read101() error {
	resp, err := http.ReadResponse(p.br, &http.Request{Method: "GET"})
	if err != nil {
		return err
	}
	if resp.StatusCode != 101 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// frame reads one server frame, skipping the server's keepalive pings
// (empty).
func (p *chaosPeer) frame() (rawFrame, error) {
	rc := rawClient{br: p.br}
	for {
		f, err := rc.readFrame()
		if err != nil || f.op != wsproto.OpPing || len(f.payload) != 0 {
			return f, err
		}
	}
}

// expectClose skips data and pings up to a Close frame and checks its
// code, then checks the server ends the connection.
func (p *chaosPeer) expectClose(want wsproto.CloseCode) error {
	for {
		f, err := p.frame()
		if err != nil {
			return fmt.Errorf("want close %d: %w", want, err)
		}
		if f.op != wsproto.OpClose {
			continue
		}
		if len(f.payload) < 2 || wsproto.CloseCode(binary.BigEndian.Uint16(f.payload)) != want {
			return fmt.Errorf("close frame %q, want code %d", f.payload, want)
		}
		break
	}
	if _, err := p.frame(); err != io.EOF && !isReset(err) {
		return fmt.Errorf("after the close frame: %v, want the end of the connection", err)
	}
	return nil
}

// serverClose waits for the server's OnClose of peer a.
func (s *chaosServer) serverClose(a string, within time.Duration) (*CloseError, error) {
	select {
	case e := <-s.closeOf(a):
		return e, nil
	case <-time.After(within):
		return nil, fmt.Errorf("server OnClose of %s not called within %v", a, within)
	}
}

// failed checks that the server failed peer p's connection with code (on
// the wire) and an OnClose error that errors.Is kind.
func (s *chaosServer) failed(p *chaosPeer, code wsproto.CloseCode, kind error) error {
	if err := p.expectClose(code); err != nil {
		return err
	}
	e, err := s.serverClose(p.local(), 10*time.Second)
	if err == nil && (!errors.Is(e.Err, kind) || !e.Local) {
		err = fmt.Errorf("server OnClose %+v, want a local close for %v", e, kind)
	}
	return err
}

// TestChaosIsolation: one server on two loops, with and without
// compression, serves well-behaved gorilla and gale clients exchanging
// numbered messages of varied sizes (text and binary, fragmented,
// compressed) while misbehaving raw peers stall, lie about lengths, send
// bad UTF-8, flood pings without reading, ignore the close, reset, dawdle
// over the handshake, send garbage after it and churn connections. Every
// bad peer must get its close code within its limit's time, every good
// client every message intact and in order.
func TestChaosIsolation(t *testing.T) {
	heapBefore := chaosHeap()
	s := startChaosServer(t)
	const within = 10 * time.Second // generous: the limits are far below
	type result struct {
		name string
		err  error
	}
	results := make(chan result, 64)
	var wg sync.WaitGroup
	run := func(name string, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- result{name, f()}
		}()
	}
	// A bad peer on path, doing act once open; check judges what follows.
	bad := func(name, path string, act func(p *chaosPeer) error, extra ...string) {
		run(name, func() error {
			p, err := chaosDial(s.addr, path, within)
			if err != nil {
				return err
			}
			defer p.c.Close()
			if err := p.open(path, nil, extra...); err != nil {
				return err
			}
			return act(p)
		})
	}

	for i := 0; i < 4; i++ {
		// Compressed: 0 with context takeover, 2 without.
		path := "/ws"
		if i == 2 {
			path = "/nctx"
		}
		run(fmt.Sprintf("gorilla-%d", i), func() error { return chaosGorilla(s.addr, path, i, i%2 == 0) })
	}
	l := clientLoop(t)
	for i := 4; i < 8; i++ {
		h := &chaosGale{id: i, compress: i%2 == 0, done: make(chan error, 2)}
		var opts DialOptions
		path := "/ws"
		if i%2 == 0 { // compressed: 4 with context takeover, 6 without
			opts.Compression = &wsproto.DeflateConfig{}
			if i == 6 {
				path = "/nctx"
			}
		}
		run(fmt.Sprintf("gale-%d", i), func() error {
			l.Post(func() {
				Dial(context.Background(), l, "ws://"+s.addr+path, h, &opts, func(c *Conn, err error) {
					if err != nil {
						h.done <- err
					}
				})
			})
			select {
			case err := <-h.done:
				return err
			case <-time.After(within):
				return errors.New("no outcome")
			}
		})
	}

	bad("stall mid-frame", "/keepalive", func(p *chaosPeer) error {
		hdr := frame(true, false, wsproto.OpBinary, make([]byte, 1000))
		p.c.Write(hdr[:20])
		start := time.Now()
		if err := p.expectClose(wsproto.CloseNormal); err != nil {
			return err
		}
		if d := time.Since(start); d > 5*time.Second {
			return fmt.Errorf("closed after %v", d)
		}
		e, err := s.serverClose(p.local(), within)
		if err == nil && !errors.Is(e.Err, ErrPingTimeout) {
			err = fmt.Errorf("server OnClose %+v, want ErrPingTimeout", e)
		}
		return err
	})
	bad("2^63 length", "/ws", func(p *chaosPeer) error {
		p.c.Write([]byte{0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4})
		return s.failed(p, wsproto.CloseProtocolError, wsproto.ErrProtocol)
	})
	bad("2^62 length", "/ws", func(p *chaosPeer) error {
		p.c.Write([]byte{0x82, 0xFF, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4})
		return s.failed(p, wsproto.CloseMessageTooBig, wsproto.ErrTooBig)
	})
	bad("bad UTF-8 across fragments", "/ws", func(p *chaosPeer) error {
		p.c.Write(frame(false, false, wsproto.OpText, []byte("ab\xce")))
		p.c.Write(frame(true, false, wsproto.OpContinuation, []byte("\xffcd")))
		return s.failed(p, wsproto.CloseInvalidPayload, wsproto.ErrInvalidData)
	})
	const deflate = "Sec-WebSocket-Extensions: permessage-deflate"
	bomb := chaosDeflate(make([]byte, 1<<20)) // 4 times the limit once inflated
	bad("compressed bad UTF-8", "/ws", func(p *chaosPeer) error {
		p.c.Write(frame(true, true, wsproto.OpText, chaosDeflate([]byte("valid, then \xce\xff"))))
		return s.failed(p, wsproto.CloseInvalidPayload, wsproto.ErrInvalidData)
	}, deflate)
	bad("compressed bomb", "/ws", func(p *chaosPeer) error {
		z := bomb
		p.c.Write(frame(false, true, wsproto.OpBinary, z[:len(z)/2]))
		p.c.Write(frame(true, false, wsproto.OpContinuation, z[len(z)/2:]))
		return s.failed(p, wsproto.CloseMessageTooBig, wsproto.ErrTooBig)
	}, deflate)
	bad("pooled inflater: bomb", "/nctx", func(p *chaosPeer) error {
		p.c.Write(frame(true, true, wsproto.OpBinary, bomb))
		return s.failed(p, wsproto.CloseMessageTooBig, wsproto.ErrTooBig)
	}, deflate)
	bad("pooled inflater: bad UTF-8", "/nctx", func(p *chaosPeer) error {
		p.c.Write(frame(true, true, wsproto.OpText, chaosDeflate([]byte("valid, then \xce\xff"))))
		return s.failed(p, wsproto.CloseInvalidPayload, wsproto.ErrInvalidData)
	}, deflate)
	bad("pooled inflater: closed mid-message", "/nctx", func(p *chaosPeer) error {
		z := chaosDeflate(bytes.Repeat([]byte("abandoned "), 1000))
		p.c.Write(frame(false, true, wsproto.OpText, z[:len(z)/2]))
		p.c.Write(frame(true, false, wsproto.OpClose, closePayload(4001, "")))
		return p.expectClose(4001)
	}, deflate)
	bad("pooled inflater: reset mid-message", "/nctx", func(p *chaosPeer) error {
		z := chaosDeflate(bytes.Repeat([]byte("abandoned "), 1000))
		p.c.Write(frame(false, true, wsproto.OpBinary, z[:len(z)/2]))
		p.c.(*net.TCPConn).SetLinger(0)
		a := p.local()
		p.c.Close()
		_, err := s.serverClose(a, within)
		return err
	}, deflate)
	bad("pooled inflater: bad continuation", "/nctx", func(p *chaosPeer) error {
		z := chaosDeflate(bytes.Repeat([]byte("abandoned "), 1000))
		p.c.Write(frame(false, true, wsproto.OpText, z[:len(z)/2]))
		p.c.Write(frame(true, false, wsproto.OpBinary, z[len(z)/2:]))
		return p.expectClose(wsproto.CloseProtocolError)
	}, deflate)
	bad("RSV1 uncompressed", "/ws", func(p *chaosPeer) error {
		p.c.Write(frame(true, true, wsproto.OpBinary, chaosDeflate([]byte("x"))))
		return p.expectClose(wsproto.CloseProtocolError)
	})
	bad("empty fragments", "/ws", func(p *chaosPeer) error {
		p.c.Write(frame(false, false, wsproto.OpBinary, nil))
		p.c.Write(bytes.Repeat(frame(false, false, wsproto.OpContinuation, nil), 10000))
		p.c.Write(frame(true, false, wsproto.OpContinuation, []byte("end")))
		f, err := p.frame()
		if err != nil || f.op != wsproto.OpBinary || string(f.payload) != "end" {
			return fmt.Errorf("echo %v %q %v", f.op, f.payload, err)
		}
		return nil
	}, deflate)
	bad("oversized ping", "/ws", func(p *chaosPeer) error {
		p.c.Write(frame(true, false, wsproto.OpPing, make([]byte, 126)))
		return p.expectClose(wsproto.CloseProtocolError)
	})
	bad("ping flood, never reading", "/keepalive", func(p *chaosPeer) error {
		ping := bytes.Repeat(frame(true, false, wsproto.OpPing, make([]byte, 125)), 512)
		start := time.Now()
		for {
			if _, err := p.c.Write(ping); err != nil {
				if isTimeout(err) {
					return fmt.Errorf("server still reading after %v", time.Since(start))
				}
				break // dropped
			}
		}
		e, err := s.serverClose(p.local(), within)
		if err == nil && e.Err == nil {
			err = fmt.Errorf("server OnClose %+v, want a cause", e)
		}
		return err
	})
	bad("never answers the close", "/ws", func(p *chaosPeer) error {
		p.c.Write(frame(true, false, wsproto.OpText, []byte("close-me")))
		if err := p.expectClose(4000); err != nil {
			return err
		}
		e, err := s.serverClose(p.local(), within)
		if err == nil && !errors.Is(e.Err, ErrCloseTimeout) {
			err = fmt.Errorf("server OnClose %+v, want ErrCloseTimeout", e)
		}
		return err
	})
	bad("never reads", "/ws", func(p *chaosPeer) error {
		m := frame(true, false, wsproto.OpBinary, make([]byte, 64<<10))
		for {
			if _, err := p.c.Write(m); err != nil {
				if isTimeout(err) {
					return errors.New("server never dropped the connection")
				}
				break
			}
		}
		// Its pings unanswered, keepalive may close it first.
		e, err := s.serverClose(p.local(), within)
		if err == nil && !errors.Is(e.Err, ErrCloseTimeout) && !errors.Is(e.Err, ErrPingTimeout) {
			err = fmt.Errorf("server OnClose %+v, want ErrCloseTimeout", e)
		}
		return err
	})
	bad("reset mid-message", "/ws", func(p *chaosPeer) error {
		m := frame(true, false, wsproto.OpBinary, make([]byte, 5000))
		p.c.Write(m[:3000])
		p.c.(*net.TCPConn).SetLinger(0)
		a := p.local()
		p.c.Close()
		e, err := s.serverClose(a, within)
		if err == nil && (e.Err == nil || e.Code != wsproto.CloseAbnormal) {
			err = fmt.Errorf("server OnClose %+v, want 1006 with a cause", e)
		}
		return err
	})
	run("handshake byte by byte", func() error {
		p, err := chaosDial(s.addr, "/ws", within)
		if err != nil {
			return err
		}
		defer p.c.Close()
		req := upgradeRequestText()
		for i := 0; i < len(req); i++ {
			if _, err := p.c.Write([]byte{req[i]}); err != nil {
				return err
			}
			time.Sleep(time.Millisecond)
		}
		if err := p.read101(); err != nil {
			return err
		}
		// Then a fragmented message with a ping between its fragments,
		// byte by byte as well.
		msg := bytes.Join([][]byte{
			frame(false, false, wsproto.OpText, []byte("sl")),
			frame(true, false, wsproto.OpPing, []byte("are you there")),
			frame(true, false, wsproto.OpContinuation, []byte("ow")),
		}, nil)
		for i := range msg {
			if _, err := p.c.Write(msg[i : i+1]); err != nil {
				return err
			}
			time.Sleep(time.Millisecond)
		}
		f, err := p.frame()
		if err != nil || f.op != wsproto.OpPong || string(f.payload) != "are you there" {
			return fmt.Errorf("pong %v %q %v", f.op, f.payload, err)
		}
		f, err = p.frame()
		if err != nil || f.op != wsproto.OpText || string(f.payload) != "slow" {
			return fmt.Errorf("echo %v %q %v", f.op, f.payload, err)
		}
		return nil
	})
	run("garbage after the 101", func() error {
		p, err := chaosDial(s.addr, "/ws", within)
		if err != nil {
			return err
		}
		defer p.c.Close()
		if err := p.open("/ws", []byte("\x00\x01garbage\r\n\r\n")); err != nil {
			return err
		}
		return p.expectClose(wsproto.CloseProtocolError)
	})
	for g := 0; g < 2; g++ {
		run(fmt.Sprintf("churn-%d", g), func() error {
			for i := 0; i < 500; i++ {
				p, err := chaosDial(s.addr, "/ws", within)
				if err != nil {
					return err
				}
				switch i % 3 {
				case 0: // gone before the handshake is answered
					p.c.Write([]byte(upgradeRequestText()))
				case 1: // gone right after the 101
					err = p.open("/ws", nil)
				case 2: // reset with a message half sent
					err = p.open("/ws", frame(true, false, wsproto.OpText, []byte("half a message"))[:8])
					p.c.(*net.TCPConn).SetLinger(0)
				}
				p.c.Close()
				if err != nil {
					return fmt.Errorf("connection %d: %w", i, err)
				}
			}
			return nil
		})
	}

	wg.Wait()
	close(results)
	for r := range results {
		if r.err != nil {
			t.Errorf("%s: %v", r.name, r.err)
		}
	}
	// Every connection the server opened ends (the churned ones included).
	deadline := time.Now().Add(within)
	for s.ended.Load() != s.opened.Load() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if o, e := s.opened.Load(), s.ended.Load(); o != e {
		t.Errorf("server opened %d connections, closed %d", o, e)
	}
	// Nothing of those connections stays on the heap but what the loops'
	// stocks and the pools keep (a few MiB at most).
	if grown := int64(chaosHeap()) - int64(heapBefore); grown > 16<<20 {
		t.Errorf("the heap grew by %d bytes", grown)
	} else {
		t.Logf("heap grew by %d bytes", grown)
	}
}

func chaosHeap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// chaosDeflate compresses b as one permessage-deflate message.
func chaosDeflate(b []byte) []byte {
	var out bytes.Buffer
	w, _ := flate.NewWriter(&out, flate.DefaultCompression)
	w.Write(b)
	w.Flush()
	return bytes.TrimSuffix(out.Bytes(), []byte{0, 0, 0xff, 0xff})
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
