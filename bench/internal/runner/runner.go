// Package runner is bench/cmd/run: it builds serve and load, runs every
// scenario against every implementation as separate processes (server and
// load generator pinned to different CPUs), repeats the measurements with
// the implementations alternating, and prints a table of medians with
// ratios against a baseline implementation.
package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/gale-io/gale/bench/internal/procstat"
)

// Options configure a run. Zero values are not defaults: cmd/run fills them.
// In the JSON report, durations are in nanoseconds.
type Options struct {
	// Impls are the implementations, in the order of the first
	// repetition; empty means each scenario's own (Scenario.Impls).
	Impls []string
	// Baseline is the implementation ratios are against, in the scenarios
	// without baselines of their own (http's are fasthttp and std).
	Baseline  string
	Scenarios []string // scenario names, run in this order within a repetition
	Reps      int      // samples per scenario and implementation
	Retries   int      // extra attempts for a sample the machine disturbed
	// QuietWait is how long to wait, before a CPU-sensitive sample, for
	// other processes to use less than NoiseLimit of a CPU.
	QuietWait time.Duration

	// NoiseLimit is the share of one CPU that the rest of the machine may
	// use during a measured window (other_cpu_s / duration_s) before the
	// sample counts as disturbed and is measured again.
	NoiseLimit float64

	Conns, Size, Pipeline int           // echo
	Duration, Warmup      time.Duration // echo
	IdleConns             int           // idle
	Settle                time.Duration // idle
	Idle                  IdleOptions   // idle: processes, hold, keep-alives, probe
	HTTP                  HTTPOptions   // http: connections, pipeline depth, load generator
	TLS                   bool

	Loops       int    // serve -loops
	ServerProcs int    // server GOMAXPROCS
	LoadProcs   int    // load generator GOMAXPROCS
	ServerCPUs  string // taskset CPU list for the server; "" for no pinning
	LoadCPUs    string // taskset CPU list for the load generator

	BenchDir string    // the bench module; "" finds it from the working directory
	JSON     string    // file for every sample as JSON; "" for none
	Log      io.Writer `json:"-"` // progress
	Out      io.Writer `json:"-"` // the table
}

// Sample is one measurement of one scenario on one implementation.
type Sample struct {
	Scenario string `json:"scenario"`
	Impl     string `json:"impl"`
	Rep      int    `json:"rep"`
	Attempt  int    `json:"attempt"`
	Noisy    bool   `json:"noisy"`           // the rest of the machine disturbed it
	Result   Result `json:"result"`          // the load generator's result line
	Error    string `json:"error,omitempty"` // why there is no valid result
}

// Report is everything a run measured.
type Report struct {
	Started   time.Time `json:"started"`
	Seconds   float64   `json:"seconds"`
	GoVersion string    `json:"go_version"`
	CPUs      int       `json:"cpus"`
	Pinned    bool      `json:"pinned"`
	Options   *Options  `json:"options"`
	// Unavailable maps "mode/impl" (a serve mode and an implementation,
	// "http/gale") to why that server could not be measured.
	Unavailable map[string]string `json:"unavailable,omitempty"`
	Samples     []*Sample         `json:"samples"`
}

// Run measures and prints the table. It returns an error when the run
// could not be carried out or was interrupted; failed samples are in the
// table, not errors.
func Run(ctx context.Context, o *Options) (*Report, error) {
	for _, name := range o.Scenarios {
		if scenarios[name] == nil {
			return nil, fmt.Errorf("unknown scenario %q (have %v)", name, Scenarios())
		}
	}
	if o.Reps < 1 {
		return nil, errors.New("runner: need at least one repetition")
	}
	for _, name := range o.Scenarios {
		if len(o.implsFor(scenarios[name])) == 0 {
			return nil, fmt.Errorf("runner: no implementation to measure in scenario %s", name)
		}
	}
	if o.Idle == (IdleOptions{}) && idleFlags != nil {
		o.Idle = *idleFlags
	}
	if err := o.HTTP.check(slices.Contains(o.Scenarios, "http")); err != nil {
		return nil, err
	}
	rep := &Report{
		Started: time.Now(), GoVersion: runtime.Version(), CPUs: runtime.NumCPU(),
		Options: o, Unavailable: map[string]string{},
	}
	pin, err := pinning(o)
	if err != nil {
		return nil, err
	}
	rep.Pinned = pin.enabled
	bins, cleanup, err := build(ctx, o)
	if err != nil {
		return nil, err
	}
	defer cleanup()

	total := 0
	for _, name := range o.Scenarios {
		total += o.Reps * len(o.implsFor(scenarios[name]))
	}
	fmt.Fprintf(o.Log, "bench: %d samples (%d scenarios, %d repetitions), about %v\n",
		total, len(o.Scenarios), o.Reps, estimate(o).Round(time.Second))
	n := 0
	for r := range o.Reps {
		for _, name := range o.Scenarios {
			sc := scenarios[name]
			// Rotate the order every repetition, so that each implementation
			// takes each position equally often and drift spreads evenly.
			order := slices.Clone(o.implsFor(sc))
			k := r % len(order)
			order = append(order[k:], order[:k]...)
			for _, impl := range order {
				n++
				if why, out := rep.Unavailable[unavailableKey(sc, impl)]; out {
					fmt.Fprintf(o.Log, "[%d/%d] %s %s: skipped, not available: %s\n", n, total, name, impl, why)
					continue
				}
				s := measure(ctx, o, pin, bins, sc, impl, r+1, rep)
				if ctx.Err() != nil {
					return rep, ctx.Err()
				}
				if s != nil {
					fmt.Fprintf(o.Log, "[%d/%d] %s\n", n, total, progressLine(sc, s))
				}
			}
		}
	}
	rep.Seconds = time.Since(rep.Started).Seconds()
	printTable(o, rep)
	if o.JSON != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return rep, err
		}
		if err := os.WriteFile(o.JSON, b, 0o644); err != nil {
			return rep, err
		}
		fmt.Fprintf(o.Log, "bench: samples written to %s\n", o.JSON)
	}
	return rep, nil
}

