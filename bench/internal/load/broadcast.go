package load

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gale-io/gale/bench/internal/procstat"
	"github.com/gale-io/gale/bench/internal/wsbench/broadcast"
	"github.com/gale-io/gale/wsproto"
)

// BroadcastConfig describes a broadcast run.
type BroadcastConfig struct {
	Addr     string
	Path     string // "" means DefaultWSPath
	Conns    int    // WebSocket connections receiving every broadcast
	Size     int    // bytes of the broadcast message, 1 to broadcast.Max
	Rounds   int    // broadcasts; 0 means 5
	Compress bool   // offer permessage-deflate
	TLS      *tls.Config
	Dialers  int // connections opened at once; 0 means DefaultDialers
	// Timeout bounds each upgrade and first echo, and each round; 0 means
	// 10 s and 30 s.
	Timeout   time.Duration
	ServerPID int // server process whose CPU time each round is measured; 0 for none
}

// BroadcastResult is the outcome of a broadcast run (mode "broadcast").
// The figures are medians over the rounds.
type BroadcastResult struct {
	Mode     string `json:"mode"` // "broadcast"
	Addr     string `json:"addr"`
	Path     string `json:"path"`
	Conns    int    `json:"conns"`
	Size     int    `json:"size_bytes"`
	Rounds   int    `json:"rounds"`
	Compress bool   `json:"compress"`
	Deflate  int64  `json:"deflate_conns"`
	TLS      bool   `json:"tls"`
	// ConnectSeconds is how long opening, upgrading and echoing once on
	// all connections took.
	ConnectSeconds float64 `json:"connect_s"`
	Errors         int64   `json:"errors"`
	Error          string  `json:"error,omitempty"`
	// LastUS is the time from the trigger's write to the moment the last
	// connection had read the whole message; MedianUS the same for the
	// median connection.
	LastUS   float64 `json:"last_delivery_us"`
	MedianUS float64 `json:"median_delivery_us"`
	// RoundsLastUS is LastUS of every round, in order.
	RoundsLastUS []float64 `json:"rounds_last_delivery_us"`
	PID          int       `json:"server_pid,omitempty"`
	// ServerCPUUS is the server's CPU time from just before the trigger to
	// the last delivery: from the threads' schedstat (nanoseconds) where
	// the kernel has it, else from /proc/PID/stat (clock ticks).
	ServerCPUUS float64 `json:"server_cpu_us,omitempty"`
	CPUSource   string  `json:"server_cpu_source,omitempty"` // "schedstat" or "stat"
}

// RunBroadcast opens and upgrades Conns connections (each echoes one
// message first, so the server has registered it), then Rounds times has
// connection 0 send the trigger (broadcast.Trigger(Size)) and waits until
// every connection has read the broadcast, whole and intact. Each
// connection is read by its own goroutine, which notes the time its
// message was complete. A connection that fails, or a round not complete
// within Timeout, ends the run with errors counted.
func RunBroadcast(ctx context.Context, cfg BroadcastConfig) (*BroadcastResult, error) {
	if cfg.Conns < 1 || cfg.Size < 1 || cfg.Size > broadcast.Max {
		return nil, fmt.Errorf("load: broadcast needs conns >= 1 and size 1 to %d", broadcast.Max)
	}
	if cfg.Path == "" {
		cfg.Path = DefaultWSPath
	}
	if cfg.Rounds <= 0 {
		cfg.Rounds = 5
	}
	setupTimeout, roundTimeout := dialTimeout, 30*time.Second
	if cfg.Timeout > 0 {
		setupTimeout, roundTimeout = cfg.Timeout, cfg.Timeout
	}
	res := &BroadcastResult{Mode: "broadcast", Addr: cfg.Addr, Path: cfg.Path, Conns: cfg.Conns, Size: cfg.Size,
		Rounds: cfg.Rounds, Compress: cfg.Compress, TLS: cfg.TLS != nil, PID: cfg.ServerPID}
	start := time.Now()
	clients, deflate, err := dialWSAll(ctx, cfg.Addr, cfg.Path, cfg.Conns, cfg.Dialers, cfg.TLS, cfg.Compress,
		max(cfg.Size, 64), setupTimeout)
	if err != nil {
		return nil, err
	}
	res.ConnectSeconds = time.Since(start).Seconds()
	res.Deflate = deflate

	b := &bcastRun{clients: clients, size: cfg.Size, arrived: make([]time.Time, len(clients)),
		done: make(chan struct{}, 1), failed: make([]error, len(clients))}
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() { defer wg.Done(); b.receive(i, cfg.Rounds) }()
	}
	defer func() {
		closeWS(clients) // ends the readers still waiting
		wg.Wait()
	}()
	trigger := broadcast.Trigger(cfg.Size)
	var lasts, medians, cpus []float64
	timer := time.NewTimer(roundTimeout)
	defer timer.Stop()
	for round := range cfg.Rounds {
		b.pending.Store(int64(len(clients)))
		cpu0, src, cpuErr := serverCPU(cfg.ServerPID)
		t0 := time.Now()
		if err := clients[0].write(wsproto.OpText, trigger); err != nil {
			b.fail(0, fmt.Errorf("writing the trigger: %w", err))
			break
		}
		timer.Reset(roundTimeout)
		select {
		case <-b.done:
		case <-timer.C:
			b.fail(-1, fmt.Errorf("round %d: %d of %d connections had not received the broadcast after %v",
				round+1, b.pending.Load(), len(clients), roundTimeout))
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		cpu1, src1, cpuErr1 := serverCPU(cfg.ServerPID)
		if b.errs.Load() > 0 {
			break
		}
		times := make([]float64, len(clients))
		for i, t := range b.arrived {
			times[i] = micros(t.Sub(t0))
		}
		slices.Sort(times)
		lasts = append(lasts, times[len(times)-1])
		medians = append(medians, times[len(times)/2])
		// Both readings must come from the same source: schedstat sums
		// the living threads in nanoseconds, stat counts every thread
		// (exited ones too) in clock ticks, so a difference across the two
		// is meaningless.
		if cfg.ServerPID > 0 && cpuErr == nil && cpuErr1 == nil && src1 == src && cpu1 >= cpu0 {
			cpus = append(cpus, micros(cpu1-cpu0))
			res.CPUSource = src
		}
		b.next() // the readers go on to the next round
	}
	res.Errors = b.errs.Load()
	if e := b.firstErr(); e != nil {
		res.Error = e.Error()
	}
	res.RoundsLastUS = lasts
	res.LastUS, res.MedianUS, res.ServerCPUUS = median(lasts), median(medians), median(cpus)
	if len(lasts) == 0 && res.Errors == 0 {
		return nil, errors.New("load: broadcast: no round completed")
	}
	return res, nil
}

