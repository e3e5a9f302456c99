package echo

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/gale-io/gale/bench/internal/peer"
	"github.com/gale-io/gale/bench/internal/server"
)

func init() { server.Register("echo", "std", func() server.Server { return new(stdServer) }) }

// stdBufSize is the per-connection echo buffer. A goroutine-per-connection
// server holds its buffer while it blocks in Read, so this is part of the
// idle memory of every connection; 4 KiB is what a typical Go echo server
// uses and keeps 64-byte echoes to one read each.
const stdBufSize = 4 << 10

// stdServer is the idiomatic Go server: net.Listen, a goroutine per
// connection, each reading into its own reused buffer and writing back
// what it read (io.CopyBuffer without the interface detours). The listen
// backlog is the kernel's somaxconn, which is what net uses on Linux.
type stdServer struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	done  bool
}

func (s *stdServer) Start(cfg server.Config) (net.Addr, error) {
	var lc net.ListenConfig
	if cfg.ReusePort {
		lc.Control = peer.ReusePortControl
	}
	ln, err := lc.Listen(context.Background(), "tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	s.conns = make(map[net.Conn]struct{})
	s.ln = ln
	if cfg.TLS != nil {
		s.ln = tls.NewListener(ln, cfg.TLS)
	}
	s.wg.Add(1)
	go s.accept()
	return ln.Addr(), nil
}

func (s *stdServer) accept() {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return // Stop closed the listener
			}
			// EMFILE and friends: keep serving, but do not spin (net/http's backoff).
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		if !s.track(c, true) {
			c.Close()
			return
		}
		s.wg.Add(1)
		go s.serve(c)
	}
}

// track adds or removes a connection; it reports false once Stop began.
func (s *stdServer) track(c net.Conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.done {
			return false
		}
		s.conns[c] = struct{}{}
	} else {
		delete(s.conns, c)
	}
	return true
}

func (s *stdServer) serve(c net.Conn) {
	defer s.wg.Done()
	defer c.Close()
	defer s.track(c, false)
	buf := make([]byte, stdBufSize)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (s *stdServer) Stop(ctx context.Context) error {
	s.ln.Close()
	s.mu.Lock()
	s.done = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
