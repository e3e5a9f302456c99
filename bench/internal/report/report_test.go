package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gale-io/gale/bench/internal/benchtest"
	"github.com/gale-io/gale/bench/internal/runner"
)

func TestMain(m *testing.M) { os.Exit(benchtest.Main(m)) }

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func sample(sc, impl string, rep, attempt int, noisy bool, fields map[string]float64) *runner.Sample {
	r := runner.Result{}
	for k, v := range fields {
		r[k] = v
	}
	return &runner.Sample{Scenario: sc, Impl: impl, Rep: rep, Attempt: attempt, Noisy: noisy, Result: r}
}

func echo(rps, perCPU, p50, util float64) map[string]float64 {
	return map[string]float64{"req_per_s": rps, "server_cpu_s": rps * 10 / perCPU, "req_per_server_cpu_s": perCPU,
		"lat_p50_us": p50, "lat_p99_us": p50 * 2, "lat_p999_us": p50 * 3, "load_cpu_util": util,
		"other_cpu_s": 0.05, "duration_s": 10}
}

// fixture is a small fixed run: gale, gnet (whose load generator
// saturated) and std (one failed repetition), and an unavailable nbio.
func fixture() *Results {
	o := &runner.Options{
		Impls: []string{"gale", "gnet", "std", "nbio"}, Baseline: "gnet", Scenarios: []string{"echo", "idle"}, Reps: 2,
		Conns: 1000, Size: 64, Pipeline: 1, Duration: 10 * time.Second, Warmup: 2 * time.Second,
		IdleConns: 10000, Settle: time.Second, Loops: 1, ServerProcs: 1, LoadProcs: 1, ServerCPUs: "0", LoadCPUs: "1",
	}
	rep := &runner.Report{
		Started: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Seconds: 180, GoVersion: "go1.26.0", CPUs: 2,
		Pinned: true, Options: o, Unavailable: map[string]string{"echo/nbio": "nbio echo server: not built yet"},
		Samples: []*runner.Sample{
			sample("echo", "gale", 1, 1, false, echo(150000, 180000, 6500, 0.85)),
			sample("echo", "gale", 2, 1, false, echo(158000, 186000, 6300, 0.88)),
			sample("echo", "gnet", 1, 1, false, echo(140000, 150000, 7000, 0.97)),
			sample("echo", "gnet", 2, 1, true, echo(90000, 149000, 9000, 0.99)),   // disturbed,
			sample("echo", "gnet", 2, 2, false, echo(144000, 152000, 6900, 0.96)), // measured again
			sample("echo", "std", 1, 1, false, echo(120000, 125000, 8300, 0.80)),
			{Scenario: "echo", Impl: "std", Rep: 2, Attempt: 1, Error: "load generator: exit status 1"},
			sample("idle", "gale", 1, 1, false, map[string]float64{"server_bytes_per_conn": 410}),
			sample("idle", "gale", 2, 1, false, map[string]float64{"server_bytes_per_conn": 430}),
			sample("idle", "gnet", 1, 1, false, map[string]float64{"server_bytes_per_conn": 520}),
			sample("idle", "gnet", 2, 1, false, map[string]float64{"server_bytes_per_conn": 500}),
			sample("idle", "std", 1, 1, false, map[string]float64{"server_bytes_per_conn": 8200}),
			sample("idle", "std", 2, 1, false, map[string]float64{"server_bytes_per_conn": 8400}),
		},
	}
	return &Results{
		Machine: Machine{GOOS: "linux", GOARCH: "amd64", CPUs: 2, CPUModel: "Test CPU @ 2.00GHz", Kernel: "6.1.0",
			NoFileSoft: 20000, NoFileHard: 20000},
		GoVersion: rep.GoVersion, Commit: "0123456789abcdef0123456789abcdef01234567",
		Started: rep.Started, Seconds: rep.Seconds, Pinned: true, Config: o, Unavailable: rep.Unavailable,
		Summary: runner.Summarize(rep), Samples: rep.Samples,
	}
}

