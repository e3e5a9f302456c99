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
	// Run, when not nil, takes the sample itself instead of one server and
	// one load generator run with LoadArgs (the idle scenario, which may
	// use several of each). startErr means the implementation is not
	// available; err that the sample failed.
	Run func(ctx context.Context, o *Options, pin pinSpec, bins binaries, sc *Scenario, impl string) (res Result, startErr, err error)
}

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
