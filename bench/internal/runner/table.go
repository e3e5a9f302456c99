package runner

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// cell is the summary of one (scenario, implementation, column).
type cell struct {
	median, lo, hi float64
	n              int // samples summarised
}

// summarize picks one sample per repetition of impl in sc: the attempt the
// machine did not disturb, else the least disturbed one. noisy counts the
// repetitions that had only disturbed attempts, failed those with none
// valid.
func summarize(rep *Report, sc *Scenario, impl string) (samples []*Sample, noisy, failed int) {
	byRep := map[int][]*Sample{}
	var reps []int
	for _, s := range rep.Samples {
		if s.Scenario == sc.Name && s.Impl == impl {
			if byRep[s.Rep] == nil {
				reps = append(reps, s.Rep)
			}
			byRep[s.Rep] = append(byRep[s.Rep], s)
		}
	}
	for _, r := range reps {
		var best *Sample
		for _, s := range byRep[r] {
			switch {
			case s.Error != "":
			case best == nil,
				best.Noisy && !s.Noisy,
				best.Noisy && s.Noisy && s.Result.Num("other_cpu_s") < best.Result.Num("other_cpu_s"):
				best = s
			}
		}
		switch {
		case best == nil:
			failed++
		case best.Noisy:
			noisy++
			fallthrough
		default:
			samples = append(samples, best)
		}
	}
	return samples, noisy, failed
}

// pairedRange returns the lowest and highest ratio of field between
// samples and base taken in the same repetition, and how many repetitions
// both have. The runner rotates the order of the implementations in every
// repetition, so a repetition's pair shared the machine's state of the
// moment: the spread of these ratios says how far a difference between
// medians stands out of the run-to-run noise.
func pairedRange(samples, base []*Sample, field string) (lo, hi float64, n int) {
	byRep := map[int]float64{}
	for _, s := range base {
		if y := s.Result.Num(field); !math.IsNaN(y) && y != 0 {
			byRep[s.Rep] = y
		}
	}
	for _, s := range samples {
		y, ok := byRep[s.Rep]
		x := s.Result.Num(field)
		if !ok || math.IsNaN(x) {
			continue
		}
		r := x / y
		if n == 0 || r < lo {
			lo = r
		}
		if n == 0 || r > hi {
			hi = r
		}
		n++
	}
	return lo, hi, n
}

// formatRatio writes a ratio of medians with, when there are at least two
// repetitions and they differ, the range of the per-repetition ratios.
func formatRatio(r, lo, hi float64, n int) string {
	s := fmt.Sprintf("%.2fx", r)
	if lo, hi := fmt.Sprintf("%.2fx", lo), fmt.Sprintf("%.2fx", hi); n >= 2 && lo != hi {
		s += " [" + lo + "-" + hi + "]"
	}
	return s
}

