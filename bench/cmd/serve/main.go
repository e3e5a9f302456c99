// Command serve runs one benchmark server (bench/DESIGN.md, "The bench
// interface"):
//
//	serve -impl IMPL -mode echo|http|ws -addr HOST:PORT [-loops N] [-tls] [-reuseport] [-compress=false]
//	      [-cpuprofile FILE] [-memprofile FILE]
//
// IMPL: gale, gnet, nbio or std for echo; gale, fasthttp, gnet, nbio or std
// for http; gale, nbio or std (gorilla/websocket) for ws.
//
// It prints one line "ready HOST:PORT" to stdout once the server accepts
// connections (with the real port when -addr asked for port 0), runs until
// SIGINT or SIGTERM, and then exits 0 after stopping the server. Nothing
// else is written to stdout; logs go to stderr. It exits 1 when the server
// fails to start or to stop, and 2 on bad flags.
//
// -cpuprofile profiles the CPU from the ready line to the signal;
// -memprofile writes a heap profile (after a garbage collection) when the
// signal comes, before the server stops, so that it shows what the open
// connections hold: run it beside `load -idle` to see where an idle
// connection's memory goes (go tool pprof -sample_index=inuse_space).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	_ "github.com/gale-io/gale/bench/internal/echo"      // mode echo
	_ "github.com/gale-io/gale/bench/internal/httpbench" // mode http
	"github.com/gale-io/gale/bench/internal/procstat"
	"github.com/gale-io/gale/bench/internal/server"
	"github.com/gale-io/gale/bench/internal/tlsutil"
	"github.com/gale-io/gale/bench/internal/wsbench" // mode ws
)

// stopTimeout bounds the shutdown after a signal.
const stopTimeout = 10 * time.Second

func main() {
	os.Exit(run())
}

func run() int {
	var (
		impl    = flag.String("impl", "gale", "implementation: gale, gnet, nbio or std; for http also fasthttp")
		mode    = flag.String("mode", "echo", "what to serve: echo (raw TCP), http (GET /plaintext, POST /echo) or ws (WebSocket echo at /ws)")
		addr    = flag.String("addr", "127.0.0.1:0", "listen address HOST:PORT; port 0 picks a free port")
		loops   = flag.Int("loops", runtime.GOMAXPROCS(0), "event loops (gale, gnet, nbio); std and fasthttp ignore it")
		useTLS  = flag.Bool("tls", false, "serve TLS with a self-signed certificate for localhost and 127.0.0.1")
		reuse   = flag.Bool("reuseport", false, "set SO_REUSEPORT, so that several serve processes can share -addr's port")
		deflate = flag.Bool("compress", true, "ws: accept permessage-deflate when a client offers it")
		cpuProf = flag.String("cpuprofile", "", "write a CPU profile of the run, from ready to the signal, to this file")
		memProf = flag.String("memprofile", "", "write a heap profile to this file when the signal comes, before stopping")
	)
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "serve: unexpected arguments %q\n", flag.Args())
		return 2
	}
	if *loops < 1 {
		fmt.Fprintln(os.Stderr, "serve: -loops must be at least 1")
		return 2
	}
	wsbench.Compress = *deflate
	if *memProf != "" {
		// Record every allocation, so the profile counts per-connection
		// objects exactly rather than by 512 KiB samples.
		runtime.MemProfileRate = 1
	}
	srv, err := server.New(*mode, *impl)
	if err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		return 2
	}
	if _, err := procstat.RaiseNoFile(); err != nil && err != procstat.ErrUnsupported {
		fmt.Fprintln(os.Stderr, "serve: raising RLIMIT_NOFILE:", err)
	}
	cfg := server.Config{Addr: *addr, Loops: *loops, ReusePort: *reuse}
	if *useTLS {
		if cfg.TLS, err = tlsutil.SelfSigned(); err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
			return 1
		}
	}

	// Catch the signals before announcing readiness, so a stop that
	// follows the ready line at once is not lost.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)

	bound, err := srv.Start(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		return 1
	}
	if *cpuProf != "" {
		stop, err := startCPUProfile(*cpuProf)
		if err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
			return 1
		}
		defer stop()
	}
	fmt.Printf("ready %s\n", bound)

	<-sig
	if *memProf != "" {
		if err := writeHeapProfile(*memProf); err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	if err := srv.Stop(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "serve: stop:", err)
		return 1
	}
	return 0
}

// startCPUProfile starts profiling the CPU into path; stop ends it.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "serve: cpu profile:", err)
		}
	}, nil
}

// writeHeapProfile collects garbage and writes a heap profile to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
