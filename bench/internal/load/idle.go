package load

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gale-io/gale/bench/internal/procstat"
)

// IdleConfig describes an idle-memory run.
type IdleConfig struct {
	Addr    string
	Conns   int           // connections to hold open
	Size    int           // bytes of each message
	Settle  time.Duration // wait with all connections open before reading VmRSS (without Sync)
	Hold    time.Duration // then keep them open this much longer, with keep-alives and the probe (without Sync)
	TLS     *tls.Config
	Dialers int // connections opened at once; 0 means DefaultDialers
	// Timeout bounds each connection's echo; 0 means 10 s.
	Timeout time.Duration
	// ServerPID is the server to measure; without it only the connecting
	// and echoing are checked.
	ServerPID int
	// Keepalive: from the moment all connections are open until the hold
	// ends, every connection echoes one message per Keepalive period,
	// connection i at offset i/Conns of the period, so the messages are
	// spread evenly rather than sent in one burst. 0: no keep-alives.
	Keepalive time.Duration
	// ProbeEvery: during the hold one extra connection echoes a message
	// every ProbeEvery and its latency is reported. 0: no probe.
	ProbeEvery time.Duration
	// Source is the local IP address every connection is bound to before
	// connecting ("" for the kernel's choice); see newDialer.
	Source string
	// Sync, when not nil, lets another process pace the run (the runner,
	// which measures several servers for several load processes): Settle,
	// Hold and ServerPID are then not used.
	Sync *IdleSync
}

// IdleSync paces an idle run from outside.
type IdleSync struct {
	Connected func()          // called once every connection is open and has echoed
	Hold      <-chan struct{} // closed when the hold begins (the probe starts)
	Release   <-chan struct{} // closed when the hold ends
	// MaxWait bounds each wait; 0 means 10 minutes.
	MaxWait time.Duration
}

// RunIdle reads the server's VmRSS, opens the connections (Dialers at a
// time), has each echo one message, waits Settle with all of them open and
// idle, reads VmRSS again and reports the difference per connection. It
// then holds them open for Hold, with keep-alive messages and a probe
// connection measuring latency, and finally has every connection echo once
// more, to prove the server kept them all.
//
// The first echo matters: it makes the server finish accepting and run its
// read path on every connection, so lazily allocated per-connection state
// is counted.
func RunIdle(ctx context.Context, cfg IdleConfig) (*IdleResult, error) {
	if cfg.Conns < 1 || cfg.Size < 1 {
		return nil, errors.New("load: idle needs conns >= 1 and size >= 1")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = dialTimeout
	}
	d, err := newDialer(cfg.Source)
	if err != nil {
		return nil, err
	}
	res := &IdleResult{
		Mode: "idle", Addr: cfg.Addr, Source: cfg.Source, Conns: cfg.Conns, Size: cfg.Size, TLS: cfg.TLS != nil,
		Settle: cfg.Settle.Seconds(), Keepalive: cfg.Keepalive.Seconds(),
	}
	if cfg.Sync == nil {
		res.PID = cfg.ServerPID
	}
	var before procstat.Sample
	if res.PID > 0 {
		if before, err = procstat.Read(cfg.ServerPID); err != nil {
			return nil, fmt.Errorf("load: measuring server %d: %w", cfg.ServerPID, err)
		}
	}
	start := time.Now()
	conns, err := dialAll(ctx, d, cfg.Addr, cfg.Conns, cfg.Dialers, cfg.TLS, func(i int, c net.Conn) error {
		return echoOnce(c, i, 0, cfg.Size, cfg.Timeout)
	})
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	res.ConnectSeconds = time.Since(start).Seconds()

	var probeConn net.Conn
	if cfg.ProbeEvery > 0 {
		if probeConn, err = dialOne(ctx, d, cfg.Addr, cfg.TLS); err != nil {
			return nil, fmt.Errorf("probe connection: %w", explainDialErr(err))
		}
		defer probeConn.Close()
	}
	ka := startKeepalive(conns, cfg)

	var holdStart time.Time
	if s := cfg.Sync; s == nil {
		if !sleepCtx(ctx, cfg.Settle) {
			ka.stop()
			return nil, ctx.Err()
		}
		if res.PID > 0 {
			idle, err := procstat.Read(cfg.ServerPID)
			if err != nil {
				ka.stop()
				return nil, fmt.Errorf("load: measuring server %d: %w", cfg.ServerPID, err)
			}
			res.RSSBefore, res.RSSIdle, res.Threads = before.RSS, idle.RSS, idle.Threads
			res.BytesPerConn = float64(idle.RSS-before.RSS) / float64(cfg.Conns)
		}
		holdStart = time.Now()
		pr := startProbe(probeConn, cfg)
		ok := sleepCtx(ctx, cfg.Hold)
		res.ProbeResult = pr.stop()
		if !ok {
			ka.stop()
			return nil, ctx.Err()
		}
	} else {
		if s.Connected != nil {
			s.Connected()
		}
		if err := waitFor(ctx, s.Hold, s.MaxWait, "the start of the hold"); err != nil {
			ka.stop()
			return nil, err
		}
		holdStart = time.Now()
		pr := startProbe(probeConn, cfg)
		err := waitFor(ctx, s.Release, s.MaxWait, "the end of the hold")
		res.ProbeResult = pr.stop()
		if err != nil {
			ka.stop()
			return nil, err
		}
	}
	res.HoldSeconds = time.Since(holdStart).Seconds()
	ka.stop()
	res.KeepaliveSent, res.KeepaliveFailures = ka.sent.Load(), ka.fails.Load()
	res.Errors, res.Error = ka.fails.Load(), ka.firstErr
	if res.ProbeResult != nil && res.ProbeResult.Error != "" {
		res.Errors++
		if res.Error == "" {
			res.Error = "probe: " + res.ProbeResult.Error
		}
	}
	// The connections are still open; check every one still works.
	for i, c := range conns {
		if ka.failed[i] {
			continue // counted already
		}
		if err := echoOnce(c, i, ka.seq[i], cfg.Size, cfg.Timeout); err != nil {
			res.Errors++
			if res.Error == "" {
				res.Error = fmt.Sprintf("connection %d after the hold: %v", i, err)
			}
		}
	}
	return res, nil
}

