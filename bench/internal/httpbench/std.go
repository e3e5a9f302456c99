package httpbench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/gale-io/gale/bench/internal/peer"
	"github.com/gale-io/gale/bench/internal/server"
)

func init() { server.Register("http", "std", func() server.Server { return new(stdServer) }) }

// stdServer is net/http's Server as its documentation recommends running
// it in front of untrusted clients: ReadHeaderTimeout, ReadTimeout and
// IdleTimeout of 30 s (stalled requests and idle keep-alive connections),
// request bodies capped with MaxBytesReader (413 above 64 MiB, handler.go),
// HTTP/1.1 only (with -tls too: crypto/tls over the listener, no h2), and
// the default 1 MiB header limit. A goroutine per connection; pipelined
// requests are read one after another, each response flushed before the
// next request is read. Config.Loops does not apply.
type stdServer struct {
	peer.NetHTTP
	clock *clock
}

func (s *stdServer) Start(cfg server.Config) (net.Addr, error) {
	s.clock = newClock("net/http")
	addr, err := s.NetHTTP.Start("std http server", cfg.Addr, cfg.ReusePort, cfg.TLS, &http.Server{
		Handler:           &handler{clock: s.clock, server: []string{"net/http"}},
		ReadHeaderTimeout: timeout,
		ReadTimeout:       timeout,
		IdleTimeout:       timeout,
	})
	if err != nil {
		s.clock.stop()
	}
	return addr, err
}

// Stop closes the listener and every connection at once (http.Server's
// Close), waits for Serve and the connections' goroutines to return, and
// stops the clock.
func (s *stdServer) Stop(ctx context.Context) error {
	err := errors.Join(s.Close(), s.Wait(ctx))
	s.clock.stop()
	if err != nil {
		return fmt.Errorf("std http server: stop: %w", err)
	}
	return nil
}
