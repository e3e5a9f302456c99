package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/gale-io/gale/bench/internal/runner"
)

// Chart is one scenario's figure: panels of grouped bars, one bar per
// implementation in every group, stacked vertically.
type Chart struct {
	Name     string // file name without .svg: the scenario
	Title    string
	Subtitle string
	Impls    []string // legend order; bar order within a group
	Panels   []Panel
	Notes    []string // printed under the panels
}

// Panel is one y axis and its groups of bars.
type Panel struct {
	Title  string
	YLabel string
	Format func(float64) string // tick and value labels
	Groups []Group
}

// Group is one x position: a figure, with a bar per implementation.
type Group struct {
	Label string
	Bars  []Bar // in Chart.Impls order
}

// Bar is one implementation's median with its min-max range; OK false
// means there is no figure (not available, or every repetition failed).
type Bar struct {
	Median, Min, Max float64
	OK               bool
}

// figure is a result field drawn as one group.
type figure struct{ label, field string }

type panelSpec struct {
	title, ylabel string
	format        func(float64) string
	figures       []figure
}

// chartSpecs are the charts of the known scenarios; other scenarios get a
// panel per ratio column of their table.
var chartSpecs = map[string][]panelSpec{
	"echo": {
		{"throughput: median, whiskers min-max", "requests per second", fmtCount, []figure{
			{"req/s", "req_per_s"}, {"req/server-CPU-s", "req_per_server_cpu_s"}}},
		{"latency percentiles: median, whiskers min-max", "latency", fmtMicros, []figure{
			{"p50", "lat_p50_us"}, {"p99", "lat_p99_us"}, {"p999", "lat_p999_us"}}},
	},
	"idle": {
		{"server memory per idle connection (VmRSS delta / N)", "bytes per connection", fmtBytes, []figure{
			{"memory per idle connection", "server_bytes_per_conn"}}},
	},
	"http": {
		{"requests per server CPU-second: median, whiskers min-max", "requests per server CPU-second", fmtCount, []figure{
			{"plain", "plain.req_per_server_cpu_s"}, {"pipelined", "pipelined.req_per_server_cpu_s"}}},
		{"throughput: median, whiskers min-max", "requests per second", fmtCount, []figure{
			{"plain", "plain.req_per_s"}, {"pipelined", "pipelined.req_per_s"}}},
		{"p99 latency: median, whiskers min-max", "latency", fmtMicros, []figure{
			{"plain", "plain.lat_p99_us"}, {"pipelined", "pipelined.lat_p99_us"}}},
	},
}

// Charts returns one chart per scenario of the results, in run order.
func Charts(res *Results) []Chart {
	var out []Chart
	for _, ss := range res.Summary {
		c := Chart{Name: ss.Scenario, Title: "gale bench: " + ss.Scenario, Subtitle: ss.Describe}
		for _, is := range ss.Impls {
			c.Impls = append(c.Impls, is.Impl)
		}
		specs := chartSpecs[ss.Scenario]
		if !hasAny(ss, specs) {
			// An unknown scenario, or one whose fields changed: a panel
			// per ratio column of its table, a group per variant.
			specs = nil
			for _, col := range ss.Columns {
				if !col.Ratio {
					continue
				}
				figs := []figure{{col.Title, col.Field}}
				if len(ss.Variants) > 0 {
					figs = nil
					for _, v := range ss.Variants {
						figs = append(figs, figure{v.Label, v.Key + "." + col.Field})
					}
				}
				specs = append(specs, panelSpec{col.Title + " (" + col.Better + " is better)", col.Title, fmtNumber, figs})
			}
		}
		for _, sp := range specs {
			p := Panel{Title: sp.title, YLabel: sp.ylabel, Format: sp.format}
			for _, f := range sp.figures {
				g := Group{Label: f.label}
				for _, is := range ss.Impls {
					st, ok := is.Stats[f.field]
					g.Bars = append(g.Bars, Bar{Median: st.Median, Min: st.Min, Max: st.Max, OK: ok})
				}
				p.Groups = append(p.Groups, g)
			}
			c.Panels = append(c.Panels, p)
		}
		for _, is := range ss.Impls {
			switch {
			case is.Unavailable != "":
				c.Notes = append(c.Notes, fmt.Sprintf("%s: not available (%s)", is.Impl, firstLine(is.Unavailable)))
			case is.Samples == 0:
				c.Notes = append(c.Notes, fmt.Sprintf("%s: every repetition failed", is.Impl))
			case is.Saturated:
				c.Notes = append(c.Notes, fmt.Sprintf("%s: load generator saturated (CPU utilisation %.2f): "+
					"compare req/server-CPU-s, not req/s", is.Impl, is.Stats["load_cpu_util"].Median))
			}
			// The bars are medians of fewer repetitions than the run had, or
			// of disturbed ones: say so, as the table does.
			if is.Unavailable == "" && is.Samples > 0 && is.Failed > 0 {
				c.Notes = append(c.Notes, fmt.Sprintf("%s: %d repetitions failed and are left out: medians of %d",
					is.Impl, is.Failed, is.Samples))
			}
			if is.Unavailable == "" && is.Noisy > 0 {
				c.Notes = append(c.Notes, fmt.Sprintf("%s: %d of %d repetitions were disturbed by other processes "+
					"in every attempt (their least disturbed attempt is used)", is.Impl, is.Noisy, is.Samples))
			}
		}
		if res.Config != nil && ss.Scenario != "" {
			c.Notes = append(c.Notes, fmt.Sprintf("bars: medians of %d repetitions, whiskers: min-max; %s, %d CPUs, %s; gale %s",
				res.Config.Reps, res.GoVersion, res.Machine.CPUs, res.Machine.CPUModel, shortCommit(res.Commit)))
		}
		out = append(out, c)
	}
	return out
}

// hasAny reports whether any implementation has a figure of specs.
func hasAny(ss *runner.ScenarioSummary, specs []panelSpec) bool {
	for _, sp := range specs {
		for _, f := range sp.figures {
			for _, is := range ss.Impls {
				if _, ok := is.Stats[f.field]; ok {
					return true
				}
			}
		}
	}
	return false
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

// Label formats: short, for axes and bar tops.

func trim(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func fmtCount(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return trim(fmt.Sprintf("%.2f", v/1e6)) + "M"
	case a >= 1e4:
		return trim(fmt.Sprintf("%.1f", v/1e3)) + "K"
	case a >= 1e3:
		return trim(fmt.Sprintf("%.2f", v/1e3)) + "K"
	}
	return trim(fmt.Sprintf("%.1f", v))
}

func fmtMicros(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return trim(fmt.Sprintf("%.2f", v/1e6)) + " s"
	case a >= 1e3:
		return trim(fmt.Sprintf("%.2f", v/1e3)) + " ms"
	}
	return trim(fmt.Sprintf("%.0f", v)) + " µs"
}

func fmtBytes(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1<<20:
		return trim(fmt.Sprintf("%.2f", v/(1<<20))) + " MiB"
	case a >= 1<<10:
		return trim(fmt.Sprintf("%.2f", v/(1<<10))) + " KiB"
	}
	return trim(fmt.Sprintf("%.0f", v)) + " B"
}

func fmtNumber(v float64) string { return trim(fmt.Sprintf("%.3g", v)) }
