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
	Scenario string       `json:"scenario"`
	Describe string       `json:"describe"`
	Columns  []ColumnInfo `json:"columns"`
	// Variants are the load runs of each sample, when the scenario has
	// several: a column's figure of a variant is Stats[Key + "." + Field].
	Variants []VariantInfo `json:"variants,omitempty"`
	// Baselines are the implementations the ratios are against.
	Baselines []string       `json:"baselines"`
	Impls     []*ImplSummary `json:"impls"`
}

// VariantInfo describes one variant of a scenario.
type VariantInfo struct {
	Key   string `json:"key"`
	Label string `json:"label"`
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
	Saturated bool            `json:"load_saturated"`
	Stats     map[string]Stat `json:"stats,omitempty"`
	// Ratios maps a ratio column's field (variant-prefixed) to the median
	// over the first baseline's median; RatiosVs has them for every
	// baseline, when there are several.
	Ratios   map[string]float64            `json:"ratios,omitempty"`
	RatiosVs map[string]map[string]float64 `json:"ratios_vs,omitempty"`
	// RatioRanges and RatioRangesVs hold, for the same fields, the lowest
	// and highest ratio between the two implementations' samples of one
	// repetition (absent with fewer than two repetitions in common).
	RatioRanges   map[string][2]float64            `json:"ratio_ranges,omitempty"`
	RatioRangesVs map[string]map[string][2]float64 `json:"ratio_ranges_vs,omitempty"`
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
		ss := &ScenarioSummary{Scenario: name, Describe: sc.Describe(o), Baselines: o.baselinesFor(sc)}
		for _, c := range sc.Columns {
			ss.Columns = append(ss.Columns, ColumnInfo{Title: c.Title, Field: c.Field, Better: c.Better, Ratio: c.Ratio})
		}
		for _, v := range sc.Variants {
			ss.Variants = append(ss.Variants, VariantInfo{Key: v.Key, Label: v.Label})
		}
		samplesOf := map[string][]*Sample{}
		for _, impl := range o.implsFor(sc) {
			ss.Impls = append(ss.Impls, summarizeImpl(rep, sc, impl))
			if rep.Unavailable[unavailableKey(sc, impl)] == "" {
				samplesOf[impl], _, _ = summarize(rep, sc, impl)
			}
		}
		for i, b := range ss.Baselines {
			var base *ImplSummary
			for _, is := range ss.Impls {
				if is.Impl == b && is.Unavailable == "" && is.Samples > 0 {
					base = is
				}
			}
			if base == nil {
				continue
			}
			for _, is := range ss.Impls {
				if is.Samples == 0 {
					continue
				}
				for _, v := range sc.variants() {
					for _, c := range sc.Columns {
						f := v.field(c.Field)
						x, ok1 := is.Stats[f]
						y, ok2 := base.Stats[f]
						if !c.Ratio || !ok1 || !ok2 || y.Median == 0 {
							continue
						}
						lo, hi, n := pairedRange(samplesOf[is.Impl], samplesOf[b], f)
						if i == 0 {
							if is.Ratios == nil {
								is.Ratios = map[string]float64{}
							}
							is.Ratios[f] = x.Median / y.Median
							if n >= 2 {
								if is.RatioRanges == nil {
									is.RatioRanges = map[string][2]float64{}
								}
								is.RatioRanges[f] = [2]float64{lo, hi}
							}
						}
						if len(ss.Baselines) > 1 {
							if is.RatiosVs == nil {
								is.RatiosVs = map[string]map[string]float64{}
							}
							if is.RatiosVs[b] == nil {
								is.RatiosVs[b] = map[string]float64{}
							}
							is.RatiosVs[b][f] = x.Median / y.Median
							if n >= 2 {
								if is.RatioRangesVs == nil {
									is.RatioRangesVs = map[string]map[string][2]float64{}
								}
								if is.RatioRangesVs[b] == nil {
									is.RatioRangesVs[b] = map[string][2]float64{}
								}
								is.RatioRangesVs[b][f] = [2]float64{lo, hi}
							}
						}
					}
				}
			}
		}
		out = append(out, ss)
	}
	return out
}

func summarizeImpl(rep *Report, sc *Scenario, impl string) *ImplSummary {
	is := &ImplSummary{Impl: impl}
	if why, ok := rep.Unavailable[unavailableKey(sc, impl)]; ok {
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
