package load

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

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

// runConfig is what the echo and HTTP runs share.
type runConfig struct {
	addr                    string
	conns                   int
	warmup, duration, drain time.Duration
	tls                     *tls.Config
	dialers, serverPID      int
	driver                  string // "" picks DefaultDriver (DriverNet with TLS)
	workers                 int
}

// Measured are the figures of a request/response run (echo or HTTP).
type Measured struct {
	Duration float64 `json:"duration_s"` // the measured window, as timed
	// Requests is the number of requests answered intact in the window:
	// for echo a message written and read back, for HTTP a request whose
	// response was checked.
	Requests  int64   `json:"requests"`
	ReqPerSec float64 `json:"req_per_s"`
	// Errors counts connections that failed (a wrong answer, an early
	// close, an answer missing at the end); Error is the first of them.
	Errors int64  `json:"errors"`
	Error  string `json:"error,omitempty"`
	// Latency of the requests in the window, from the write of a request
	// to the read of the last byte of its answer.
	LatMean float64 `json:"lat_mean_us"`
	LatP50  float64 `json:"lat_p50_us"`
	LatP99  float64 `json:"lat_p99_us"`
	LatP999 float64 `json:"lat_p999_us"`
	LatMax  float64 `json:"lat_max_us"`
}

// runOutcome is what runSessions measured.
type runOutcome struct {
	driver string
	Measured
	LoadCPU
	*ServerWindow
}

// runSessions opens the connections, makes a session of each, and drives
// them through the warmup, the window and the drain: the timeline of every
// request/response run. It returns an error only when the run could not
// take place (connecting failed, ctx was cancelled, every connection
// failed before the window ended without an error to show for it); failed
// connections are counted in the outcome.
func runSessions(ctx context.Context, rc runConfig, newSession func(i int, c net.Conn) session) (*runOutcome, error) {
	if rc.drain <= 0 {
		rc.drain = 5 * time.Second
	}
	if rc.driver == "" {
		rc.driver = DefaultDriver
		if rc.tls != nil {
			rc.driver = DriverNet
		}
	}
	var start func(*runState, []session) (func(), error)
	switch rc.driver {
	case DriverNet:
		start = startNet
	case DriverEpoll:
		if rc.tls != nil {
			return nil, errors.New("load: the epoll driver has no TLS; use -driver net")
		}
		workers := rc.workers
		if workers <= 0 {
			workers = runtime.GOMAXPROCS(0)
		}
		start = func(r *runState, ss []session) (func(), error) { return startEpoll(r, ss, workers) }
	default:
		return nil, fmt.Errorf("load: unknown driver %q (net, epoll)", rc.driver)
	}

	conns, err := dialAll(ctx, nil, rc.addr, rc.conns, rc.dialers, rc.tls, nil)
	if err != nil {
		return nil, err
	}
	sessions := make([]session, len(conns))
	for i, c := range conns {
		sessions[i] = newSession(i, c)
	}
	r := new(runState)
	wait, err := start(r, sessions)
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
	ok := sleep(rc.warmup)
	var win *window
	if ok {
		win = openWindow(rc.serverPID)
		r.phase.Store(phaseMeasure)
		ok = sleep(rc.duration)
	}
	r.drainBy = time.Now().Add(rc.drain)
	r.phase.Store(phaseStop)
	requests := countRequests(sessions)
	out := &runOutcome{driver: rc.driver}
	var (
		dur    time.Duration
		winErr error
	)
	if win != nil {
		// The count above and the samples here close the window; answers
		// still arriving are not counted.
		dur, out.LoadCPU, out.ServerWindow, winErr = win.close(requests)
	}
	for _, s := range sessions {
		if c := s.base().conn; c != nil {
			c.SetReadDeadline(r.drainBy) // the net driver's drain
		}
	}
	<-stopped
	closeAll(conns)
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	var h histogram
	seen := make(map[*connStats]bool)
	for _, s := range sessions {
		b := s.base()
		if !seen[b.stats] {
			seen[b.stats] = true
			h.merge(&b.stats.hist)
		}
		if b.err != nil {
			out.Errors++
			if out.Error == "" {
				out.Error = b.err.Error()
			}
		}
	}
	if !ok && out.Errors == 0 {
		return nil, errors.New("load: the run ended early")
	}
	if win == nil { // every connection failed during the warmup
		return out, nil
	}
	if winErr != nil {
		return nil, fmt.Errorf("load: measuring server %d: %w", rc.serverPID, winErr)
	}
	out.Duration = dur.Seconds()
	out.Requests = requests
	out.ReqPerSec = float64(requests) / dur.Seconds()
	out.LatMean = micros(h.mean())
	out.LatP50 = micros(h.quantile(0.50))
	out.LatP99 = micros(h.quantile(0.99))
	out.LatP999 = micros(h.quantile(0.999))
	out.LatMax = micros(h.max)
	return out, nil
}

// connStats are counted by one goroutine (one connection's, or one epoll
// worker's for all its connections). requests is also read by
// runSessions to close the window; hist only after the drivers returned.
type connStats struct {
	requests atomic.Int64 // requests answered in the window
	hist     histogram    // their latencies
}

// countRequests sums the requests of the window so far (drivers may share
// one connStats among connections).
func countRequests(sessions []session) int64 {
	var n int64
	seen := make(map[*connStats]bool)
	for _, s := range sessions {
		if st := s.base().stats; !seen[st] {
			seen[st] = true
			n += st.requests.Load()
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