func TestJSONShape(t *testing.T) {
	res := fixture()
	dir := t.TempDir()
	files, err := Write(dir, res, []byte("the table\n"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	if want := []string{"results.json", "table.txt", "echo.svg", "idle.svg"}; !slices.Equal(names, want) {
		t.Errorf("files %v, want %v", names, want)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "table.txt")); string(b) != "the table\n" {
		t.Errorf("table.txt: %q", b)
	}
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	get := func(path string) any {
		var v any = doc
		for _, k := range strings.Split(path, ".") {
			switch x := v.(type) {
			case map[string]any:
				v = x[k]
			case []any:
				var i int
				if _, err := fmtSscan(k, &i); err != nil || i >= len(x) {
					return nil
				}
				v = x[i]
			default:
				return nil
			}
		}
		return v
	}
	for path, want := range map[string]any{
		"machine.goos":                                   "linux",
		"machine.goarch":                                 "amd64",
		"machine.cpus":                                   2.0,
		"machine.cpu_model":                              "Test CPU @ 2.00GHz",
		"machine.kernel":                                 "6.1.0",
		"machine.rlimit_nofile_soft":                     20000.0,
		"machine.rlimit_nofile_hard":                     20000.0,
		"go_version":                                     "go1.26.0",
		"commit":                                         "0123456789abcdef0123456789abcdef01234567",
		"started":                                        "2025-01-02T03:04:05Z",
		"pinned":                                         true,
		"config.Reps":                                    2.0,
		"config.Conns":                                   1000.0,
		"config.Duration":                                1e10,
		"config.Baseline":                                "gnet",
		"unavailable.echo/nbio":                          "nbio echo server: not built yet",
		"summary.0.scenario":                             "echo",
		"summary.0.columns.0.field":                      "req_per_s",
		"summary.0.impls.1.impl":                         "gnet",
		"summary.0.impls.1.samples":                      2.0,
		"summary.0.impls.1.load_saturated":               true,
		"summary.0.impls.0.load_saturated":               false,
		"summary.0.impls.1.stats.req_per_s.median":       142000.0, // the retry replaced the disturbed attempt
		"summary.0.impls.1.stats.req_per_s.min":          140000.0,
		"summary.0.impls.1.stats.req_per_s.max":          144000.0,
		"summary.0.impls.1.stats.lat_p999_us.n":          2.0,
		"summary.0.impls.0.ratios.req_per_server_cpu_s":  183000.0 / 151000.0,
		"summary.0.impls.2.failed":                       1.0,
		"summary.0.impls.3.unavailable":                  "nbio echo server: not built yet",
		"summary.1.scenario":                             "idle",
		"summary.1.impls.2.ratios.server_bytes_per_conn": 8300.0 / 510.0,
		"samples.3.noisy":                                true,
		"samples.6.error":                                "load generator: exit status 1",
		"samples.12.result.server_bytes_per_conn":        8400.0,
	} {
		if got := get(path); got != want {
			t.Errorf("%s = %v (%T), want %v", path, got, got, want)
		}
	}
	if n := len(doc["samples"].([]any)); n != len(res.Samples) {
		t.Errorf("%d samples in the JSON, want every attempt: %d", n, len(res.Samples))
	}
	if _, err := Write("", res, nil); err == nil {
		t.Error("Write with no directory succeeded")
	}
}

// TestSVGGolden renders the fixture's charts and compares them with
// testdata/*.svg (go test -run SVGGolden -update rewrites them).
func TestSVGGolden(t *testing.T) {
	for _, c := range Charts(fixture()) {
		got := c.SVG()
		if !bytes.Equal(got, c.SVG()) {
			t.Errorf("%s: two renderings differ", c.Name)
		}
		path := filepath.Join("testdata", c.Name+".svg")
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run SVGGolden -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (go test -run SVGGolden -update rewrites it, then review the diff):\n%s",
				c.Name, path, got)
		}
	}
}

func TestChartContent(t *testing.T) {
	charts := Charts(fixture())
	if len(charts) != 2 || charts[0].Name != "echo" || charts[1].Name != "idle" {
		t.Fatalf("charts %+v", charts)
	}
	svg := string(charts[0].SVG())
	for _, want := range []string{
		"<title>gale bench: echo</title>", "req/s", "req/server-CPU-s", "p50", "p99", "p999",
		"gnet: load generator saturated (CPU utilisation 0.96): compare req/server-CPU-s, not req/s",
		"nbio: not available (nbio echo server: not built yet)",
		">n/a<", // nbio's missing bars
		"<title>gnet req/s: 142K [140K-144K]</title>",
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("echo.svg lacks %q", want)
		}
	}
	if strings.Contains(svg, "gale: load generator saturated") {
		t.Error("gale flagged as saturated at 0.865")
	}
	idle := string(charts[1].SVG())
	if !strings.Contains(idle, "memory per idle connection") || !strings.Contains(idle, "8.11 KiB") {
		t.Errorf("idle.svg:\n%s", idle)
	}
	if err := xmlWellFormed(svg); err != nil {
		t.Errorf("echo.svg is not well-formed XML: %v", err)
	}
}

