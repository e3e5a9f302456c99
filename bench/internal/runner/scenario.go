package runner

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
)

// A Scenario is one kind of measurement: the serve mode it needs, the load
// generator flags that make one sample, and the columns of the table. Each
// scenario is one small file that calls register from init; the runner
// runs them in the order of Options.Scenarios.
type Scenario struct {
	Name string // as given to -scenarios
	Mode string // serve -mode and load -mode
	// Describe is the table's caption for these options.
	Describe func(o *Options) string
	// LoadArgs are the load generator's flags besides -mode, -addr and
	// -server-pid.
	LoadArgs func(o *Options) []string
	// Timeout bounds one load run; Estimate is its usual length, server
	// start and stop included.
	Timeout, Estimate func(o *Options) time.Duration
	// Noisy reports whether a result was disturbed by the rest of the
	// machine and should be measured again; nil means never.
	Noisy   func(o *Options, r Result) bool
	Columns []Column
	// Impls are the implementations measured when Options.Impls is empty.
	Impls []string
	// Baselines are the implementations the ratios are against, each with
	// its own ratio columns; nil (or an empty list) means Options.Baseline.
	Baselines func(o *Options) []string
	// Variants, when not empty, make a sample several load runs side by
	// side, each against a fresh server, and the table a row per variant:
	// see Variant.
	Variants []Variant
	// Load, when not nil, takes the place of the load generator for one
	// run (v is nil without variants); args are the load generator's flags
	// it replaces.
	Load func(ctx context.Context, o *Options, pin pinSpec, bins binaries, sc *Scenario, v *Variant,
		srv *serverProc, args []string) (Result, error)
	// Run, when not nil, takes the sample itself instead of one server and
	// one load generator run with LoadArgs (the idle scenario, which may
	// use several of each). startErr means the implementation is not
	// available; err that the sample failed.
	Run func(ctx context.Context, o *Options, pin pinSpec, bins binaries, sc *Scenario, impl string) (res Result, startErr, err error)
}

// A Variant is one of the load runs of a scenario sample (the http
// scenario's plain and pipelined runs). The sample's Result holds each
// variant's result fields as Key + "." + field, and, for what the runner
// reads of every sample, duration_s and other_cpu_s summed over the
// variants and the largest load_cpu_util.
type Variant struct {
	Key   string // field prefix; a plain word
	Label string // the table's variant column
	// LoadArgs are added to the scenario's LoadArgs.
	LoadArgs func(o *Options) []string
}

// field is where a column's figure of variant v (nil: none) is in a Result.
func (v *Variant) field(f string) string {
	if v == nil {
		return f
	}
	return v.Key + "." + f
}

// variants are the rows of a scenario's table: its variants, or one
// without a name.
func (sc *Scenario) variants() []*Variant {
	if len(sc.Variants) == 0 {
		return []*Variant{nil}
	}
	out := make([]*Variant, len(sc.Variants))
	for i := range sc.Variants {
		out[i] = &sc.Variants[i]
	}
	return out
}

// mergeVariant adds variant v's result to the sample's.
func mergeVariant(into Result, v *Variant, res Result) {
	for k, val := range res {
		into[v.field(k)] = val
	}
	for _, f := range []string{"duration_s", "other_cpu_s"} {
		if x := res.Num(f); !math.IsNaN(x) {
			into[f] = x + zeroNaN(into.Num(f))
		}
	}
	if x := res.Num("load_cpu_util"); !math.IsNaN(x) && !(into.Num("load_cpu_util") >= x) {
		into["load_cpu_util"] = x
	}
}

func zeroNaN(x float64) float64 {
	if math.IsNaN(x) {
		return 0
	}
	return x
}

// implsFor are the implementations a scenario measures: Options.Impls, or
// the scenario's own list.
func (o *Options) implsFor(sc *Scenario) []string {
	if len(o.Impls) > 0 {
		return o.Impls
	}
	return sc.Impls
}

// baselinesFor are the implementations a scenario's ratios are against.
func (o *Options) baselinesFor(sc *Scenario) []string {
	if sc.Baselines != nil {
		if b := sc.Baselines(o); len(b) > 0 {
			return b
		}
	}
	return []string{o.Baseline}
}

// unavailableKey is the Report.Unavailable key of an implementation in a
// scenario: availability depends on the serve mode ("http/gale").
func unavailableKey(sc *Scenario, impl string) string { return sc.Mode + "/" + impl }

// Result is one load generator result line, decoded.
type Result map[string]any

// Num returns a numeric field, or NaN when it is missing.
func (r Result) Num(field string) float64 {
	if v, ok := r[field].(float64); ok {
		return v
	}
	return math.NaN()
}

// Column is one figure of the table: the median of a result field over
// the samples, and its ratio to the baseline implementation.
type Column struct {
	Title  string // header
	Field  string // JSON field of the load result
	Format func(float64) string
	// Better tells how to read the ratio: "higher" or "lower".
	Better string
	// Ratio adds a "vs baseline" column.
	Ratio bool
}

var scenarios = map[string]*Scenario{}

func register(s *Scenario) {
	if _, dup := scenarios[s.Name]; dup {
		panic("runner: scenario registered twice: " + s.Name)
	}
	scenarios[s.Name] = s
}

// Scenarios lists the registered scenario names.
func Scenarios() []string {
	var out []string
	for name := range scenarios {
		out = append(out, name)
	}
	return out
}

// Formats for columns.

func fmtCount(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func fmtSeconds(v float64) string { return fmt.Sprintf("%.2f s", v) }

func fmtFraction(v float64) string { return fmt.Sprintf("%.2f", v) }

func fmtMicros(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2f s", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.2f ms", v/1e3)
	}
	return fmt.Sprintf("%.0f µs", v)
}

func fmtBytes(v float64) string {
	switch {
	case math.Abs(v) >= 1<<20:
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	case math.Abs(v) >= 1<<10:
		return fmt.Sprintf("%.1f KiB", v/(1<<10))
	}
	return fmt.Sprintf("%.0f B", v)
}

// throughputColumns are the columns of a request-loop scenario (echo,
// http, ws): throughput, server CPU and its ratio, p99 latency, and what
// tells a saturated load generator or a noisy machine. reqRatio and
// p99Ratio add a ratio column to the baseline for req/s and p99.
func throughputColumns(reqRatio, p99Ratio bool) []Column {
	return []Column{
		{Title: "req/s", Field: "req_per_s", Format: fmtCount, Better: "higher", Ratio: reqRatio},
		{Title: "server CPU", Field: "server_cpu_s", Format: fmtSeconds, Better: "lower"},
		{Title: "req/server-CPU-s", Field: "req_per_server_cpu_s", Format: fmtCount, Better: "higher", Ratio: true},
		{Title: "p99", Field: "lat_p99_us", Format: fmtMicros, Better: "lower", Ratio: p99Ratio},
		{Title: "load CPU util", Field: "load_cpu_util", Format: fmtFraction, Better: "lower"},
		{Title: "other CPU", Field: "other_cpu_s", Format: fmtSeconds, Better: "lower"},
	}
}
