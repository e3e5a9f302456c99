// Command load drives a benchmark server started by bench/cmd/serve and
// prints its result as one JSON object on one line (fields in
// bench/DESIGN.md and bench/internal/load/result.go and http.go).
//
//	load -mode echo -addr 127.0.0.1:PORT -conns 1000 -size 64 -duration 10s -warmup 2s -server-pid PID
//	load -mode http -addr 127.0.0.1:PORT -conns 128 -pipeline 16 -server-pid PID           (GET /plaintext)
//	load -mode http -addr 127.0.0.1:PORT -method POST -size 1024 [-chunked]                  (POST /echo)
//	load -mode echo -idle -addr 127.0.0.1:PORT -conns 10000 -server-pid PID [-hold 10s -keepalive 5s -probe 10ms]
//	load -mode echo -idle -sync -source 127.0.0.2 -addr 127.0.0.1:PORT -conns 15000   (paced by the runner)
//	load -mode ws -addr 127.0.0.1:PORT -conns 128 -size 4096 [-compress] -server-pid PID     (ping-pong at /ws)
//	load -mode ws -idle -addr 127.0.0.1:PORT -conns 10000 [-compress] -server-pid PID
//	load -mode ws -broadcast -addr 127.0.0.1:PORT -conns 10000 -size 1024 -rounds 5 -server-pid PID
//
// It exits 0 after a clean run, 1 when the run had errors (a wrong or
// missing echo or response; the result line is still printed), and 2 when
// it could not run.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gale-io/gale/bench/internal/load"
	"github.com/gale-io/gale/bench/internal/procstat"
	"github.com/gale-io/gale/bench/internal/tlsutil"
)

func main() {
	os.Exit(run())
}