func summarizeColumn(samples []*Sample, c Column) cell {
	var v []float64
	for _, s := range samples {
		if x := s.Result.Num(c.Field); !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return cell{median: math.NaN()}
	}
	slices.Sort(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return cell{median: m, lo: v[0], hi: v[len(v)-1], n: len(v)}
}

// printTable writes one table per scenario: the median of every column
// over the repetitions with its range, and ratios against the scenario's
// baselines; a scenario with variants has a row per variant.
func printTable(o *Options, rep *Report) {
	w := o.Out
	fmt.Fprintf(w, "\n%s, %d CPUs; server: GOMAXPROCS=%d -loops %d", rep.GoVersion, rep.CPUs, o.ServerProcs, o.Loops)
	if rep.Pinned {
		fmt.Fprintf(w, " on CPU %s, load generator GOMAXPROCS=%d on CPU %s", o.ServerCPUs, o.LoadProcs, o.LoadCPUs)
	} else {
		fmt.Fprintf(w, ", load generator GOMAXPROCS=%d, not pinned", o.LoadProcs)
	}
	if o.TLS {
		fmt.Fprint(w, "; TLS")
	}
	fmt.Fprintf(w, "\nmedians of %d repetitions [min-max]; a column \"X vs B\" is impl's median X / B's median X "+
		"[lowest-highest of impl's X / B's X within one repetition]\n", o.Reps)
	for _, name := range o.Scenarios {
		sc := scenarios[name]
		bases := o.baselinesFor(sc)
		vars := sc.variants()
		fmt.Fprintf(w, "\n%s\n", sc.Describe(o))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		header := []string{"impl"}
		if vars[0] != nil {
			header = append(header, "variant")
		}
		for _, c := range sc.Columns {
			header = append(header, c.Title)
		}
		var legend []string
		for _, c := range sc.Columns {
			if c.Ratio {
				for _, b := range bases {
					header = append(header, fmt.Sprintf("%s vs %s", c.Title, b))
				}
				legend = append(legend, fmt.Sprintf("%s: %s is better", c.Title, c.Better))
			}
		}
		fmt.Fprintln(tw, strings.Join(header, "\t")+"\t")
		// base[b][field]: baseline b's summary of a (variant's) column;
		// baseSamples[b] its samples, for the per-repetition ratios.
		base := map[string]map[string]cell{}
		baseSamples := map[string][]*Sample{}
		for _, b := range bases {
			base[b] = map[string]cell{}
			if s, _, _ := summarize(rep, sc, b); len(s) > 0 && rep.Unavailable[unavailableKey(sc, b)] == "" {
				baseSamples[b] = s
				for _, v := range vars {
					for _, c := range sc.Columns {
						base[b][v.field(c.Field)] = summarizeColumn(s, Column{Field: v.field(c.Field)})
					}
				}
			}
		}
		// Implementations without figures come last, their reason outside
		// the columns, so that it widens none.
		var notes, absent []string
		for _, impl := range o.implsFor(sc) {
			if why, ok := rep.Unavailable[unavailableKey(sc, impl)]; ok {
				absent = append(absent, impl+"\tnot available: "+why)
				continue
			}
			samples, noisy, failed := summarize(rep, sc, impl)
			if len(samples) == 0 {
				absent = append(absent, fmt.Sprintf("%s\tall %d repetitions failed (see the log)", impl, failed))
				continue
			}
			if noisy > 0 {
				notes = append(notes, fmt.Sprintf("%s: %d of %d repetitions were disturbed by other processes "+
					"in every attempt; their least disturbed attempt is used", impl, noisy, len(samples)))
			}
			if failed > 0 {
				notes = append(notes, fmt.Sprintf("%s: %d repetitions failed and are left out (see the log)", impl, failed))
			}
			if saturated(samples) {
				u := summarizeColumn(samples, Column{Field: "load_cpu_util"})
				notes = append(notes, fmt.Sprintf("%s: %s (its CPU utilisation: median %.2f)", impl, saturatedNote, u.median))
			}
			for _, v := range vars {
				row := []string{impl}
				if v != nil {
					row = append(row, v.Label)
				}
				var ratios []string
				for _, c := range sc.Columns {
					f := v.field(c.Field)
					cv := summarizeColumn(samples, Column{Field: f})
					row = append(row, formatCell(c, cv))
					if !c.Ratio {
						continue
					}
					for _, b := range bases {
						bc := base[b][f]
						if bc.n == 0 || bc.median == 0 || math.IsNaN(cv.median) {
							ratios = append(ratios, "-")
						} else {
							lo, hi, n := pairedRange(samples, baseSamples[b], f)
							ratios = append(ratios, formatRatio(cv.median/bc.median, lo, hi, n))
						}
					}
				}
				fmt.Fprintln(tw, strings.Join(append(row, ratios...), "\t")+"\t")
			}
		}
		for _, line := range absent {
			fmt.Fprintln(tw, line)
		}
		tw.Flush()
		if len(legend) > 0 {
			fmt.Fprintf(w, "  (%s)\n", strings.Join(legend, "; "))
		}
		for _, n := range notes {
			fmt.Fprintln(w, "  note: "+n)
		}
	}
	fmt.Fprintf(w, "\nrun took %.0f s\n", rep.Seconds)
}

func formatCell(c Column, v cell) string {
	if v.n == 0 {
		return "-"
	}
	if v.n == 1 || c.Format(v.lo) == c.Format(v.hi) {
		return c.Format(v.median)
	}
	return fmt.Sprintf("%s [%s-%s]", c.Format(v.median), c.Format(v.lo), c.Format(v.hi))
}
