package echo

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/panjf2000/gnet/v2"

	"github.com/gale-io/gale/bench/internal/peer"
	"github.com/gale-io/gale/bench/internal/server"
)

func init() { server.Register("echo", "gnet", func() server.Server { return new(gnetServer) }) }

// gnetServer echoes with gnet v2 the way gnet's own examples do: OnTraffic
// takes every buffered byte with Next(-1) (a slice of the loop's read buffer,
// no copy) and hands it to Write, which writes to the socket at once and
// queues only what the kernel did not take.
//
// Options: NumEventLoop = Config.Loops (this overrides Multicore), one
// SO_REUSEPORT listener per loop (so one loop accepts and serves with no
// separate acceptor goroutine), LockOSThread as gnet suggests for running
// loops in parallel, TCP_NODELAY (gnet's default), and the default 64 KiB
// read buffer per loop. gnet has no TLS. Its listen backlog is somaxconn.
type gnetServer struct {
	eng  gnet.Engine
	done chan error // gnet.Run's result
}

type gnetEcho struct {
	gnet.BuiltinEventEngine
	booted chan gnetBoot
}

type gnetBoot struct {
	eng  gnet.Engine
	addr net.Addr
	err  error
}

func (h *gnetEcho) OnBoot(eng gnet.Engine) gnet.Action {
	addr, err := peer.GnetAddr(eng)
	h.booted <- gnetBoot{eng, addr, err}
	return gnet.None
}

func (h *gnetEcho) OnTraffic(c gnet.Conn) gnet.Action {
	buf, _ := c.Next(-1)
	_, _ = c.Write(buf) // on error gnet has closed the connection already
	return gnet.None
}

func (s *gnetServer) Start(cfg server.Config) (net.Addr, error) {
	if cfg.TLS != nil {
		return nil, fmt.Errorf("gnet echo server: %w", server.ErrNoTLS)
	}
	addr, release, err := peer.ReservePort(cfg.Addr, cfg.Loops)
	if err != nil {
		return nil, fmt.Errorf("gnet echo server: %w", err)
	}
	defer release()
	h := &gnetEcho{booted: make(chan gnetBoot, 1)}
	s.done = make(chan error, 1)
	go func() {
		s.done <- gnet.Run(h, "tcp://"+addr,
			gnet.WithMulticore(true),
			gnet.WithNumEventLoop(cfg.Loops),
			// Always on: one listener per loop (see above); it is also
			// what Config.ReusePort asks, several processes on one port.
			gnet.WithReusePort(true),
			gnet.WithLockOSThread(true),
			gnet.WithLogger(peer.GnetLogger{}),
		)
	}()
	select {
	case b := <-h.booted:
		// The listeners exist before OnBoot; the loops start right after it
		// returns, and connections made meanwhile wait in the backlog.
		if b.err != nil {
			_ = b.eng.Stop(context.Background())
			<-s.done
			return nil, fmt.Errorf("gnet echo server: %w", b.err)
		}
		s.eng = b.eng
		return b.addr, nil
	case err := <-s.done:
		if err == nil {
			err = errors.New("gnet.Run returned before OnBoot")
		}
		return nil, fmt.Errorf("gnet echo server: %w", err)
	}
}

func (s *gnetServer) Stop(ctx context.Context) error {
	// Engine.Stop polls for the shutdown every 500 ms.
	if err := s.eng.Stop(ctx); err != nil {
		return fmt.Errorf("gnet echo server: stop: %w", err)
	}
	select {
	case err := <-s.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
