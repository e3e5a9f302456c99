package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gale-io/gale/bench/internal/runner"
)

// Results is results.json: everything a run measured, with where and how.
type Results struct {
	Machine   Machine   `json:"machine"`
	GoVersion string    `json:"go_version"`
	Commit    string    `json:"commit"` // gale's git commit, or "unknown"
	Started   time.Time `json:"started"`
	Seconds   float64   `json:"seconds"`
	Pinned    bool      `json:"pinned"`
	// Config is the run's options (durations in nanoseconds).
	Config *runner.Options `json:"config"`
	// Unavailable maps an implementation to why it could not be measured.
	Unavailable map[string]string `json:"unavailable,omitempty"`
	// Summary is the table as data: per scenario and implementation, the
	// median, min and max of every result field over the repetitions, and
	// the ratios against the baseline.
	Summary []*runner.ScenarioSummary `json:"summary"`
	// Samples is every attempt of every sample, disturbed and failed ones
	// included, with the load generator's full result line.
	Samples []*runner.Sample `json:"samples"`
}

// New gathers a run's results with this machine's description and the
// commit of the repository holding benchDir.
func New(rep *runner.Report, benchDir string) *Results {
	return &Results{
		Machine: ThisMachine(), GoVersion: rep.GoVersion, Commit: Commit(benchDir),
		Started: rep.Started.UTC(), Seconds: rep.Seconds, Pinned: rep.Pinned,
		Config: rep.Options, Unavailable: rep.Unavailable,
		Summary: runner.Summarize(rep), Samples: rep.Samples,
	}
}

// Write creates dir and writes results.json, table.txt (when table is
// not nil) and one SVG chart per scenario into it. It returns the files
// written.
func Write(dir string, res *Results, table []byte) ([]string, error) {
	if dir == "" {
		return nil, errors.New("report: no directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var files []string
	put := func(name string, b []byte) error {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
		files = append(files, p)
		return nil
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if err := put("results.json", append(b, '\n')); err != nil {
		return files, err
	}
	if table != nil {
		if err := put("table.txt", table); err != nil {
			return files, err
		}
	}
	for _, c := range Charts(res) {
		if err := put(c.Name+".svg", c.SVG()); err != nil {
			return files, err
		}
	}
	return files, nil
}