// bcastRun is what the readers of a broadcast run share with the
// coordinator. Round r's readers wait for the coordinator's go-ahead
// (next) after noting their arrival, so arrived is read only between
// rounds.
type bcastRun struct {
	clients []*wsClient
	size    int
	arrived []time.Time // per connection: when this round's message was complete
	pending atomic.Int64
	mu      sync.Mutex
	cond    *sync.Cond
	round   int
	done    chan struct{} // a signal when pending reaches 0
	errs    atomic.Int64
	failed  []error // per connection; [-1] is kept in runErr
	runErr  error
}

// receive reads rounds broadcasts on connection i.
func (b *bcastRun) receive(i, rounds int) {
	w := b.clients[i]
	for r := range rounds {
		b.waitRound(r)
		op, msg, err := w.read()
		switch {
		case err != nil:
		case op != wsproto.OpBinary:
			err = fmt.Errorf("a broadcast of type %v, want Binary", op)
		case len(msg) != b.size:
			err = fmt.Errorf("a broadcast of %d bytes, want %d", len(msg), b.size)
		default:
			err = broadcast.Check(msg, 0)
		}
		if err != nil {
			b.fail(i, fmt.Errorf("connection %d, broadcast %d: %w", i, r+1, err))
			return
		}
		b.arrived[i] = time.Now()
		if b.pending.Add(-1) == 0 {
			b.signal()
		}
	}
}

func (b *bcastRun) waitRound(r int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cond == nil {
		b.cond = sync.NewCond(&b.mu)
	}
	for b.round < r {
		b.cond.Wait()
	}
}

func (b *bcastRun) next() {
	b.mu.Lock()
	if b.cond == nil {
		b.cond = sync.NewCond(&b.mu)
	}
	b.round++
	b.mu.Unlock()
	b.cond.Broadcast()
}

// fail records connection i's error (i < 0: the run's).
func (b *bcastRun) fail(i int, err error) {
	b.mu.Lock()
	if i >= 0 {
		b.failed[i] = err
	} else if b.runErr == nil {
		b.runErr = err
	}
	b.mu.Unlock()
	b.errs.Add(1)
	b.signal()
}

// signal wakes the coordinator; one pending signal is enough.
func (b *bcastRun) signal() {
	select {
	case b.done <- struct{}{}:
	default:
	}
}

func (b *bcastRun) firstErr() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, err := range b.failed {
		if err != nil {
			return err
		}
	}
	return b.runErr
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// serverCPU is pid's CPU time: the sum of its threads' schedstat run times
// (nanoseconds) when the kernel has them, else /proc/PID/stat's clock
// ticks. Threads that exited between two readings are missing from the
// first; Go servers rarely end threads.
func serverCPU(pid int) (time.Duration, string, error) {
	if pid <= 0 {
		return 0, "", nil
	}
	dir := fmt.Sprintf("/proc/%d/task", pid)
	if ents, err := os.ReadDir(dir); err == nil {
		var sum time.Duration
		ok := true
		for _, e := range ents {
			b, err := os.ReadFile(dir + "/" + e.Name() + "/schedstat")
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					continue // the thread ended
				}
				ok = false
				break
			}
			f := strings.Fields(string(b))
			if len(f) == 0 {
				ok = false
				break
			}
			ns, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				ok = false
				break
			}
			sum += time.Duration(ns)
		}
		if ok {
			return sum, "schedstat", nil
		}
	}
	s, err := procstat.Read(pid)
	return s.CPU, "stat", err
}
