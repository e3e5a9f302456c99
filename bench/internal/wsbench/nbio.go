package wsbench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"runtime"
	"strings"
	"unsafe"

	"github.com/lesismal/nbio/logging"
	"github.com/lesismal/nbio/nbhttp"
	"github.com/lesismal/nbio/nbhttp/websocket"
	"github.com/lesismal/nbio/taskpool"

	"github.com/gale-io/gale/bench/internal/peer"
	"github.com/gale-io/gale/bench/internal/server"
	"github.com/gale-io/gale/bench/internal/wsbench/broadcast"
)

func init() {
	server.Register("ws", "nbio", func() server.Server { return new(nbioServer) })
	logging.SetLogger(peer.NBIOLogger{}) // nbio's default logger writes to stdout
}

// nbioServer is nbio v1.6.7's nbhttp/websocket as its examples use it: an
// Upgrader whose OnMessage handler writes every message back with
// Conn.WriteMessage, on an nbhttp.Engine in IOModNonBlocking (NPoller =
// Config.Loops epoll goroutines, one accepting goroutine), handlers run
// right on the poller goroutine (ServerExecutor; they never block), and
// ReleaseWebsocketPayload, so that a message's buffer goes back to nbio's
// pool once OnMessage returns (the echo is written before). Upgrader
// defaults otherwise: compression per Compress (nbio compresses without
// context takeover), KeepaliveTime 120 s (nbio closes a connection silent
// that long), MessageLengthLimit raised to MaxMessage.
//
// nbio has no prepared message: a broadcast calls WriteMessage on every
// open connection (nbio's Conn takes its own lock), compressing once per
// connection when it negotiated compression.
//
// -tls: nbhttp's TLS (llib's crypto/tls fork), as in the http mode.
type nbioServer struct {
	eng *nbhttp.Engine
	hub hub[*websocket.Conn]
}

func (s *nbioServer) Start(cfg server.Config) (net.Addr, error) {
	up := websocket.NewUpgrader()
	up.EnableCompression(Compress)
	up.MessageLengthLimit = MaxMessage
	up.CheckOrigin = func(*http.Request) bool { return true }
	up.OnOpen(func(c *websocket.Conn) {
		if !s.hub.add(c) {
			c.Close()
		}
	})
	up.OnClose(func(c *websocket.Conn, _ error) { s.hub.remove(c) })
	up.OnMessage(func(c *websocket.Conn, op websocket.MessageType, data []byte) {
		if op == websocket.TextMessage {
			if n, ok := broadcast.Parse(data); ok {
				s.broadcast(n)
				return
			}
		}
		c.WriteMessage(op, data)
	})
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		up.Upgrade(w, r, nil) // on failure Upgrade answered with an error status
	})

	eng, addr, err := peer.StartNBIO("nbio ws server", cfg.Addr, cfg.ReusePort, cfg.TLS, nbhttp.Config{
		Name:                    "ws",
		NPoller:                 cfg.Loops,
		IOMod:                   nbhttp.IOModNonBlocking,
		Handler:                 mux,
		ServerExecutor:          func(f func()) { f() },
		SupportServerOnly:       true,
		ReleaseWebsocketPayload: true,
	})
	if err != nil {
		return nil, err
	}
	s.eng = eng
	return addr, nil
}

// broadcast sends an n-byte binary message to every open connection.
func (s *nbioServer) broadcast(n int) {
	msg := broadcast.Payload(n)
	for _, c := range s.hub.snapshot(nil) {
		c.WriteMessage(websocket.BinaryMessage, msg)
	}
}

// Stop closes the listener, closes every connection and waits for the
// pollers and the accepting goroutine (nbhttp's Engine.Shutdown).
func (s *nbioServer) Stop(ctx context.Context) error {
	s.hub.stop()
	if err := s.eng.Shutdown(ctx); err != nil {
		return fmt.Errorf("nbio ws server: stop: %w", err)
	}
	return nil
}

// ReleaseNBIODefault stops the two goroutine pools of nbio's package-level
// websocket.DefaultEngine, which nbhttp/websocket makes at init (the
// default Upgrader.Engine, never used here: Upgrade takes the engine of
// the connection's parser) and which would otherwise live as long as the
// process. Test binaries call it before the leak check. The engine cannot
// be stopped (its Stop waits for pollers it never started), so the pools
// are found through the executors it installed, method values of
// (*taskpool.TaskPool).Go, and stopped; anything else is left alone.
func ReleaseNBIODefault() {
	for _, f := range []func(func()){websocket.DefaultEngine.Execute, websocket.DefaultEngine.ExecuteClient} {
		if f == nil {
			continue
		}
		name := runtime.FuncForPC(reflect.ValueOf(f).Pointer()).Name()
		if !strings.HasSuffix(name, "taskpool.(*TaskPool).Go-fm") {
			continue
		}
		// A method value is a closure whose first word after the code
		// pointer is the receiver.
		type methodValue struct {
			fn   uintptr
			recv *taskpool.TaskPool
		}
		mv := *(**methodValue)(unsafe.Pointer(&f))
		mv.recv.Stop()
	}
}
