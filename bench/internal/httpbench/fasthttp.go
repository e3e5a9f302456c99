package httpbench

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/valyala/fasthttp"

	"github.com/gale-io/gale/bench/internal/peer"
	"github.com/gale-io/gale/bench/internal/server"
)

func init() { server.Register("http", "fasthttp", func() server.Server { return new(fasthttpServer) }) }

// fasthttpServer is github.com/valyala/fasthttp (v1.70.0) set up as its
// authors do for benchmarks (their TechEmpower entry): the default Server
// with a handler that sets only what the spec asks, responses from
// prebuilt bytes without copies (SetBodyRaw), and fasthttp's own Server
// and Date headers, its Date being cached per second by its own goroutine
// (which never ends, so the tests run this server in a child process:
// httpbench_test.go). The limits: MaxRequestBodySize 64 MiB (413 above
// it, through an ErrorHandler: fasthttp's default answers 400), ReadTimeout
// and IdleTimeout 30 s. A goroutine per
// connection from fasthttp's worker pool; pipelined requests are read from
// one buffer and their responses flushed together once no further request
// is buffered. Config.Loops does not apply; with -tls, crypto/tls over the
// listener.
type fasthttpServer struct {
	srv  *fasthttp.Server
	done chan error // Serve's result
}

func (s *fasthttpServer) Start(cfg server.Config) (net.Addr, error) {
	var lc net.ListenConfig
	if cfg.ReusePort {
		lc.Control = peer.ReusePortControl
	}
	ln, err := lc.Listen(context.Background(), "tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("fasthttp server: %w", err)
	}
	s.srv = &fasthttp.Server{
		Handler:              fasthttpHandle,
		Name:                 "fasthttp",
		ReadTimeout:          timeout,
		IdleTimeout:          timeout,
		MaxRequestBodySize:   MaxBody,
		NoDefaultContentType: true, // every response sets its own
		CloseOnShutdown:      true,
		ErrorHandler:         fasthttpError,
		Logger:               fasthttpLogger{},
	}
	serveOn := ln
	if cfg.TLS != nil {
		serveOn = tls.NewListener(ln, cfg.TLS)
	}
	s.done = make(chan error, 1)
	go func() { s.done <- s.srv.Serve(serveOn) }()
	return ln.Addr(), nil
}

var (
	textPlainBytes   = []byte(textPlain)
	octetStreamBytes = []byte(octetStream)
)

func fasthttpHandle(ctx *fasthttp.RequestCtx) {
	path := ctx.Path()
	switch {
	case string(path) == "/plaintext" && ctx.IsGet():
		ctx.Response.Header.SetContentTypeBytes(textPlainBytes)
		ctx.Response.SetBodyRaw(plainBody)
	case string(path) == "/echo" && ctx.IsPost():
		// The request (and so its body) lives until the response is
		// written (fasthttp's serveConn), so it can be the response body.
		ctx.Response.Header.SetContentTypeBytes(octetStreamBytes)
		ctx.Response.SetBodyRaw(ctx.Request.Body())
	default:
		ctx.Response.SetStatusCode(fasthttp.StatusNotFound)
		ctx.Response.Header.SetContentTypeBytes(textPlainBytes)
		ctx.Response.SetBodyRaw(notFoundBody)
	}
}

// fasthttpError is fasthttp's default error handler, but for a body over
// MaxRequestBodySize, which it answers 400: the http mode asks 413.
func fasthttpError(ctx *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	var ne net.Error
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		ctx.Error("Request Entity Too Large", fasthttp.StatusRequestEntityTooLarge)
	case errors.As(err, &small):
		ctx.Error("Too big request header", fasthttp.StatusRequestHeaderFieldsTooLarge)
	case errors.As(err, &ne) && ne.Timeout():
		ctx.Error("Request timeout", fasthttp.StatusRequestTimeout)
	default:
		ctx.Error("Error when parsing request", fasthttp.StatusBadRequest)
	}
}

// Stop closes the listener, closes idle connections (every 100 ms until
// none is left; busy ones after their response) and waits for them
// (fasthttp's ShutdownWithContext), then for Serve.
func (s *fasthttpServer) Stop(ctx context.Context) error {
	if err := s.srv.ShutdownWithContext(ctx); err != nil {
		return fmt.Errorf("fasthttp server: stop: %w", err)
	}
	if err := <-s.done; err != nil {
		return fmt.Errorf("fasthttp server: %w", err)
	}
	return nil
}

// fasthttpLogger sends fasthttp's log (connection errors) to slog.
type fasthttpLogger struct{}

func (fasthttpLogger) Printf(format string, args ...any) {
	slog.Warn("fasthttp: " + fmt.Sprintf(format, args...))
}
