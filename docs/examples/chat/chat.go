package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/httpproto/httpserver"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/wsproto"
	"github.com/gale-io/gale/wsproto/websocket"
)

// The chat's limits.
const (
	// MaxMessage is the longest message a member may send, in bytes; a
	// longer one closes its connection with 1009 (the websocket package
	// enforces it).
	MaxMessage = 4 << 10
	// MaxName is the longest name, in characters; longer names are cut.
	MaxName = 32
	// HistoryLen is how many recent lines a member gets on joining.
	HistoryLen = 50
	// WriteBufferLimit is how much unsent output a member may pile up
	// before it is dropped as too slow (close code 1013, "try again later",
	// with the reason "too slow"). It stays
	// below the stream's write high-water mark (1 MiB), past which the
	// connection would stop reading and miss the member's pongs and Close.
	WriteBufferLimit = 512 << 10
)

//go:embed index.html
var indexHTML []byte

// Config configures a chat server.
type Config struct {
	// Loops is the number of event loops (0: GOMAXPROCS).
	Loops int
	// Compress accepts permessage-deflate when a browser offers it. The
	// server then compresses each line once, for every member (a
	// wsproto.PreparedMessage), and asks clients to drop their compression
	// context between messages, so that an idle member costs no
	// compressor memory.
	Compress bool
}

// Server is a chat room served over HTTP: GET / is the page, GET /ws the
// WebSocket every member joins.
type Server struct {
	*httpserver.Server
	hub  *Hub
	opts websocket.ServerOptions
}

// NewServer returns a chat server; Listen and Start it like any
// httpserver.Server.
func NewServer(cfg Config) *Server {
	s := &Server{}
	s.opts.MaxMessageSize = MaxMessage
	s.opts.WriteBufferLimit = WriteBufferLimit
	if cfg.Compress {
		s.opts.Compression = &wsproto.DeflateConfig{ClientNoContextTakeover: true, ServerNoContextTakeover: true}
	}
	s.hub = NewHub(s.opts.Compression)
	opts := &httpserver.Options{}
	opts.TCP.Loops = cfg.Loops
	s.Server = httpserver.New(s.serveHTTP, opts)
	return s
}

// Stop closes every member with 1001 (going away) and waits, within ctx,
// for their close handshakes; then it shuts the HTTP server down.
func (s *Server) Stop(ctx context.Context) error {
	var err error
	select {
	case <-s.hub.closeAll():
	case <-ctx.Done():
		err = ctx.Err()
	}
	if serr := s.Server.Shutdown(ctx); err == nil {
		err = serr
	}
	s.Server.Close()
	return err
}

func (s *Server) serveHTTP(w *httpserver.ResponseWriter, r *httpserver.Request) {
	switch string(r.Path) {
	case "/":
		w.Respond(200, "text/html; charset=utf-8", indexHTML)
	case "/ws":
		var args httpproto.Args
		name := "guest"
		if err := httpproto.ParseQuery(&args, r.RawQuery, nil); err == nil {
			name = cleanName(args.Get("name"))
		}
		// Upgrade answers a bad handshake itself (400, 403, 405, 426).
		websocket.Upgrade(w, r, &member{hub: s.hub, name: name}, &s.opts)
	default:
		w.Respond(404, "text/plain; charset=utf-8", []byte("not found\n"))
	}
}

// cleanName trims a requested name, drops control characters and cuts it
// to MaxName characters; an empty result is "guest".
func cleanName(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.TrimSpace(s) {
		if r < ' ' || r == 0x7f || r == utf8.RuneError {
			continue
		}
		if n == MaxName {
			break
		}
		b.WriteRune(r)
		n++
	}
	if b.Len() == 0 {
		return "guest"
	}
	return b.String()
}

// line is one chat line as the page receives it: a member's text (From
// set) or the room's notice.
type line struct {
	From string `json:"from,omitempty"`
	Text string `json:"text"`
}

// Hub is the room: the members, kept per loop, and the recent lines.
//
// Members live on different loops, and a member's Conn may only be used on
// its own loop, so each loop has a shard of the room that only that loop
// touches. A line is encoded and compressed once (a PreparedMessage) and
// posted to every loop, which sends it to its members. The mutex guards
// the set of shards, the history and the sequence numbers that order lines
// the same way on every loop.
type Hub struct {
	cfg *wsproto.DeflateConfig

	mu      sync.Mutex
	shards  map[*loop.Loop]*shard
	history []*wsproto.PreparedMessage // the last HistoryLen lines, oldest first
	seq     uint64                     // the number of the last line
	count   int                        // members, on every loop
	closing bool                       // Stop began: no new members
	empty   chan struct{}              // closed when closing and count is 0
}

