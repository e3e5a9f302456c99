package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gale-io/gale/bench/internal/benchtest"
)

func TestMain(m *testing.M) { os.Exit(benchtest.Main(m)) }

func sample(sc, impl string, rep, attempt int, noisy bool, fields map[string]float64) *Sample {
	r := Result{}
	for k, v := range fields {
		r[k] = v
	}
	return &Sample{Scenario: sc, Impl: impl, Rep: rep, Attempt: attempt, Noisy: noisy, Result: r}
}

func TestTable(t *testing.T) {
	o := &Options{
		Impls: []string{"gale", "gnet", "std"}, Baseline: "gnet", Scenarios: []string{"echo", "idle"}, Reps: 3,
		Conns: 1000, Size: 64, Pipeline: 1, Duration: 10 * time.Second, Warmup: 2 * time.Second,
		IdleConns: 10000, Loops: 1, ServerProcs: 1, LoadProcs: 1,
	}
	echo := func(rps, cpu float64) map[string]float64 {
		return map[string]float64{"req_per_s": rps, "server_cpu_s": cpu, "req_per_server_cpu_s": rps * 10 / cpu,
			"lat_p99_us": 10000, "load_cpu_util": 0.9, "other_cpu_s": 0.1, "duration_s": 10}
	}
	rep := &Report{
		GoVersion: "go1.26", CPUs: 2, Options: o, Unavailable: map[string]string{"echo/gale": "gale echo server: not built yet"},
		Samples: []*Sample{
			sample("echo", "gnet", 1, 1, false, echo(100000, 10)),
			sample("echo", "gnet", 2, 1, false, echo(120000, 10)),
			sample("echo", "gnet", 3, 1, true, echo(10000, 10)),   // disturbed,
			sample("echo", "gnet", 3, 2, false, echo(110000, 10)), // measured again
			sample("echo", "std", 1, 1, false, echo(90000, 10)),
			sample("echo", "std", 2, 1, false, echo(99000, 10)),
			{Scenario: "echo", Impl: "std", Rep: 3, Attempt: 1, Error: "load generator: exit status 1"},
			sample("idle", "gnet", 1, 1, false, map[string]float64{"server_bytes_per_conn": 500}),
			sample("idle", "std", 1, 1, false, map[string]float64{"server_bytes_per_conn": 8000}),
		},
	}
	var out bytes.Buffer
	o.Out = &out
	printTable(o, rep)
	got := out.String()
	for _, want := range []string{
		"echo: 1000 connections, 64-byte messages",
		"gale  not available: gale echo server: not built yet",
		"110,000 [100,000-120,000]", // the disturbed attempt is replaced by its retry
		"94,500 [90,000-99,000]",    // median of the two valid repetitions
		"0.86x",                     // 94,500 / 110,000
		"req/s vs gnet",
		"std: 1 repetitions failed",
		"500 B", "7.8 KiB", "16.00x",
		"gale  not available: gale echo server: not built yet", // in idle too: same serve mode
		"note: gnet: load generator saturated: compare req/server-CPU-s, not req/s (its CPU utilisation: median 0.90)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
}

// TestRunEndToEnd builds serve and load and runs both scenarios briefly,
// with an implementation that does not exist among them.
func TestRunEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	var out, log bytes.Buffer
	jsonPath := filepath.Join(t.TempDir(), "samples.json")
	o := &Options{
		Impls: []string{"nosuch", "gnet", "std"}, Baseline: "gnet", Scenarios: []string{"echo", "idle"},
		Reps: 2, Retries: 0, NoiseLimit: 1e9,
		Conns: 20, Size: 64, Pipeline: 1, Duration: 300 * time.Millisecond, Warmup: 100 * time.Millisecond,
		IdleConns: 200, Settle: 10 * time.Millisecond,
		Loops: 1, ServerProcs: 1, LoadProcs: 1, JSON: jsonPath, Log: &log, Out: &out,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Run(ctx, o)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if why := rep.Unavailable["echo/nosuch"]; !strings.Contains(why, "unknown implementation") {
		t.Errorf("nosuch: %q", why)
	}
	if len(rep.Samples) != 2*2*2 {
		t.Errorf("%d samples, want 8:\n%s", len(rep.Samples), log.String())
	}
	for _, s := range rep.Samples {
		if s.Error != "" {
			t.Errorf("%s %s rep %d: %s", s.Scenario, s.Impl, s.Rep, s.Error)
		}
	}
	table := out.String()
	for _, want := range []string{"nosuch  not available", "gnet  ", "std  ", "1.00x", "mem/idle conn"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var saved Report
	if err := json.Unmarshal(b, &saved); err != nil || len(saved.Samples) != len(rep.Samples) {
		t.Errorf("samples file: %v, %d samples", err, len(saved.Samples))
	}
}

// TestTableVariants: a scenario with variants has a row per variant, and
// ratio columns per baseline.
func TestTableVariants(t *testing.T) {
	o := &Options{
		Impls: []string{"gale", "fasthttp", "std"}, Baseline: "gnet", Scenarios: []string{"http"}, Reps: 1,
		Duration: 10 * time.Second, Warmup: 2 * time.Second, Loops: 1, ServerProcs: 1, LoadProcs: 1,
	}
	http := func(plain, piped float64) *Sample {
		r := Result{}
		mergeVariant(r, &scenarios["http"].Variants[0], Result{"req_per_server_cpu_s": plain, "duration_s": 10.0,
			"other_cpu_s": 0.5, "load_cpu_util": 0.5})
		mergeVariant(r, &scenarios["http"].Variants[1], Result{"req_per_server_cpu_s": piped, "duration_s": 10.0,
			"other_cpu_s": 0.25, "load_cpu_util": 0.95})
		return &Sample{Scenario: "http", Rep: 1, Attempt: 1, Result: r}
	}
	fh, std := http(200000, 600000), http(50000, 100000)
	fh.Impl, std.Impl = "fasthttp", "std"
	rep := &Report{GoVersion: "go1.26", CPUs: 2, Options: o, Samples: []*Sample{fh, std},
		Unavailable: map[string]string{"http/gale": "gale http server: not built yet"}}
	if r := fh.Result; r.Num("duration_s") != 20 || r.Num("other_cpu_s") != 0.75 || r.Num("load_cpu_util") != 0.95 ||
		r.Num("pipelined.req_per_server_cpu_s") != 600000 {
		t.Fatalf("merged result %v", r)
	}
	var out bytes.Buffer
	o.Out = &out
	printTable(o, rep)
	got := out.String()
	for _, want := range []string{
		"req/server-CPU-s vs fasthttp  req/server-CPU-s vs std",
		"gale      not available: gale http server: not built yet",
		"fasthttp  plain      -      -           200,000           -    0.50           0.50 s     1.00x                         4.00x",
		"std       plain      -      -           50,000            -    0.50           0.50 s     0.25x                         1.00x",
		"std       pipelined  -      -           100,000           -    0.95           0.25 s     0.17x                         1.00x",
		"note: fasthttp: load generator saturated",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
	sum := Summarize(rep)
	if len(sum) != 1 || strings.Join(sum[0].Baselines, ",") != "fasthttp,std" || len(sum[0].Variants) != 2 {
		t.Fatalf("summary %+v", sum)
	}
	is := sum[0].Impls[2]
	if is.Impl != "std" || is.Ratios["pipelined.req_per_server_cpu_s"] != 100000.0/600000 ||
		is.RatiosVs["std"]["plain.req_per_server_cpu_s"] != 1 || sum[0].Impls[0].Unavailable == "" {
		t.Fatalf("std summary %+v", is)
	}
}

// TestRunHTTP runs the http scenario end to end with an implementation
// that has no echo server (fasthttp) beside echo: it is not available for
// echo but measured for http.
func TestRunHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	var out, log bytes.Buffer
	o := &Options{
		Impls: []string{"fasthttp", "std"}, Baseline: "std", Scenarios: []string{"echo", "http"},
		Reps: 1, NoiseLimit: 1e9, Conns: 10, Size: 64, Pipeline: 1,
		Duration: 300 * time.Millisecond, Warmup: 100 * time.Millisecond, HTTP: HTTPOptions{Conns: 16, Pipeline: 8},
		Loops: 1, ServerProcs: 1, LoadProcs: 1, Log: &log, Out: &out,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Run(ctx, o)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if why := rep.Unavailable["echo/fasthttp"]; !strings.Contains(why, "unknown implementation") || len(rep.Unavailable) != 1 {
		t.Errorf("unavailable: %v", rep.Unavailable)
	}
	if len(rep.Samples) != 3 {
		t.Fatalf("%d samples, want echo std, http fasthttp and std:\n%s", len(rep.Samples), log.String())
	}
	for _, s := range rep.Samples {
		if s.Error != "" {
			t.Errorf("%s %s: %s", s.Scenario, s.Impl, s.Error)
		}
		if s.Scenario == "http" && (s.Result.Num("plain.requests") <= 0 || s.Result.Num("pipelined.pipeline") != 8 ||
			s.Result.Num("pipelined.errors") != 0 || s.Result.Num("duration_s") < 0.6) {
			t.Errorf("%s: %v", s.Impl, s.Result)
		}
	}
	for _, want := range []string{"fasthttp  not available", "fasthttp  plain", "std       pipelined", "1.00x",
		"req/server-CPU-s vs fasthttp"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

// TestTablePairedRatios: with several repetitions a ratio cell also gives
// the range of the ratios within one repetition, and the summary has it.
func TestTablePairedRatios(t *testing.T) {
	o := &Options{
		Impls: []string{"gale", "gnet"}, Baseline: "gnet", Scenarios: []string{"echo"}, Reps: 3,
		Duration: 10 * time.Second, Warmup: 2 * time.Second, Loops: 1, ServerProcs: 1, LoadProcs: 1,
	}
	var samples []*Sample
	for i, v := range [][2]float64{{150, 100}, {120, 100}, {200, 100}} {
		for j, impl := range []string{"gale", "gnet"} {
			samples = append(samples, &Sample{Scenario: "echo", Impl: impl, Rep: i + 1, Attempt: 1,
				Result: Result{"req_per_server_cpu_s": v[j], "req_per_s": 100.0, "duration_s": 10.0}})
		}
	}
	// A repetition only one side has is left out of the pairs.
	samples = append(samples, &Sample{Scenario: "echo", Impl: "gale", Rep: 4, Attempt: 1,
		Result: Result{"req_per_server_cpu_s": 1000.0, "req_per_s": 100.0, "duration_s": 10.0}})
	rep := &Report{GoVersion: "go1.26", CPUs: 2, Options: o, Samples: samples}
	var out bytes.Buffer
	o.Out = &out
	printTable(o, rep)
	got := out.String()
	if !strings.Contains(got, "1.75x [1.20x-2.00x]") {
		t.Errorf("table lacks gale's ratio with its per-repetition range:\n%s", got)
	}
	for _, line := range strings.Split(got, "\n") {
		if strings.HasPrefix(line, "gnet ") && strings.Contains(line, "x [") {
			t.Errorf("the baseline against itself has a range: %q", line)
		}
	}
	sum := Summarize(rep)
	g := sum[0].Impls[0]
	if g.Impl != "gale" || g.RatioRanges["req_per_server_cpu_s"] != [2]float64{1.2, 2} {
		t.Fatalf("gale summary %+v", g)
	}
	if r, ok := sum[0].Impls[1].RatioRanges["req_per_server_cpu_s"]; ok && r != [2]float64{1, 1} {
		t.Fatalf("gnet's range against itself: %v", r)
	}
}
