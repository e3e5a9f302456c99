package echo

import (
	"context"
	"fmt"
	"net"
	"sync"

	"github.com/lesismal/nbio"
	"github.com/lesismal/nbio/logging"

	"github.com/gale-io/gale/bench/internal/peer"
	"github.com/gale-io/gale/bench/internal/server"
)

func init() {
	server.Register("echo", "nbio", func() server.Server { return new(nbioServer) })
	// nbio logs through a package-level logger that writes to stdout, which
	// serve reserves for its ready line; send warnings and errors to slog
	// (stderr) instead and drop the rest, as for gnet.
	logging.SetLogger(peer.NBIOLogger{})
}

// nbioServer echoes with github.com/lesismal/nbio (v1.6.7) the way nbio's
// own echo example does: OnData receives a slice of the poller's read
// buffer and hands it to Conn.Write, which writes to the socket at once and
// copies into the connection's write queue only what the kernel did not take.
//
// Configuration: NPoller = Config.Loops event loops (epoll goroutines), plus
// nbio's one accepting goroutine per listen address, which hands each
// accepted connection to a poller by its fd. Everything else is nbio's
// default: level-triggered epoll with reads done in the poller (no
// AsyncReadInPoller), a 64 KiB read buffer per poller, no write-buffer cap,
// no thread locking, and net.Listen (backlog somaxconn) unless
// Config.ReusePort asks for SO_REUSEPORT. nbio has no TLS here (its TLS
// lives in the separate nbio/extension/tls, built for nbhttp).
type nbioServer struct {
	eng *nbio.Engine
}

func (s *nbioServer) Start(cfg server.Config) (net.Addr, error) {
	if cfg.TLS != nil {
		return nil, fmt.Errorf("nbio echo server: %w", server.ErrNoTLS)
	}
	var (
		mu    sync.Mutex
		bound net.Addr // what the listener is really bound to (port 0 resolved)
	)
	listen := func(network, addr string) (net.Listener, error) {
		var lc net.ListenConfig
		if cfg.ReusePort {
			lc.Control = peer.ReusePortControl
		}
		ln, err := lc.Listen(context.Background(), network, addr)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		bound = ln.Addr()
		mu.Unlock()
		return ln, nil
	}
	eng := nbio.NewEngine(nbio.Config{
		Name:    "echo",
		Network: "tcp",
		Addrs:   []string{cfg.Addr},
		NPoller: cfg.Loops,
		Listen:  listen,
	})
	eng.OnData(func(c *nbio.Conn, data []byte) {
		_, _ = c.Write(data) // on error nbio has closed the connection
	})
	var backoff peer.Backoff
	eng.OnOpen(func(*nbio.Conn) { backoff.Accepted() })
	// Called in the accepting goroutine, which retries at once on every
	// error except a timeout. Closing the listener (Stop) ends its loop;
	// for anything else (EMFILE and friends) back off as std does and
	// net/http does, instead of spinning.
	eng.OnAcceptError(func(err error) { backoff.Failed(err) })
	// Start creates the listener synchronously (through listen above) and
	// starts the pollers and the accepting goroutine: connections can be
	// made when it returns.
	if err := eng.Start(); err != nil {
		return nil, fmt.Errorf("nbio echo server: %w", err)
	}
	s.eng = eng
	mu.Lock()
	defer mu.Unlock()
	return bound, nil
}

// Stop closes the listener and every connection, then stops the pollers and
// waits for the accepting and polling goroutines (nbio's Engine.Stop).
func (s *nbioServer) Stop(ctx context.Context) error {
	if err := s.eng.Shutdown(ctx); err != nil {
		return fmt.Errorf("nbio echo server: stop: %w", err)
	}
	return nil
}
