package httpbench

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"

	llibtls "github.com/lesismal/llib/std/crypto/tls"
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
	// The listener is made here and handed to nbhttp through Listen:
	// nbhttp's own failure path (its Start stopping the engine when a
	// listener cannot be made) hangs in v1.6.7.
	var lc net.ListenConfig
	if cfg.ReusePort {
		lc.Control = peer.ReusePortControl
	}
	ln, err := lc.Listen(context.Background(), "tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("nbio http server: %w", err)
	}
	var once sync.Once
	listen := func(string, string) (net.Listener, error) {
		err := errors.New("nbio asked for a second listener")
		once.Do(func() { err = nil })
		if err != nil {
			return nil, err
		}
		return ln, nil
	}
	s.clock = newClock("nbio")
	var backoff peer.Backoff
	conf := nbhttp.Config{
		Name:              "http",
		Network:           "tcp",
		NPoller:           cfg.Loops,
		IOMod:             nbhttp.IOModNonBlocking,
		Handler:           &handler{clock: s.clock, server: []string{"nbio"}},
		Listen:            listen,
		KeepaliveTime:     timeout,
		MaxHTTPBodySize:   MaxBody,
		ServerExecutor:    func(f func()) { f() },
		SupportServerOnly: true,
		// Called in the accepting goroutine, which retries at once on
		// every error but a timeout: back off as net/http does.
		OnAcceptError: func(err error) { backoff.Failed(err) },
	}
	if cfg.TLS != nil {
		tc, err := llibConfig(cfg.TLS)
		if err != nil {
			ln.Close()
			s.clock.stop()
			return nil, fmt.Errorf("nbio http server: %w", err)
		}
		conf.TLSConfig, conf.AddrsTLS = tc, []string{cfg.Addr}
	} else {
		conf.Addrs = []string{cfg.Addr}
	}
	eng := nbhttp.NewEngine(conf)
	eng.OnOpen(func(net.Conn) { backoff.Accepted() })
	// Start takes the listener (through listen above) and starts the
	// pollers and the accepting goroutine.
	if err := eng.Start(); err != nil {
		ln.Close()
		s.clock.stop()
		return nil, fmt.Errorf("nbio http server: %w", err)
	}
	s.eng = eng
	return ln.Addr(), nil
}

// llibConfig carries the certificate over to llib's crypto/tls fork,
// which nbhttp's TLS uses.
func llibConfig(c *tls.Config) (*llibtls.Config, error) {
	if len(c.Certificates) == 0 {
		return nil, fmt.Errorf("TLS configuration without a certificate")
	}
	out := &llibtls.Config{MinVersion: llibtls.VersionTLS12}
	for _, cert := range c.Certificates {
		out.Certificates = append(out.Certificates, llibtls.Certificate{
			Certificate: cert.Certificate, PrivateKey: cert.PrivateKey, Leaf: cert.Leaf,
		})
	}
	return out, nil
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
