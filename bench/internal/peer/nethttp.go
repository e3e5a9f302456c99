package peer

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
)

// NetHTTP runs a net/http server for a benchmark mode: HTTP/1.1 only,
// its error log sent to slog, and its connections' goroutines counted so
// that stopping can wait for them.
type NetHTTP struct {
	srv   *http.Server
	done  chan error     // Serve's result
	conns sync.WaitGroup // connections, through ConnState, until closed or hijacked
}

// Start listens on addr (with SO_REUSEPORT when reusePort is set, and TLS
// over the listener when tlsConf is set) and serves srv there on a
// goroutine. It sets srv's Protocols, ErrorLog and ConnState. Errors are
// prefixed with name.
func (n *NetHTTP) Start(name, addr string, reusePort bool, tlsConf *tls.Config, srv *http.Server) (net.Addr, error) {
	var lc net.ListenConfig
	if reusePort {
		lc.Control = ReusePortControl
	}
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	srv.Protocols = new(http.Protocols)
	srv.Protocols.SetHTTP1(true)
	srv.ErrorLog = log.New(slogWriter{}, "", 0)
	// StateNew is reported before the connection's goroutine serves it,
	// StateClosed or StateHijacked as the server lets go of it.
	srv.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			n.conns.Add(1)
		case http.StateClosed, http.StateHijacked:
			n.conns.Done()
		}
	}
	n.srv = srv
	serveOn := ln
	if tlsConf != nil {
		serveOn = tls.NewListener(ln, tlsConf)
	}
	n.done = make(chan error, 1)
	go func() { n.done <- srv.Serve(serveOn) }()
	return ln.Addr(), nil
}

// Close closes the listener and every connection the server still owns
// at once (http.Server's Close) and waits for Serve to return.
func (n *NetHTTP) Close() error {
	err := n.srv.Close()
	if serr := <-n.done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

// Wait waits, up to ctx's end, for the connections' goroutines to finish
// and for every channel in also to be closed.
func (n *NetHTTP) Wait(ctx context.Context, also ...<-chan struct{}) error {
	finished := make(chan struct{})
	go func() {
		n.conns.Wait()
		for _, c := range also {
			<-c
		}
		close(finished)
	}()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// slogWriter sends net/http's error log (TLS handshake errors and the
// like) to slog at warning level.
type slogWriter struct{}

func (slogWriter) Write(p []byte) (int, error) {
	slog.Warn("net/http: " + strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
