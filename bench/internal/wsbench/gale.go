package wsbench

import (
	"context"
	"net"
	"sync"

	"github.com/gale-io/gale/bench/internal/server"
	"github.com/gale-io/gale/bench/internal/wsbench/broadcast"
	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/httpproto/httpserver"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/tcpserver"
	"github.com/gale-io/gale/wsproto"
	"github.com/gale-io/gale/wsproto/websocket"
)

func init() { server.Register("ws", "gale", func() server.Server { return new(galeServer) }) }

// galeServer is the ws mode on gale: httpserver answers the upgrade request
// and websocket.Upgrade takes the stream over; each connection's handler
// echoes in OnMessage with Conn.WriteMessage (a message that arrived in one
// piece is a view of the stream's buffer, so the echo costs one copy, into
// the write queue). With Compress, permessage-deflate is accepted without
// context takeover in either direction, as gale's documentation advises a
// server with many connections (and as gorilla and nbio always do), so an
// idle connection keeps no compressor.
//
// A broadcast is one wsproto.PreparedMessage (encoded once, compressed
// once), posted to every loop that has connections and sent there with
// Conn.WritePrepared to each of that loop's connections: the sets are
// per loop and touched only on their loop.
//
// -tls: tcpserver's TLS.
type galeServer struct {
	srv  *httpserver.Server
	opts websocket.ServerOptions

	mu    sync.Mutex
	loops map[*loop.Loop]*galeLoop
}

// galeLoop is one loop's open connections; used on that loop only.
type galeLoop struct {
	conns map[*websocket.Conn]struct{}
}

func (g *galeServer) Start(cfg server.Config) (net.Addr, error) {
	g.loops = make(map[*loop.Loop]*galeLoop)
	g.opts = websocket.ServerOptions{
		Config:      websocket.Config{MaxMessageSize: MaxMessage},
		CheckOrigin: func(string, string) bool { return true }, // a benchmark: any origin
	}
	if Compress {
		g.opts.Compression = &wsproto.DeflateConfig{ServerNoContextTakeover: true, ClientNoContextTakeover: true,
			MaxDecompressedSize: MaxMessage}
	}
	h := galeHandler{g}
	g.srv = httpserver.New(func(w *httpserver.ResponseWriter, r *httpserver.Request) {
		if string(r.Path) != "/ws" {
			w.WriteHeader(404)
			w.Header().Add("Content-Type", "text/plain")
			w.Write([]byte("not found\n"))
			w.Finish()
			return
		}
		websocket.Upgrade(w, r, h, &g.opts) // a failed handshake is answered by Upgrade
	}, &httpserver.Options{
		ServerName: "gale",
		TCP: tcpserver.Options{Loops: cfg.Loops, Backlog: 4096, NoDelay: true, TLS: cfg.TLS,
			ReusePort: cfg.ReusePort},
		Limits: httpproto.Limits{MaxBodySize: 1 << 20},
	})
	if err := g.srv.Listen(cfg.Addr); err != nil {
		return nil, err
	}
	if err := g.srv.Start(); err != nil {
		g.srv.Close()
		return nil, err
	}
	return g.srv.Addrs()[0], nil
}

// loopOf returns l's connection set, made at l's first connection.
func (g *galeServer) loopOf(l *loop.Loop) *galeLoop {
	g.mu.Lock()
	defer g.mu.Unlock()
	gl := g.loops[l]
	if gl == nil {
		gl = &galeLoop{conns: make(map[*websocket.Conn]struct{})}
		g.loops[l] = gl
	}
	return gl
}

// broadcast encodes one n-byte message and sends it from every loop to its
// connections.
func (g *galeServer) broadcast(n int) {
	pm := wsproto.NewPreparedMessage(wsproto.OpBinary, broadcast.Payload(n), g.opts.Compression)
	g.mu.Lock()
	defer g.mu.Unlock()
	for l, gl := range g.loops {
		l.Post(func() {
			for c := range gl.conns {
				c.WritePrepared(pm) // a refusal (backpressure, closing) leaves that connection out
			}
		})
	}
}

// Stop closes the listeners and every connection at once.
func (g *galeServer) Stop(context.Context) error { return g.srv.Close() }

// galeHandler serves every connection; it keeps no per-connection state.
type galeHandler struct{ g *galeServer }

func (h galeHandler) OnOpen(c *websocket.Conn) { h.g.loopOf(c.Loop()).conns[c] = struct{}{} }

func (h galeHandler) OnClose(c *websocket.Conn, _ *websocket.CloseError) {
	delete(h.g.loopOf(c.Loop()).conns, c)
}

func (h galeHandler) OnMessage(c *websocket.Conn, op wsproto.Opcode, data []byte) {
	if op == wsproto.OpText {
		if n, ok := broadcast.Parse(data); ok {
			h.g.broadcast(n)
			return
		}
	}
	c.WriteMessage(op, data)
}
