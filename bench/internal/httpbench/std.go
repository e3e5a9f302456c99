package httpbench

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"

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
	srv   *http.Server
	clock *clock
	done  chan error     // Serve's result
	conns sync.WaitGroup // connection goroutines, tracked through ConnState
}

func (s *stdServer) Start(cfg server.Config) (net.Addr, error) {
	var lc net.ListenConfig
	if cfg.ReusePort {
		lc.Control = peer.ReusePortControl
	}
	ln, err := lc.Listen(context.Background(), "tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("std http server: %w", err)
	}
	s.clock = newClock("net/http")
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	s.srv = &http.Server{
		Handler:           &handler{clock: s.clock, server: []string{"net/http"}},
		ReadHeaderTimeout: timeout,
		ReadTimeout:       timeout,
		IdleTimeout:       timeout,
		Protocols:         protocols,
		ErrorLog:          log.New(slogWriter{}, "", 0),
		// StateNew is reported before the connection's goroutine serves
		// it, StateClosed (or StateHijacked, never here) as it ends.
		ConnState: func(_ net.Conn, st http.ConnState) {
			switch st {
			case http.StateNew:
				s.conns.Add(1)
			case http.StateClosed, http.StateHijacked:
				s.conns.Done()
			}
		},
	}
	serveOn := ln
	if cfg.TLS != nil {
		serveOn = tls.NewListener(ln, cfg.TLS)
	}
	s.done = make(chan error, 1)
	go func() { s.done <- s.srv.Serve(serveOn) }()
	return ln.Addr(), nil
}

// Stop closes the listener and every connection at once (http.Server's
// Close), waits for Serve and the connections' goroutines to return, and
// stops the clock.
func (s *stdServer) Stop(ctx context.Context) error {
	err := s.srv.Close()
	if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	finished := make(chan struct{})
	go func() { s.conns.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-ctx.Done():
		err = errors.Join(err, ctx.Err())
	}
	s.clock.stop()
	if err != nil {
		return fmt.Errorf("std http server: stop: %w", err)
	}
	return nil
}

// slogWriter sends net/http's error log (TLS handshake errors and the
// like) to slog at warning level.
type slogWriter struct{}

func (slogWriter) Write(p []byte) (int, error) {
	slog.Warn("net/http: " + strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
