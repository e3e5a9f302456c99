// Package report writes a benchmark run's results folder: results.json
// (the machine, Go version, gale commit, the run's options, every sample
// and the table's medians and ratios), table.txt (the table the runner
// printed) and one hand-written SVG chart per scenario.
package report
