package wsbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/gale-io/gale/bench/internal/peer"
	"github.com/gale-io/gale/bench/internal/server"
	"github.com/gale-io/gale/bench/internal/wsbench/broadcast"
)

func init() { server.Register("ws", "std", func() server.Server { return new(stdServer) }) }

// stdServer is github.com/gorilla/websocket v1.5.3 on net/http, as its
// examples use it: an Upgrader with the default 4 KiB read and write
// buffers (EnableCompression per Compress: gorilla compresses without
// context takeover), and a goroutine per connection echoing each message
// with NextReader, NextWriter and io.Copy (which gorilla's writer serves
// through ReadFrom, without a copy buffer). Text messages are read whole
// first, to see whether they are a broadcast trigger.
//
// A broadcast is one websocket.PreparedMessage (encoded once per
// compression setting), written by the triggering goroutine to every open
// connection in turn, under each connection's write lock (gorilla allows
// one concurrent writer), the lock its echo loop takes too.
//
// -tls: crypto/tls over the listener, HTTP/1.1 only.
type stdServer struct {
	peer.NetHTTP // HTTP connections, until hijacked or closed
	up           websocket.Upgrader
	hub          hub[*stdConn]

	mu      sync.Mutex
	active  int           // WebSocket handlers running
	drained chan struct{} // closed when active drops to 0 after Stop began
	closing bool
}

// stdConn is one WebSocket connection; wmu serialises its writers.
type stdConn struct {
	wmu sync.Mutex
	c   *websocket.Conn
}

func (s *stdServer) Start(cfg server.Config) (net.Addr, error) {
	s.up = websocket.Upgrader{
		EnableCompression: Compress,
		HandshakeTimeout:  10 * time.Second,
		CheckOrigin:       func(*http.Request) bool { return true }, // a benchmark: any origin
	}
	s.drained = make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", s.serveWS)
	return s.NetHTTP.Start("std ws server", cfg.Addr, cfg.ReusePort, cfg.TLS, &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 30 * time.Second,
	})
}

// enter counts a WebSocket handler in; false once Stop has begun.
func (s *stdServer) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.active++
	return true
}

func (s *stdServer) leave() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active--; s.active == 0 && s.closing {
		close(s.drained)
	}
}

func (s *stdServer) serveWS(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.leave()
	c, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade answered the client with an error status
	}
	defer c.Close()
	c.SetReadLimit(MaxMessage)
	sc := &stdConn{c: c}
	if !s.hub.add(sc) {
		return
	}
	defer s.hub.remove(sc)
	for {
		op, rd, err := c.NextReader()
		if err != nil {
			return // the peer closed, a protocol error (gorilla sent the close), or Stop
		}
		if op == websocket.TextMessage {
			msg, err := io.ReadAll(rd)
			if err != nil {
				return
			}
			if n, ok := broadcast.Parse(msg); ok {
				s.broadcast(n)
				continue
			}
			if !utf8.Valid(msg) {
				// gorilla does not check text; its own Autobahn example
				// server does this, as gale and RFC 6455 section 8.1 do.
				// (WriteControl may run beside other writes.)
				c.WriteControl(websocket.CloseMessage,
					websocket.FormatCloseMessage(websocket.CloseInvalidFramePayloadData, ""), time.Now().Add(time.Second))
				return
			}
			sc.wmu.Lock()
			err = c.WriteMessage(op, msg)
			sc.wmu.Unlock()
			if err != nil {
				return
			}
			continue
		}
		sc.wmu.Lock()
		err = echo(c, op, rd)
		sc.wmu.Unlock()
		if err != nil {
			return
		}
	}
}

// echo copies one message from rd to a new message of type op.
func echo(c *websocket.Conn, op int, rd io.Reader) error {
	w, err := c.NextWriter(op)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, rd); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// broadcast writes one prepared n-byte message to every open connection.
// A connection whose write fails is left to its reader, which fails too.
func (s *stdServer) broadcast(n int) {
	pm, err := websocket.NewPreparedMessage(websocket.BinaryMessage, broadcast.Payload(n))
	if err != nil {
		slog.Warn("std ws server: preparing a broadcast", "err", err)
		return
	}
	for _, sc := range s.hub.snapshot(nil) {
		sc.wmu.Lock()
		sc.c.WritePreparedMessage(pm)
		sc.wmu.Unlock()
	}
}

// Stop closes the listener and the HTTP connections (http.Server's
// Close), then every WebSocket connection, and waits for Serve and all
// the connections' goroutines.
func (s *stdServer) Stop(ctx context.Context) error {
	err := s.Close()
	s.mu.Lock()
	s.closing = true
	if s.active == 0 {
		close(s.drained)
	}
	s.mu.Unlock()
	for _, sc := range s.hub.stop() {
		sc.c.NetConn().Close() // the reader fails, its handler returns
	}
	if err = errors.Join(err, s.Wait(ctx, s.drained)); err != nil {
		return fmt.Errorf("std ws server: stop: %w", err)
	}
	return nil
}
