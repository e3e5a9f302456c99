// Package load is the client side of the benchmark: it drives an echo
// server with request/response traffic and measures throughput, latency
// and the server's CPU and memory (see bench/DESIGN.md).
package load

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
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

// Drivers of the load generator.
const (
	// DriverNet runs a goroutine per connection with blocking net.Conn
	// reads and writes: portable, supports TLS, and costs the load
	// generator Go's netpoller and scheduler on every request.
	DriverNet = "net"
	// DriverEpoll (Linux) runs Workers goroutines, each multiplexing its
	// share of the connections with its own level-triggered epoll set and
	// raw non-blocking read and write calls: about half the load
	// generator's CPU per request of DriverNet, so on a small machine it
	// can keep a one-core server busy. No TLS.
	DriverEpoll = "epoll"
)

const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseStop
)

// runState is what the drivers share: the phase, and the drain deadline, which
// is written before the phase becomes phaseStop and read after.
type runState struct {
	phase   atomic.Int32
	drainBy time.Time
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
	if cfg.Drain <= 0 {
		cfg.Drain = 5 * time.Second
	}
	if cfg.Driver == "" {
		cfg.Driver = DefaultDriver
		if cfg.TLS != nil {
			cfg.Driver = DriverNet
		}
	}
	var start func(*runState, []*echoState) (func(), error)
	switch cfg.Driver {
	case DriverNet:
		start = startNet
	case DriverEpoll:
		if cfg.TLS != nil {
			return nil, errors.New("load: the epoll driver has no TLS; use -driver net")
		}
		workers := cfg.Workers
		if workers <= 0 {
			workers = runtime.GOMAXPROCS(0)
		}
		start = func(r *runState, st []*echoState) (func(), error) { return startEpoll(r, st, workers) }
	default:
		return nil, fmt.Errorf("load: unknown driver %q (net, epoll)", cfg.Driver)
	}

	conns, err := dialAll(ctx, nil, cfg.Addr, cfg.Conns, cfg.Dialers, cfg.TLS, nil)
	if err != nil {
		return nil, err
	}
	states := make([]*echoState, len(conns))
	for i, c := range conns {
		states[i] = newEchoState(i, c, cfg.Size, cfg.Pipeline)
	}
	r := new(runState)
	wait, err := start(r, states)
	if err != nil {
		closeAll(conns)
		return nil, err
	}
	stopped := make(chan struct{})
	go func() { wait(); close(stopped) }()
	defer func() { <-stopped }()

	// sleep waits for d, or returns false when the run must end early: ctx
	// is done, or every connection has failed.
	sleep := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-ctx.Done():
		case <-stopped:
		}
		return false
	}
	ok := sleep(cfg.Warmup)
	var win *window
	if ok {
		win = openWindow(cfg.ServerPID)
		r.phase.Store(phaseMeasure)
		ok = sleep(cfg.Duration)
	}
	r.drainBy = time.Now().Add(cfg.Drain)
	r.phase.Store(phaseStop)
	requests := countRequests(states)
	var (
		dur    time.Duration
		lc     LoadCPU
		sw     *ServerWindow
		winErr error
	)
	if win != nil {
		// The count above and the samples here close the window; echoes
		// still arriving are not counted.
		dur, lc, sw, winErr = win.close(requests)
	}
	for _, s := range states {
		if s.conn != nil {
			s.conn.SetReadDeadline(r.drainBy) // the net driver's drain
		}
	}
	<-stopped
	closeAll(conns)
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	res := &EchoResult{
		Mode: "echo", Driver: cfg.Driver, Addr: cfg.Addr, Conns: cfg.Conns, Size: cfg.Size,
		Pipeline: cfg.Pipeline, TLS: cfg.TLS != nil, Warmup: cfg.Warmup.Seconds(),
		LoadCPU: lc, ServerWindow: sw,
	}
	var h histogram
	seen := make(map[*connStats]bool)
	for _, s := range states {
		if !seen[s.stats] {
			seen[s.stats] = true
			h.merge(&s.stats.hist)
		}
		if s.err != nil {
			res.Errors++
			if res.Error == "" {
				res.Error = s.err.Error()
			}
		}
	}
	if !ok && res.Errors == 0 {
		return nil, errors.New("load: the run ended early")
	}
	if win == nil { // every connection failed during the warmup
		return res, nil
	}
	if winErr != nil {
		return nil, fmt.Errorf("load: measuring server %d: %w", cfg.ServerPID, winErr)
	}
	res.Duration = dur.Seconds()
	res.Requests = requests
	res.ReqPerSec = float64(requests) / dur.Seconds()
	res.LatMean = micros(h.mean())
	res.LatP50 = micros(h.quantile(0.50))
	res.LatP99 = micros(h.quantile(0.99))
	res.LatP999 = micros(h.quantile(0.999))
	res.LatMax = micros(h.max)
	return res, nil
}

// connStats are counted by one goroutine (one connection's, or one epoll
// worker's for all its connections). requests is also read by RunEcho to
// close the window; hist only after the drivers returned.
type connStats struct {
	requests atomic.Int64 // echoes completed in the window
	hist     histogram    // their latencies
}

// countRequests sums the requests of the window so far (drivers may share
// one connStats among connections).
func countRequests(states []*echoState) int64 {
	var n int64
	seen := make(map[*connStats]bool)
	for _, s := range states {
		if !seen[s.stats] {
			seen[s.stats] = true
			n += s.stats.requests.Load()
		}
	}
	return n
}

// waitGroup runs fs on goroutines and returns a function that waits for
// them.
func waitGroup(n int, f func(i int)) func() {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); f(i) }()
	}
	return wg.Wait
}
