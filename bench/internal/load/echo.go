// Package load is the client side of the benchmark: it drives an echo
// server with request/response traffic and measures throughput, latency
// and the server's CPU and memory (see bench/DESIGN.md).
package load

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
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
}

const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseStop
)

// RunEcho opens the connections and has each of them, on its own
// goroutine, write a message, read its echo back and check it, over and
// over (keeping Pipeline messages in flight), until the window closes.
// A wrong echo, a connection the server closes, or an echo still missing
// Drain after the window are errors, counted in the result; RunEcho itself
// returns an error only when the run could not take place (connecting
// failed, ctx was cancelled).
func RunEcho(ctx context.Context, cfg EchoConfig) (*EchoResult, error) {
	if cfg.Conns < 1 || cfg.Size < 1 || cfg.Duration <= 0 {
		return nil, errors.New("load: echo needs conns >= 1, size >= 1 and duration > 0")
	}
	cfg.Pipeline = max(cfg.Pipeline, 1)
	if cfg.Drain <= 0 {
		cfg.Drain = 5 * time.Second
	}
	conns, err := dialAll(ctx, cfg.Addr, cfg.Conns, cfg.Dialers, cfg.TLS, nil)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)

	var phase atomic.Int32
	workers := make([]*echoConn, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		w := newEchoConn(i, c, cfg.Size, cfg.Pipeline, &phase)
		workers[i] = w
		wg.Add(1)
		go func() { defer wg.Done(); w.run() }()
	}
	stopped := make(chan struct{})
	go func() { wg.Wait(); close(stopped) }()

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
		phase.Store(phaseMeasure)
		ok = sleep(cfg.Duration)
	}
	phase.Store(phaseStop)
	var requests int64
	for _, w := range workers {
		requests += atomic.LoadInt64(&w.requests)
	}
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

	// Drain: the workers stop writing, read what is in flight and return.
	deadline := time.Now().Add(cfg.Drain)
	for _, c := range conns {
		c.SetReadDeadline(deadline)
	}
	<-stopped
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	res := &EchoResult{
		Mode: "echo", Addr: cfg.Addr, Conns: cfg.Conns, Size: cfg.Size, Pipeline: cfg.Pipeline,
		TLS: cfg.TLS != nil, Warmup: cfg.Warmup.Seconds(),
		LoadCPU: lc, ServerWindow: sw,
	}
	var h histogram
	for _, w := range workers {
		h.merge(&w.hist)
		if w.err != nil {
			res.Errors++
			if res.Error == "" {
				res.Error = w.err.Error()
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
	res.Requests = h.n
	res.ReqPerSec = float64(h.n) / dur.Seconds()
	if sw != nil && sw.CPU > 0 {
		sw.ReqPerCPUSec = float64(h.n) / sw.CPU
	}
	res.LatMean = micros(h.mean())
	res.LatP50 = micros(h.quantile(0.50))
	res.LatP99 = micros(h.quantile(0.99))
	res.LatP999 = micros(h.quantile(0.999))
	res.LatMax = micros(h.max)
	return res, nil
}

// echoConn is one connection's request/response loop; it runs on its own
// goroutine and its fields are read by RunEcho only after it returned
// (requests also atomically, to close the window).
type echoConn struct {
	id       int
	c        net.Conn
	size     int
	depth    int
	phase    *atomic.Int32
	rbuf     []byte      // depth messages; the unread part of an echo is at the front
	have     int         // bytes in rbuf
	wbuf     []byte      // the messages of one write
	sentAt   []time.Time // write time of message seq, at sentAt[seq%depth]
	sent     uint64      // messages written
	recv     uint64      // echoes read and checked
	requests int64       // echoes completed in the window
	hist     histogram
	err      error
}

func newEchoConn(id int, c net.Conn, size, depth int, phase *atomic.Int32) *echoConn {
	return &echoConn{
		id: id, c: c, size: size, depth: depth, phase: phase,
		rbuf:   make([]byte, size*depth),
		wbuf:   make([]byte, size*depth),
		sentAt: make([]time.Time, depth),
	}
}

func (w *echoConn) run() {
	if !w.send(w.depth, time.Now()) {
		return
	}
	for {
		n, rerr := w.c.Read(w.rbuf[w.have:])
		now := time.Now()
		w.have += n
		phase := w.phase.Load()
		done := 0
		off := 0
		for ; w.have-off >= w.size; off += w.size {
			if err := checkMsg(w.rbuf[off:off+w.size], w.id, w.recv); err != nil {
				w.err = err
				return
			}
			if phase == phaseMeasure {
				w.hist.add(now.Sub(w.sentAt[w.recv%uint64(w.depth)]))
				atomic.AddInt64(&w.requests, 1)
			}
			w.recv++
			done++
		}
		if off > 0 {
			w.have = copy(w.rbuf, w.rbuf[off:w.have])
		}
		if phase == phaseStop && w.recv == w.sent {
			return
		}
		if rerr != nil {
			w.err = w.readError(rerr, phase)
			return
		}
		if done > 0 && phase != phaseStop && !w.send(done, now) {
			return
		}
	}
}

// send writes the next k messages in one write.
func (w *echoConn) send(k int, now time.Time) bool {
	b := w.wbuf[:k*w.size]
	for i := range k {
		seq := w.sent + uint64(i)
		fillMsg(b[i*w.size:(i+1)*w.size], w.id, seq)
		w.sentAt[seq%uint64(w.depth)] = now
	}
	if _, err := w.c.Write(b); err != nil {
		w.err = fmt.Errorf("connection %d: write: %w", w.id, err)
		return false
	}
	w.sent += uint64(k)
	return true
}

func (w *echoConn) readError(err error, phase int32) error {
	missing := int(w.sent-w.recv)*w.size - w.have
	switch {
	case phase == phaseStop && errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("connection %d: %d echoed bytes still missing after the drain timeout "+
			"(%d of %d bytes of message %d arrived)", w.id, missing, w.have%w.size, w.size, w.recv)
	case errors.Is(err, net.ErrClosed):
		return fmt.Errorf("connection %d: closed", w.id)
	default:
		return fmt.Errorf("connection %d: read with %d echoed bytes missing: %w", w.id, missing, err)
	}
}
