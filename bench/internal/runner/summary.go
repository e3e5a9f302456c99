package runner

import (
	"math"
	"slices"
)

// SaturatedUtil is the load generator CPU utilisation (load_cpu_util,
// a fraction of its CPUs) from which a sample's throughput says more about
// the load generator than about the server.
const SaturatedUtil = 0.9

// saturatedNote is the note printed for an implementation whose load
// generator saturated.
const saturatedNote = "load generator saturated: compare req/server-CPU-s, not req/s"

// Stat is the median and range of one result field over the repetitions.
type Stat struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	N      int     `json:"n"` // samples with the field
}

// ScenarioSummary is the table of one scenario as data.
type ScenarioSummary struct {
	Scenario string         `json:"scenario"`
	Describe string         `json:"describe"`
	Columns  []ColumnInfo   `json:"columns"`
	Impls    []*ImplSummary `json:"impls"`
}

// ColumnInfo describes one column of the table.
type ColumnInfo struct {
	Title  string `json:"title"`
	Field  string `json:"field"`
	Better string `json:"better"`
	Ratio  bool   `json:"ratio"`
}

// ImplSummary is one implementation's row: a Stat for every numeric field
// of the samples the table uses (one per repetition), and the ratios of the
// ratio columns' medians to the baseline's.
type ImplSummary struct {
	Impl        string `json:"impl"`
	Unavailable string `json:"unavailable,omitempty"`
	Samples     int    `json:"samples"` // repetitions summarised
	Noisy       int    `json:"noisy"`   // of them, only disturbed attempts
	Failed      int    `json:"failed"`  // repetitions without a valid attempt
	// Saturated: the median load_cpu_util is at least SaturatedUtil.
	Saturated bool               `json:"load_saturated"`
	Stats     map[string]Stat    `json:"stats,omitempty"`
	Ratios    map[string]float64 `json:"ratios,omitempty"` // field -> median / baseline median
}

// Summarize returns the table's data: for each scenario of the run, in
// order, each implementation's medians, ranges and ratios, computed as
// the printed table computes them.
func Summarize(rep *Report) []*ScenarioSummary {
	o := rep.Options
	var out []*ScenarioSummary
	for _, name := range o.Scenarios {
		sc := scenarios[name]
		if sc == nil {
			continue
		}
		ss := &ScenarioSummary{Scenario: name, Describe: sc.Describe(o)}
		for _, c := range sc.Columns {
			ss.Columns = append(ss.Columns, ColumnInfo{Title: c.Title, Field: c.Field, Better: c.Better, Ratio: c.Ratio})
		}
		var base *ImplSummary
		for _, impl := range o.Impls {
			is := summarizeImpl(rep, sc, impl)
			ss.Impls = append(ss.Impls, is)
			if impl == o.Baseline && is.Unavailable == "" && is.Samples > 0 {
				base = is
			}
		}
		for _, is := range ss.Impls {
			if base == nil || is.Samples == 0 {
				continue
			}
			for _, c := range sc.Columns {
				v, ok1 := is.Stats[c.Field]
				b, ok2 := base.Stats[c.Field]
				if c.Ratio && ok1 && ok2 && b.Median != 0 {
					if is.Ratios == nil {
						is.Ratios = map[string]float64{}
					}
					is.Ratios[c.Field] = v.Median / b.Median
				}
			}
		}
		out = append(out, ss)
	}
	return out
}

func summarizeImpl(rep *Report, sc *Scenario, impl string) *ImplSummary {
	is := &ImplSummary{Impl: impl}
	if why, ok := rep.Unavailable[impl]; ok {
		is.Unavailable = why
		return is
	}
	samples, noisy, failed := summarize(rep, sc, impl)
	is.Samples, is.Noisy, is.Failed = len(samples), noisy, failed
	var fields []string
	for _, s := range samples {
		for k, v := range s.Result {
			if _, num := v.(float64); num && !slices.Contains(fields, k) {
				fields = append(fields, k)
			}
		}
	}
	for _, f := range fields {
		c := summarizeColumn(samples, Column{Field: f})
		if c.n > 0 {
			if is.Stats == nil {
				is.Stats = map[string]Stat{}
			}
			is.Stats[f] = Stat{Median: c.median, Min: c.lo, Max: c.hi, N: c.n}
		}
	}
	is.Saturated = saturated(samples)
	return is
}

// saturated reports whether the median load generator utilisation of the
// samples reaches SaturatedUtil.
func saturated(samples []*Sample) bool {
	c := summarizeColumn(samples, Column{Field: "load_cpu_util"})
	return c.n > 0 && !math.IsNaN(c.median) && c.median >= SaturatedUtil
}

// BenchDir returns the bench module's directory as the runner finds it:
// dir if given, else from the working directory.
func BenchDir(dir string) (string, error) { return benchDir(dir) }
