// Package load is the client side of the benchmark: it drives an echo or
// HTTP server with request/response traffic and measures throughput,
// latency and the server's CPU and memory (see bench/DESIGN.md).
//
//	run.go                 the timeline every request/response run shares
//	state.go               the session a driver runs, and the echo session
//	echo.go, msg.go        the echo run and its checked messages
//	http.go                the HTTP run and its session
//	idle.go                the idle-memory run
//	driver_*.go            how connections are driven: net, epoll (Linux)
//	hist.go                the latency histogram
//	dial*.go, result.go    connecting, the result lines, /proc readings
package load

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"time"
)

// EchoConfig describes an echo run.
type EchoConfig struct {
	Addr     string        // HOST:PORT of the server
	Conns    int           // connections, all open before the warmup starts
	Size     int           // bytes per message, at least 1
	Pipeline int           // messages in flight per connection; 0 means 1
	Warmup   time.Duration // traffic before the measured window, not counted
	Duration time.Duration // the measured window
	// Drain bounds the wait, after the window, for the echoes still in
	// flight; one that does not arrive is an error (a server that lost
	// bytes). 0 means 5 s.
	Drain     time.Duration
	TLS       *tls.Config // nil for plain TCP
	Dialers   int         // connections opened at once; 0 means DefaultDialers
	ServerPID int         // server process to measure; 0 for none
	// Driver is how the connections are driven: DriverNet or DriverEpoll;
	// "" picks DefaultDriver (DriverNet with TLS).
	Driver string
	// Workers is the number of goroutines the epoll driver spreads the
	// connections over; 0 means GOMAXPROCS.
	Workers int
}

// RunEcho opens the connections and has each of them write a message,
// read its echo back and check it, over and over (keeping Pipeline
// messages in flight), until the window closes. A wrong echo, a connection
// the server closes, or an echo still missing Drain after the window are
// errors, counted in the result; RunEcho itself returns an error only when
// the run could not take place (connecting failed, ctx was cancelled).
func RunEcho(ctx context.Context, cfg EchoConfig) (*EchoResult, error) {
	if cfg.Conns < 1 || cfg.Size < 1 || cfg.Duration <= 0 {
		return nil, errors.New("load: echo needs conns >= 1, size >= 1 and duration > 0")
	}
	cfg.Pipeline = max(cfg.Pipeline, 1)
	out, err := runSessions(ctx, runConfig{
		addr: cfg.Addr, conns: cfg.Conns, warmup: cfg.Warmup, duration: cfg.Duration, drain: cfg.Drain,
		tls: cfg.TLS, dialers: cfg.Dialers, serverPID: cfg.ServerPID, driver: cfg.Driver, workers: cfg.Workers,
	}, func(i int, c net.Conn) session { return newEchoState(i, c, cfg.Size, cfg.Pipeline) })
	if err != nil {
		return nil, err
	}
	return &EchoResult{
		Mode: "echo", Driver: out.driver, Addr: cfg.Addr, Conns: cfg.Conns, Size: cfg.Size,
		Pipeline: cfg.Pipeline, TLS: cfg.TLS != nil, Warmup: cfg.Warmup.Seconds(),
		Measured: out.Measured, LoadCPU: out.LoadCPU, ServerWindow: out.ServerWindow,
	}, nil
}
