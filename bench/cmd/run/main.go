// Command run is the benchmark runner: it builds serve and load, measures
// every scenario (echo throughput, idle memory, http requests) against
// every implementation, each server in its own process pinned to its own
// CPU, repeats with the implementations alternating, and prints a table of
// medians with ratios against gnet (http: against fasthttp and net/http).
// See bench/DESIGN.md.
//
//	cd bench && go run ./cmd/run                       # the default: echo, idle, http; 3 repetitions
//	go run ./cmd/run -impls std,fasthttp,gnet,nbio -scenarios http -reps 1 -duration 5s
//	go run ./cmd/run -impls gnet,std -reps 5 -duration 20s -json results.json
//	go run ./cmd/run -out ../docs/benchmarks          # results folder: JSON, table, SVG charts
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gale-io/gale/bench/internal/report"
	"github.com/gale-io/gale/bench/internal/runner"
)

// defaultOut stands for bench/results/<UTC timestamp>.
const defaultOut = "results/<UTC timestamp>"

func main() {
	o := &runner.Options{Log: os.Stderr, Out: os.Stdout}
	var impls, scenarios string
	flag.StringVar(&impls, "impls", "", "implementations, comma-separated; default: each scenario's own, "+
		"gale,gnet,std for echo and idle, gale,fasthttp,gnet,std for http, gale,std,nbio for ws, ws-idle and broadcast")
	flag.StringVar(&o.Baseline, "baseline", "gnet", "implementation the ratios are against (http: fasthttp and std, "+
		"those of them measured)")
	flag.StringVar(&scenarios, "scenarios", "echo,idle,http,ws,ws-idle,broadcast", "scenarios, comma-separated: echo, idle, http, ws, ws-idle, broadcast")
	flag.IntVar(&o.Reps, "reps", 3, "samples per scenario and implementation (the table shows medians)")
	flag.IntVar(&o.Retries, "retries", 2, "extra attempts for a sample disturbed by other processes")
	flag.DurationVar(&o.QuietWait, "quiet-wait", 30*time.Second, "before an echo sample, wait up to this long "+
		"for other processes to use less than -noise of a CPU")
	flag.Float64Var(&o.NoiseLimit, "noise", 0.10, "share of one CPU other processes may use during a window "+
		"before a sample counts as disturbed")
	flag.IntVar(&o.Conns, "conns", 1000, "echo: connections")
	flag.IntVar(&o.Size, "size", 64, "echo and idle: bytes per message")
	flag.IntVar(&o.Pipeline, "pipeline", 1, "echo: messages in flight per connection")
	flag.DurationVar(&o.Duration, "duration", 10*time.Second, "echo: measured window")
	flag.DurationVar(&o.Warmup, "warmup", 2*time.Second, "echo: traffic before the window, not counted")
	flag.IntVar(&o.IdleConns, "idle-conns", 10000, "idle: connections held open")
	flag.DurationVar(&o.Settle, "settle", time.Second, "idle: wait with all connections open before reading VmRSS")
	flag.BoolVar(&o.TLS, "tls", false, "serve and drive over TLS (implementations without TLS are not available)")
	flag.IntVar(&o.Loops, "loops", 1, "serve -loops")
	flag.IntVar(&o.ServerProcs, "server-procs", 1, "server GOMAXPROCS")
	flag.IntVar(&o.LoadProcs, "load-procs", 1, "load generator GOMAXPROCS")
	flag.StringVar(&o.ServerCPUs, "server-cpus", "0", "CPUs for the server (taskset -c list); empty with -load-cpus empty: no pinning")
	flag.StringVar(&o.LoadCPUs, "load-cpus", "1", "CPUs for the load generator (taskset -c list)")
	flag.StringVar(&o.BenchDir, "bench-dir", "", "the bench module directory; found from the working directory by default")
	flag.StringVar(&o.JSON, "json", "", "write every sample, with the machine and options, to this JSON file")
	out := flag.String("out", defaultOut, "results folder (results.json, table.txt, one SVG chart per scenario), "+
		"relative to bench/ by default; \"\" for none")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "run: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	o.Impls = split(impls)
	o.Scenarios = split(scenarios)
	o.HTTP = httpFlags

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var table bytes.Buffer
	o.Out = io.MultiWriter(os.Stdout, &table)
	rep, err := runner.Run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "run:", err)
		os.Exit(1)
	}
	if *out == "" {
		return
	}
	dir, err := runner.BenchDir(o.BenchDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "run:", err)
		os.Exit(1)
	}
	if *out == defaultOut {
		*out = filepath.Join(dir, "results", rep.Started.UTC().Format("20060102T150405Z"))
	}
	if _, err := report.Write(*out, report.New(rep, dir), table.Bytes()); err != nil {
		fmt.Fprintln(os.Stderr, "run: writing the results:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "bench: results, table and charts written to %s\n", *out)
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