// measure takes one sample, measuring again (up to Retries times) while
// the machine disturbs it. It returns nil and records the implementation as
// unavailable when its server does not start.
func measure(ctx context.Context, o *Options, pin pinSpec, bins binaries, sc *Scenario, impl string, r int, rep *Report) *Sample {
	var s *Sample
	for attempt := 1; attempt <= 1+o.Retries; attempt++ {
		if sc.Noisy != nil {
			waitQuiet(ctx, o)
		}
		s = &Sample{Scenario: sc.Name, Impl: impl, Rep: r, Attempt: attempt}
		res, startErr, err := runOnce(ctx, o, pin, bins, sc, impl)
		if startErr != nil {
			rep.Unavailable[unavailableKey(sc, impl)] = startErr.Error()
			fmt.Fprintf(o.Log, "bench: %s not available for %s: %v\n", impl, sc.Mode, startErr)
			return nil
		}
		s.Result = res
		if err != nil {
			s.Error = err.Error()
		}
		rep.Samples = append(rep.Samples, s)
		if err != nil || ctx.Err() != nil {
			return s
		}
		if sc.Noisy == nil || !sc.Noisy(o, res) {
			return s
		}
		s.Noisy = true
		if attempt <= o.Retries {
			fmt.Fprintf(o.Log, "  %s %s rep %d: the machine was busy (other processes used %.2f CPU-s); measuring again\n",
				sc.Name, impl, r, res.Num("other_cpu_s"))
		}
	}
	return s
}

// waitQuiet waits, up to o.QuietWait, until other processes use less than
// o.NoiseLimit of a CPU over half a second, so that a sample is not taken
// while a build or test runs beside it.
func waitQuiet(ctx context.Context, o *Options) {
	const step = 500 * time.Millisecond
	deadline := time.Now().Add(o.QuietWait)
	said := false
	for {
		b0, err := procstat.MachineBusy()
		if err != nil {
			return
		}
		if !sleepCtx(ctx, step) {
			return
		}
		b1, _ := procstat.MachineBusy()
		busy := (b1 - b0).Seconds() / step.Seconds()
		if busy <= o.NoiseLimit {
			return
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(o.Log, "  the machine is still busy after %v (other processes use %.2f CPUs); measuring anyway\n",
				o.QuietWait, busy)
			return
		}
		if !said {
			fmt.Fprintf(o.Log, "  waiting for the machine to be quiet (other processes use %.2f CPUs)\n", busy)
			said = true
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func progressLine(sc *Scenario, s *Sample) string {
	line := fmt.Sprintf("%s %s rep %d:", sc.Name, s.Impl, s.Rep)
	if s.Error != "" {
		return line + " FAILED: " + s.Error
	}
	var groups []string
	for _, v := range sc.variants() {
		var parts []string
		for _, c := range sc.Columns {
			parts = append(parts, fmt.Sprintf("%s %s", c.Title, c.Format(s.Result.Num(v.field(c.Field)))))
		}
		g := strings.Join(parts, ", ")
		if v != nil {
			g = v.Label + ": " + g
		}
		groups = append(groups, g)
	}
	line += " " + strings.Join(groups, "; ")
	if s.Noisy {
		line += " (disturbed)"
	}
	return line
}

// estimate is the expected length of a run without re-measurements.
func estimate(o *Options) time.Duration {
	var total time.Duration
	for _, name := range o.Scenarios {
		sc := scenarios[name]
		total += sc.Estimate(o) * time.Duration(o.Reps*len(o.implsFor(sc)))
	}
	return total
}
