package websocket

// Interoperability with the two widely used Go WebSocket libraries, run in
// this process: gale's client against gorilla/websocket and coder/websocket
// servers, and their clients against gale's server, with and without
// permessage-deflate, checking echoes and close codes both ways.

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	cws "github.com/coder/websocket"
	gws "github.com/gorilla/websocket"

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
