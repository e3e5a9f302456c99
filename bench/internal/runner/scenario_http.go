package runner

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"time"
)

// HTTPOptions are the http scenario's. Zero values mean the defaults.
type HTTPOptions struct {
	Conns    int // connections; 0 means 128
	Pipeline int // requests written back to back in the pipelined variant; 0 means 16
	// Load is what drives the servers: "load" (cmd/load, the default: its
	// figures are measured as echo's are, and every response is checked)
	// or "wrk" (wrk from PATH; wrk.go).
	Load string
}

func (h *HTTPOptions) conns() int {
	if h.Conns > 0 {
		return h.Conns
	}
	return 128
}

func (h *HTTPOptions) pipeline() int {
	if h.Pipeline > 0 {
		return h.Pipeline
	}
	return 16
}

// check rejects an unknown load generator, and wrk when it is needed and
// not on PATH.
func (h *HTTPOptions) check(needed bool) error {
	switch h.Load {
	case "", "load":
		return nil
	case "wrk":
		if _, err := exec.LookPath("wrk"); needed && err != nil {
			return fmt.Errorf("-http-load wrk: wrk is not on PATH (Debian: apt-get install wrk)")
		}
		return nil
	}
	return fmt.Errorf("-http-load %q: load or wrk", h.Load)
}

// httpBaselines are the targets: gale against fasthttp's requests
// per server CPU-second, and against net/http's.
var httpBaselines = []string{"fasthttp", "std"}

// http: HTTP.Conns keep-alive connections sending GET /plaintext, each
// sample two load runs against fresh servers: plain (one request at a time
// per connection) and pipelined (HTTP.Pipeline requests written back to
// back, then their responses). Ratios against fasthttp and std (net/http),
// those of them that are measured.
func init() {
	var sc *Scenario
	sc = &Scenario{
		Name: "http",
		Mode: "http",
		Describe: func(o *Options) string {
			d := fmt.Sprintf("http: %d keep-alive connections, GET /plaintext, 1 request in flight (plain) or %d pipelined; "+
				"%v after %v warmup", o.HTTP.conns(), o.HTTP.pipeline(), o.Duration, o.Warmup)
			if o.HTTP.Load == "wrk" {
				d += "; driven by wrk"
			}
			return d
		},
		LoadArgs: func(o *Options) []string {
			args := []string{"-conns", strconv.Itoa(o.HTTP.conns()),
				"-duration", o.Duration.String(), "-warmup", o.Warmup.String()}
			if o.TLS {
				args = append(args, "-tls")
			}
			return args
		},
		Variants: []Variant{
			{Key: "plain", Label: "plain", LoadArgs: func(o *Options) []string { return []string{"-pipeline", "1"} }},
			{Key: "pipelined", Label: "pipelined", LoadArgs: func(o *Options) []string {
				return []string{"-pipeline", strconv.Itoa(o.HTTP.pipeline())}
			}},
		},
		// Timeout is per load run; Estimate per sample (both variants).
		Timeout:  func(o *Options) time.Duration { return o.Warmup + o.Duration + 90*time.Second },
		Estimate: func(o *Options) time.Duration { return 2 * (o.Warmup + o.Duration + 2*time.Second) },
		Noisy:    noisyWindow,
		Impls:    []string{"gale", "fasthttp", "gnet", "std"},
		Baselines: func(o *Options) []string {
			var out []string
			for _, b := range httpBaselines {
				if slices.Contains(o.implsFor(sc), b) {
					out = append(out, b)
				}
			}
			return out
		},
		Load:    loadHTTP,
		Columns: throughputColumns(false, false),
	}
	register(sc)
}

// loadHTTP drives one variant with cmd/load, or with wrk (-http-load wrk).
func loadHTTP(ctx context.Context, o *Options, pin pinSpec, bins binaries, sc *Scenario, v *Variant,
	srv *serverProc, args []string) (Result, error) {
	if o.HTTP.Load != "wrk" {
		return runLoad(ctx, o, pin, bins, sc, srv, args)
	}
	depth := 1
	if v != nil && v.Key == "pipelined" {
		depth = o.HTTP.pipeline()
	}
	return runWrk(ctx, o, pin, srv, wrkRun{conns: o.HTTP.conns(), depth: depth, path: "/plaintext",
		timeout: sc.Timeout(o)})
}
