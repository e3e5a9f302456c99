package runner

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

const wrkOutput = `Running 2s test @ http://127.0.0.1:38679/plaintext
  1 threads and 128 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    28.03ms   26.41ms 190.99ms   86.09%
    Req/Sec    79.90k    30.67k  149.57k    65.00%
  Latency Distribution
     50%   20.38ms
     75%   36.47ms
     90%   63.02ms
     99%  124.58ms
  159464 requests in 2.02s, 20.23MB read
  Non-2xx or 3xx responses: 3
  Socket errors: connect 0, read 2, write 0, timeout 1
Requests/sec:  79051.02
Transfer/sec:     10.03MB
`

func TestParseWrk(t *testing.T) {
	ws, err := parseWrk([]byte(wrkOutput))
	if err != nil {
		t.Fatal(err)
	}
	if ws.requests != 159464 || ws.seconds != 2.02 || ws.p50 != 20380 || ws.p99 != 124580 || ws.errors != 6 ||
		!strings.Contains(ws.errorText, "3 non-2xx responses; socket errors: connect 0, read 2, write 0, timeout 1") {
		t.Fatalf("%+v", ws)
	}
	clean := strings.Replace(strings.Replace(wrkOutput, "  Non-2xx or 3xx responses: 3\n", "", 1),
		"  Socket errors: connect 0, read 2, write 0, timeout 1\n", "", 1)
	clean = strings.Replace(clean, "99%  124.58ms", "99%  812.00us", 1)
	if ws, err := parseWrk([]byte(clean)); err != nil || ws.errors != 0 || ws.p99 != 812 {
		t.Fatalf("%+v, %v", ws, err)
	}
	if _, err := parseWrk([]byte("unable to connect to 127.0.0.1:1 Connection refused\n")); err == nil {
		t.Fatal("no error for wrk's failure")
	}
}

// TestRunWrk drives the http scenario with wrk, when it is installed.
func TestRunWrk(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk is not installed")
	}
	var out, log bytes.Buffer
	o := &Options{
		Impls: []string{"std"}, Baseline: "std", Scenarios: []string{"http"}, Reps: 1, NoiseLimit: 1e9,
		Duration: time.Second, HTTP: HTTPOptions{Conns: 8, Pipeline: 4, Load: "wrk"},
		Loops: 1, ServerProcs: 1, LoadProcs: 1, Log: &log, Out: &out,
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := Run(ctx, o)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if len(rep.Samples) != 1 || rep.Samples[0].Error != "" {
		t.Fatalf("samples %+v\n%s", rep.Samples, log.String())
	}
	r := rep.Samples[0].Result
	if r["plain.load"] != "wrk" || r.Num("plain.requests") <= 0 || r.Num("pipelined.pipeline") != 4 ||
		!(r.Num("pipelined.req_per_server_cpu_s") > 0) || !strings.Contains(out.String(), "driven by wrk") {
		t.Fatalf("%v\n%s", r, out.String())
	}
}

func TestHTTPOptionsCheck(t *testing.T) {
	if err := (&HTTPOptions{Load: "ab"}).check(true); err == nil {
		t.Error("-http-load ab accepted")
	}
	if err := (&HTTPOptions{}).check(true); err != nil {
		t.Error(err)
	}
}