// waitFor waits until ch is closed, ctx is done or max (0: 10 minutes)
// has passed.
func waitFor(ctx context.Context, ch <-chan struct{}, max time.Duration, what string) error {
	if max <= 0 {
		max = 10 * time.Minute
	}
	t := time.NewTimer(max)
	defer t.Stop()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return fmt.Errorf("load: waited %v for %s", max, what)
	}
}

// keepalive sends the periodic messages of the idle connections: a few
// goroutines, each walking its share of the connections in order of their
// due times.
type keepalive struct {
	seq    []uint64 // next message number per connection
	failed []bool   // connections that failed (and are no longer used)
	sent   atomic.Int64
	fails  atomic.Int64

	mu       sync.Mutex
	firstErr string
	quit     chan struct{}
	wg       sync.WaitGroup
}

// keepaliveWorkers bounds the goroutines sending keep-alives; each waits
// for one echo at a time, so this is also the most messages in flight.
const keepaliveWorkers = 16

func startKeepalive(conns []net.Conn, cfg IdleConfig) *keepalive {
	n := len(conns)
	ka := &keepalive{seq: make([]uint64, n), failed: make([]bool, n), quit: make(chan struct{})}
	for i := range ka.seq {
		ka.seq[i] = 1 // message 0 was the first echo
	}
	if cfg.Keepalive <= 0 {
		return ka
	}
	start := time.Now()
	workers := min(n, keepaliveWorkers)
	for w := range workers {
		ka.wg.Add(1)
		go func() {
			defer ka.wg.Done()
			t := time.NewTimer(time.Hour)
			defer t.Stop()
			for round := 0; ; round++ {
				for i := w; i < n; i += workers {
					due := start.Add(time.Duration(round)*cfg.Keepalive + cfg.Keepalive*time.Duration(i)/time.Duration(n))
					if wait := time.Until(due); wait > 0 {
						t.Reset(wait)
						select {
						case <-t.C:
						case <-ka.quit:
							return
						}
					} else {
						select {
						case <-ka.quit:
							return
						default:
						}
					}
					if ka.failed[i] {
						continue
					}
					err := echoOnce(conns[i], i, ka.seq[i], cfg.Size, cfg.Timeout)
					ka.seq[i]++
					ka.sent.Add(1)
					if err != nil {
						ka.failed[i] = true
						ka.fails.Add(1)
						ka.mu.Lock()
						if ka.firstErr == "" {
							ka.firstErr = fmt.Sprintf("keep-alive on connection %d: %v", i, err)
						}
						ka.mu.Unlock()
					}
				}
			}
		}()
	}
	return ka
}

// stop ends the keep-alives and waits for the echoes in flight.
func (ka *keepalive) stop() {
	select {
	case <-ka.quit:
	default:
		close(ka.quit)
	}
	ka.wg.Wait()
}

// probe is the latency-measuring connection of the hold.
type probe struct {
	hist  histogram
	err   error
	quit  chan struct{}
	done  chan struct{}
	every time.Duration
}

func startProbe(c net.Conn, cfg IdleConfig) *probe {
	if c == nil {
		return nil
	}
	p := &probe{quit: make(chan struct{}), done: make(chan struct{}), every: cfg.ProbeEvery}
	go func() {
		defer close(p.done)
		tick := time.NewTicker(cfg.ProbeEvery)
		defer tick.Stop()
		id := cfg.Conns // distinct from the idle connections' ids
		for seq := uint64(0); ; seq++ {
			t0 := time.Now()
			if err := echoOnce(c, id, seq, cfg.Size, cfg.Timeout); err != nil {
				p.err = err
				return
			}
			p.hist.add(time.Since(t0))
			select {
			case <-tick.C:
			case <-p.quit:
				return
			}
		}
	}()
	return p
}

func (p *probe) stop() *ProbeResult {
	if p == nil {
		return nil
	}
	close(p.quit)
	<-p.done
	r := &ProbeResult{
		Every:    micros(p.every),
		Requests: p.hist.n,
		P50:      micros(p.hist.quantile(0.50)),
		P99:      micros(p.hist.quantile(0.99)),
		Max:      micros(p.hist.max),
	}
	if p.err != nil {
		r.Error = p.err.Error()
	}
	return r
}

// echoOnce writes message seq and checks its echo within timeout.
func echoOnce(c net.Conn, id int, seq uint64, size int, timeout time.Duration) error {
	c.SetDeadline(time.Now().Add(timeout))
	defer c.SetDeadline(time.Time{})
	msg := make([]byte, 2*size)
	fillMsg(msg[:size], id, seq)
	if _, err := c.Write(msg[:size]); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if _, err := io.ReadFull(c, msg[size:]); err != nil {
		return fmt.Errorf("reading the echo: %w", err)
	}
	return checkMsg(msg[size:], id, seq)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
