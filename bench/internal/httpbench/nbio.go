package httpbench

import (
	"context"
	"fmt"
	"net"

	"github.com/lesismal/nbio/logging"
	"github.com/lesismal/nbio/nbhttp"

	"github.com/gale-io/gale/bench/internal/peer"
	"github.com/gale-io/gale/bench/internal/server"
)

func init() {
	server.Register("http", "nbio", func() server.Server { return new(nbioServer) })
	logging.SetLogger(peer.NBIOLogger{}) // nbio's default logger writes to stdout
}

// nbioServer serves the http.Handler of handler.go with nbio's nbhttp
// (v1.6.7), set up for throughput as nbio's author advises: an
// nbhttp.Engine in IOModNonBlocking (every connection on NPoller =
// Config.Loops epoll goroutines, one accepting goroutine) and, since these
// handlers never block, ServerExecutor running them right on the poller
// goroutine instead of handing each request to nbio's goroutine pool (a
// scheduler round trip per request, which on one CPU is pure overhead);
// SupportServerOnly (no client pool). nbhttp parses pipelined requests
// from one read and writes each response as its handler returns.
//
// Limits: KeepaliveTime 30 s (nbhttp's read deadline, set at accept and
// after each response: idle keep-alive connections and stalled requests),
// MaxHTTPBodySize 64 MiB. One deviation: nbhttp checks the body size as the
// body arrives and closes the connection past the limit, before the
// handler runs, so a body over 64 MiB gets no 413, only the close. (It also
// closes the connection on trailer fields that the request's Trailer
// header did not announce.)
//
// -tls: nbhttp's TLS listener (nbio/extension/tls over
// github.com/lesismal/llib's fork of crypto/tls), with the same
// certificate.
type nbioServer struct {
	eng   *nbhttp.Engine
	clock *clock
}

func (s *nbioServer) Start(cfg server.Config) (net.Addr, error) {
	s.clock = newClock("nbio")
	eng, addr, err := peer.StartNBIO("nbio http server", cfg.Addr, cfg.ReusePort, cfg.TLS, nbhttp.Config{
		Name:              "http",
		NPoller:           cfg.Loops,
		IOMod:             nbhttp.IOModNonBlocking,
		Handler:           &handler{clock: s.clock, server: []string{"nbio"}},
		KeepaliveTime:     timeout,
		MaxHTTPBodySize:   MaxBody,
		ServerExecutor:    func(f func()) { f() },
		SupportServerOnly: true,
	})
	if err != nil {
		s.clock.stop()
		return nil, err
	}
	s.eng = eng
	return addr, nil
}

// Stop closes the listener, closes every connection and waits for the
// pollers and the accepting goroutine (nbhttp's Engine.Shutdown), then
// stops the clock.
func (s *nbioServer) Stop(ctx context.Context) error {
	defer s.clock.stop()
	if err := s.eng.Shutdown(ctx); err != nil {
		return fmt.Errorf("nbio http server: stop: %w", err)
	}
	return nil
}