func TestScale(t *testing.T) {
	for _, tc := range []struct{ hi, step, top float64 }{
		{0, 1, 5}, {1, 0.25, 1.25}, {158000, 50000, 200000}, {430, 100, 500}, {8400, 2000, 10000},
	} {
		if step, top := scale(tc.hi); step != tc.step || top != tc.top {
			t.Errorf("scale(%v) = %v, %v; want %v, %v", tc.hi, step, top, tc.step, tc.top)
		}
	}
	for v, want := range map[float64]string{0: "0", 950: "950", 1500: "1.5K", 150000: "150K", 2.5e6: "2.5M"} {
		if got := fmtCount(v); got != want {
			t.Errorf("fmtCount(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestThisMachine(t *testing.T) {
	m := ThisMachine()
	if m.GOOS == "" || m.GOARCH == "" || m.CPUs < 1 {
		t.Errorf("%+v", m)
	}
	if c := Commit(t.TempDir() + "/bench"); c != "unknown" {
		t.Errorf("commit outside a repository: %q", c)
	}
}

// httpFixture is a small http run: variants plain and pipelined, ratios
// against fasthttp and std, gale not available.
func httpFixture() *Results {
	o := &runner.Options{
		Impls: []string{"gale", "fasthttp", "gnet", "std"}, Baseline: "gnet", Scenarios: []string{"http"}, Reps: 2,
		Duration: 10 * time.Second, Warmup: 2 * time.Second, HTTP: runner.HTTPOptions{Conns: 128, Pipeline: 16},
		Loops: 1, ServerProcs: 1, LoadProcs: 1, ServerCPUs: "0", LoadCPUs: "1",
	}
	variant := func(perCPU, p99 float64) map[string]float64 {
		return map[string]float64{"req_per_s": perCPU * 0.9, "req_per_server_cpu_s": perCPU, "lat_p99_us": p99,
			"server_cpu_s": 9, "load_cpu_util": 0.6, "other_cpu_s": 0.05, "duration_s": 10}
	}
	http := func(impl string, rep int, plain, piped float64) *runner.Sample {
		r := runner.Result{}
		for k, v := range variant(plain, 2000) {
			r["plain."+k] = v
		}
		for k, v := range variant(piped, 9000) {
			r["pipelined."+k] = v
		}
		r["duration_s"], r["other_cpu_s"], r["load_cpu_util"] = 20.0, 0.1, 0.6
		return &runner.Sample{Scenario: "http", Impl: impl, Rep: rep, Attempt: 1, Result: r}
	}
	rep := &runner.Report{
		Started: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Seconds: 100, GoVersion: "go1.26.0", CPUs: 2,
		Pinned: true, Options: o, Unavailable: map[string]string{"http/gale": "gale http server: not built yet"},
		Samples: []*runner.Sample{
			http("fasthttp", 1, 180000, 700000), http("fasthttp", 2, 190000, 720000),
			http("gnet", 1, 210000, 900000), http("gnet", 2, 205000, 880000),
			http("std", 1, 60000, 95000), http("std", 2, 62000, 97000),
		},
	}
	return &Results{
		Machine:   Machine{GOOS: "linux", GOARCH: "amd64", CPUs: 2, CPUModel: "Test CPU @ 2.00GHz", Kernel: "6.1.0"},
		GoVersion: rep.GoVersion, Commit: "0123456789abcdef0123456789abcdef01234567",
		Started: rep.Started, Seconds: rep.Seconds, Pinned: true, Config: o, Unavailable: rep.Unavailable,
		Summary: runner.Summarize(rep), Samples: rep.Samples,
	}
}

func TestHTTPChart(t *testing.T) {
	res := httpFixture()
	charts := Charts(res)
	if len(charts) != 1 || charts[0].Name != "http" || len(charts[0].Panels) != 3 {
		t.Fatalf("charts %+v", charts)
	}
	got := charts[0].SVG()
	path := filepath.Join("testdata", "http.svg")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	} else if want, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
		t.Errorf("http.svg differs from %s (go test -run HTTPChart -update rewrites it): %v", path, err)
	}
	svg := string(got)
	for _, want := range []string{"requests per server CPU-second", "plain", "pipelined",
		"gale: not available (gale http server: not built yet)", "<title>gnet pipelined: 890K [880K-900K]</title>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("http.svg lacks %q", want)
		}
	}
	if err := xmlWellFormed(svg); err != nil {
		t.Errorf("http.svg is not well-formed XML: %v", err)
	}
	ss := res.Summary[0]
	if fh := ss.Impls[1]; fh.Impl != "fasthttp" || fh.RatiosVs["std"]["plain.req_per_server_cpu_s"] != 185000.0/61000 {
		t.Errorf("fasthttp ratios vs std: %+v", fh.RatiosVs)
	}
}