// shard is the part of the room on one loop; only that loop touches it.
type shard struct {
	members map[*websocket.Conn]*member
}

// NewHub returns an empty room; cfg (nil: no compression) is the
// compression the server negotiates, used to compress each line once.
func NewHub(cfg *wsproto.DeflateConfig) *Hub {
	return &Hub{cfg: cfg, shards: make(map[*loop.Loop]*shard)}
}

// join adds m, whose connection c is on the calling loop, sends it the
// history, and announces it. Lines numbered up to the history's last are
// in the history it got; it skips them when their broadcast reaches its
// loop.
func (h *Hub) join(c *websocket.Conn, m *member) {
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		c.Close(wsproto.CloseGoingAway, "server stopping")
		return
	}
	sh := h.shards[c.Loop()]
	if sh == nil {
		sh = &shard{members: make(map[*websocket.Conn]*member)}
		h.shards[c.Loop()] = sh
	}
	sh.members[c] = m
	h.count++
	m.joined = h.seq
	history := append([]*wsproto.PreparedMessage(nil), h.history...)
	h.mu.Unlock()
	for _, pm := range history {
		// Prepared: each line is encoded (and compressed) once, not once
		// per joiner. A joiner too slow to take the history is dropped
		// as a slow member is (send).
		if err := c.WritePrepared(pm); err != nil {
			if errors.Is(err, websocket.ErrBackpressure) {
				c.Close(wsproto.CloseTryAgainLater, "too slow")
			}
			return
		}
	}
	h.broadcast(line{Text: m.name + " joined"})
}

// leave removes the member on connection c (on the calling loop) and
// reports whether it was one (a connection refused while stopping was not).
func (h *Hub) leave(c *websocket.Conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	sh := h.shards[c.Loop()]
	if sh == nil || sh.members[c] == nil {
		return false
	}
	delete(sh.members, c)
	h.count--
	if h.closing && h.count == 0 {
		close(h.empty)
	}
	return true
}

// closeAll closes every member with 1001 and refuses new ones; the
// returned channel is closed once every member has left.
func (h *Hub) closeAll() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return h.empty
	}
	h.closing = true
	h.empty = make(chan struct{})
	if h.count == 0 {
		close(h.empty)
	}
	for l, sh := range h.shards {
		l.Post(func() {
			for c := range sh.members {
				c.Close(wsproto.CloseGoingAway, "server stopping")
			}
		})
	}
	return h.empty
}

// broadcast sends ln to every member, from any goroutine.
func (h *Hub) broadcast(ln line) {
	b, err := json.Marshal(ln)
	if err != nil {
		return // a line is two strings: it always encodes
	}
	pm := wsproto.NewPreparedMessage(wsproto.OpText, b, h.cfg)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	seq := h.seq
	h.history = append(h.history, pm)
	if len(h.history) > HistoryLen {
		h.history = h.history[len(h.history)-HistoryLen:]
	}
	for l, sh := range h.shards {
		l.Post(func() { sh.send(pm, seq) })
	}
}

// send writes line number seq to the shard's members that joined before
// it. A member too slow to take it is dropped.
func (sh *shard) send(pm *wsproto.PreparedMessage, seq uint64) {
	for c, m := range sh.members {
		if m.joined >= seq {
			continue // it got this line in its history
		}
		if err := c.WritePrepared(pm); errors.Is(err, websocket.ErrBackpressure) {
			c.Close(wsproto.CloseTryAgainLater, "too slow")
		}
	}
}

// member is one connection's Handler.
type member struct {
	websocket.BaseHandler
	hub    *Hub
	name   string
	joined uint64 // the last line in the history it got on joining
}

// OnOpen implements websocket.Handler.
func (m *member) OnOpen(c *websocket.Conn) { m.hub.join(c, m) }

// OnMessage implements websocket.Handler: a text message is the member's
// line; a binary one is refused with 1003.
func (m *member) OnMessage(c *websocket.Conn, op wsproto.Opcode, data []byte) {
	if op != wsproto.OpText {
		c.Close(wsproto.CloseUnsupportedData, "text only")
		return
	}
	text := strings.TrimSpace(string(data))
	if text == "" {
		return
	}
	m.hub.broadcast(line{From: m.name, Text: text})
}

// OnClose implements websocket.Handler.
func (m *member) OnClose(c *websocket.Conn, e *websocket.CloseError) {
	if m.hub.leave(c) {
		m.hub.broadcast(line{Text: m.name + " left"})
	}
}