func run() int {
	var (
		mode     = flag.String("mode", "echo", "what to drive: echo, http or ws")
		addr     = flag.String("addr", "", "server address HOST:PORT (required)")
		conns    = flag.Int("conns", 100, "connections")
		size     = flag.Int("size", 64, "bytes per message (echo, ws), per request body (http POST), per broadcast (ws -broadcast)")
		duration = flag.Duration("duration", 10*time.Second, "measured window")
		warmup   = flag.Duration("warmup", 2*time.Second, "traffic before the window, not counted")
		pipeline = flag.Int("pipeline", 1, "echo: messages in flight per connection; http: requests written back to back "+
			"before waiting for their responses")
		method    = flag.String("method", "GET", "http: GET (the answer must be Hello, World!) or POST (the answer must echo the body)")
		path      = flag.String("path", "", "http: request target; default /plaintext for GET, /echo for POST; ws: the endpoint, default /ws")
		chunked   = flag.Bool("chunked", false, "http POST: send bodies with Transfer-Encoding: chunked instead of Content-Length")
		serverPID = flag.Int("server-pid", 0, "server process to measure (CPU time, VmRSS) from /proc; 0 for none")
		idle      = flag.Bool("idle", false, "idle-memory run: open -conns connections, echo once on each, "+
			"and report the server's VmRSS per connection")
		settle  = flag.Duration("settle", time.Second, "with -idle: wait with all connections open before reading VmRSS")
		hold    = flag.Duration("hold", 0, "with -idle: keep the connections open this much longer, with keep-alives and the probe")
		keepalv = flag.Duration("keepalive", 5*time.Second, "with -idle: each connection echoes a message this often "+
			"(spread evenly over the period) until the hold ends; 0 for none")
		probe = flag.Duration("probe", 10*time.Millisecond, "with -idle: one extra connection echoes a message this often "+
			"during the hold and reports its latency; 0 for none")
		source = flag.String("source", "", "local IP address to connect from (bind before connect), e.g. 127.0.0.2; "+
			"each source address has its own ephemeral ports")
		syncIn = flag.Bool("sync", false, "with -idle: paced by whoever runs load (the runner): print \"connected N\" "+
			"once all connections are open, begin the hold at a line \"hold\" on stdin, end it at \"release\" or EOF")
		compress = flag.Bool("compress", false, "ws: offer permessage-deflate")
		bcast    = flag.Bool("broadcast", false, "ws: the broadcast run: open -conns connections, then -rounds times "+
			"have one send the trigger and time until every connection received the -size byte broadcast")
		rounds  = flag.Int("rounds", 5, "ws -broadcast: broadcasts (the result has their medians)")
		useTLS  = flag.Bool("tls", false, "speak TLS (the server's certificate is not verified)")
		dialers = flag.Int("dialers", load.DefaultDialers, "connections opened at once (kept under somaxconn)")
		driver  = flag.String("driver", load.DefaultDriver, "how connections are driven: epoll (Linux; a few goroutines "+
			"multiplexing with epoll) or net (a goroutine per connection; needed for -tls)")
		workers = flag.Int("workers", 0, "with -driver epoll: goroutines sharing the connections; 0 means GOMAXPROCS")
		drain   = flag.Duration("drain", 5*time.Second, "after the window, wait this long for echoes or responses in flight; "+
			"one that does not come is an error")
	)
	flag.Parse()
	if flag.NArg() > 0 {
		return usage("unexpected arguments %q", flag.Args())
	}
	switch *mode {
	case "echo":
	case "http":
		if *idle {
			return usage("-idle is an echo run; use -mode echo")
		}
	case "ws":
		if *idle && *bcast {
			return usage("-idle and -broadcast are separate runs")
		}
	default:
		return usage("unknown mode %q (echo, http, ws)", *mode)
	}
	if *mode != "ws" && (*bcast || *compress) {
		return usage("-broadcast and -compress are ws runs; use -mode ws")
	}
	if *addr == "" {
		return usage("-addr is required")
	}
	if lim, err := procstat.RaiseNoFile(); err == nil && uint64(*conns)+64 > lim {
		slog.Warn("more connections than open-file limit allows", "conns", *conns, "RLIMIT_NOFILE", lim)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var tlsConf = tlsutil.Client()
	if !*useTLS {
		tlsConf = nil
	}

	drv := *driver
	if *useTLS && !explicit("driver") {
		drv = load.DriverNet
	}
	var (
		result any
		errs   int64
		err    error
	)
	switch {
	case *mode == "ws" && *bcast:
		var r *load.BroadcastResult
		r, err = load.RunBroadcast(ctx, load.BroadcastConfig{
			Addr: *addr, Path: *path, Conns: *conns, Size: *size, Rounds: *rounds, Compress: *compress,
			TLS: tlsConf, Dialers: *dialers, ServerPID: *serverPID,
		})
		if r != nil {
			result, errs = r, r.Errors
		}
	case *mode == "ws" && *idle:
		var r *load.WSIdleResult
		r, err = load.RunWSIdle(ctx, load.WSIdleConfig{
			Addr: *addr, Path: *path, Conns: *conns, Size: *size, Compress: *compress, Settle: *settle, Hold: *hold,
			TLS: tlsConf, Dialers: *dialers, ServerPID: *serverPID,
		})
		if r != nil {
			result, errs = r, r.Errors
		}
	case *mode == "ws":
		var r *load.WSResult
		r, err = load.RunWS(ctx, load.WSConfig{
			Addr: *addr, Path: *path, Conns: *conns, Size: *size, Pipeline: *pipeline, Compress: *compress,
			Warmup: *warmup, Duration: *duration, Drain: *drain,
			TLS: tlsConf, Dialers: *dialers, ServerPID: *serverPID,
			Driver: drv, Workers: *workers,
		})
		if r != nil {
			result, errs = r, r.Errors
		}
	case *mode == "http":
		var r *load.HTTPResult
		r, err = load.RunHTTP(ctx, load.HTTPConfig{
			Addr: *addr, Conns: *conns, Pipeline: *pipeline, Method: *method, Path: *path, Size: *size, Chunked: *chunked,
			Warmup: *warmup, Duration: *duration, Drain: *drain,
			TLS: tlsConf, Dialers: *dialers, ServerPID: *serverPID,
			Driver: drv, Workers: *workers,
		})
		if r != nil {
			result, errs = r, r.Errors
		}
	case *idle:
		var r *load.IdleResult
		r, err = load.RunIdle(ctx, load.IdleConfig{
			Addr: *addr, Conns: *conns, Size: *size, Settle: *settle, Hold: *hold,
			TLS: tlsConf, Dialers: *dialers, ServerPID: *serverPID,
			Keepalive: *keepalv, ProbeEvery: *probe, Source: *source, Sync: stdinSync(*syncIn, *conns),
		})
		if r != nil {
			result, errs = r, r.Errors
		}
	default:
		var r *load.EchoResult
		r, err = load.RunEcho(ctx, load.EchoConfig{
			Addr: *addr, Conns: *conns, Size: *size, Pipeline: *pipeline,
			Warmup: *warmup, Duration: *duration, Drain: *drain,
			TLS: tlsConf, Dialers: *dialers, ServerPID: *serverPID,
			Driver: drv, Workers: *workers,
		})
		if r != nil {
			result, errs = r, r.Errors
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		return 2
	}
	line, err := json.Marshal(result)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		return 2
	}
	fmt.Println(string(line))
	if errs > 0 {
		fmt.Fprintf(os.Stderr, "load: %d connections failed; first: %s\n", errs, firstError(result))
		return 1
	}
	return 0
}

func firstError(r any) string {
	switch r := r.(type) {
	case *load.EchoResult:
		return r.Error
	case *load.IdleResult:
		return r.Error
	case *load.HTTPResult:
		return r.Error
	case *load.WSResult:
		return r.Error
	case *load.WSIdleResult:
		return r.Error
	case *load.BroadcastResult:
		return r.Error
	}
	return ""
}

// stdinSync paces an idle run by stdin (-sync): see the flag.
func stdinSync(on bool, conns int) *load.IdleSync {
	if !on {
		return nil
	}
	hold, release := make(chan struct{}), make(chan struct{})
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		held := false
		for sc.Scan() {
			switch strings.TrimSpace(sc.Text()) {
			case "hold":
				if !held {
					close(hold)
					held = true
				}
			case "release":
				if !held {
					close(hold)
				}
				close(release)
				return
			}
		}
		if !held {
			close(hold)
		}
		close(release)
	}()
	return &load.IdleSync{
		Connected: func() { fmt.Printf("connected %d\n", conns) },
		Hold:      hold, Release: release,
	}
}

// explicit reports whether a flag was given on the command line.
func explicit(name string) bool {
	found := false
	flag.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

func usage(format string, args ...any) int {
	fmt.Fprintf(os.Stderr, "load: "+format+"\n", args...)
	flag.Usage()
	return 2
}
