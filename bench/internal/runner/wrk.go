package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gale-io/gale/bench/internal/procstat"
)

// wrkRun is one wrk measurement of an http server.
type wrkRun struct {
	conns, depth int
	path         string
	timeout      time.Duration
}

// wrkPipeline is the Lua script that makes wrk pipeline: every connection
// writes depth requests (wrk's default request for the URL) back to back,
// and wrk waits for as many responses before the next batch.
const wrkPipeline = `-- gale bench: pipelining for wrk. Usage: wrk -s this.lua URL -- DEPTH
init = function(args)
  local depth = tonumber(args[1]) or 1
  local batch = {}
  for i = 1, depth do
    batch[i] = wrk.format()
  end
  req = table.concat(batch)
end

request = function()
  return req
end
`

// runWrk measures srv with wrk, as an alternative to cmd/load for http:
// a warmup run (when the warmup is 1 s or more; wrk counts whole seconds),
// then the measured run, with the server's CPU time and the machine's busy
// time read around it. wrk checks no bodies; its non-2xx responses and
// socket errors are the errors. Its result has the load generator's field
// names, and "load": "wrk".
func runWrk(ctx context.Context, o *Options, pin pinSpec, srv *serverProc, w wrkRun) (Result, error) {
	bin, err := exec.LookPath("wrk")
	if err != nil {
		return nil, err
	}
	threads := max(1, min(o.LoadProcs, w.conns))
	scheme := "http"
	if o.TLS {
		scheme = "https"
	}
	url := scheme + "://" + srv.addr + w.path
	var script string
	if w.depth > 1 {
		dir, err := os.MkdirTemp("", "gale-bench-wrk-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		script = filepath.Join(dir, "pipeline.lua")
		if err := os.WriteFile(script, []byte(wrkPipeline), 0o644); err != nil {
			return nil, err
		}
	}
	args := func(d time.Duration) []string {
		a := []string{"-t", strconv.Itoa(threads), "-c", strconv.Itoa(w.conns),
			"-d", strconv.Itoa(max(1, int(d.Round(time.Second)/time.Second))) + "s", "--latency"}
		if script != "" {
			a = append(a, "-s", script)
		}
		a = append(a, url)
		if script != "" {
			a = append(a, "--", strconv.Itoa(w.depth))
		}
		return a
	}
	if o.Warmup >= time.Second {
		if _, _, err := runWrkOnce(ctx, pin, o, bin, args(o.Warmup), w.timeout); err != nil {
			return nil, fmt.Errorf("wrk warmup: %w", err)
		}
	}

	pid := srv.cmd.Process.Pid
	s0, err := procstat.Read(pid)
	if err != nil {
		return nil, err
	}
	m0, _ := procstat.MachineBusy()
	began := time.Now()
	out, loadCPU, err := runWrkOnce(ctx, pin, o, bin, args(o.Duration), w.timeout)
	wall := time.Since(began)
	if err != nil {
		return nil, err
	}
	s1, err := procstat.Read(pid)
	if err != nil {
		return nil, err
	}
	m1, _ := procstat.MachineBusy()
	ws, err := parseWrk(out)
	if err != nil {
		return nil, err
	}
	serverCPU := (s1.CPU - s0.CPU).Seconds()
	res := Result{
		"mode": "http", "load": "wrk", "addr": srv.addr, "path": w.path,
		"conns": float64(w.conns), "pipeline": float64(w.depth), "load_threads": float64(threads),
		"duration_s": ws.seconds, "requests": ws.requests, "req_per_s": ws.requests / ws.seconds,
		"lat_p50_us": ws.p50, "lat_p99_us": ws.p99, "errors": ws.errors,
		"server_pid": float64(pid), "server_cpu_s": serverCPU, "server_cpu_util": serverCPU / wall.Seconds(),
		"load_cpu_s": loadCPU.Seconds(), "load_cpus": float64(threads),
		"load_cpu_util":        loadCPU.Seconds() / wall.Seconds() / float64(threads),
		"server_rss_end_bytes": float64(s1.RSS), "server_threads": float64(s1.Threads),
	}
	if m1 > 0 {
		res["other_cpu_s"] = max(0, (m1-m0).Seconds()-serverCPU-loadCPU.Seconds())
	}
	if serverCPU > 0 {
		res["req_per_server_cpu_s"] = ws.requests / serverCPU
	}
	if ws.errors > 0 {
		res["error"] = ws.errorText
		return res, fmt.Errorf("wrk: %s", ws.errorText)
	}
	return res, nil
}

// runWrkOnce runs wrk pinned as the load generator is, and returns its
// output and CPU time.
func runWrkOnce(ctx context.Context, pin pinSpec, o *Options, bin string, args []string, timeout time.Duration) ([]byte, time.Duration, error) {
	cmd := pin.command(o.LoadCPUs, o.LoadProcs, bin, args...)
	var stdout bytes.Buffer
	stderr := new(tail)
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			return nil, 0, fmt.Errorf("wrk: %v: %s", err, strings.TrimSpace(stderr.String()+stdout.String()))
		}
	case <-timer.C:
		cmd.Process.Kill()
		<-done
		return nil, 0, fmt.Errorf("wrk still running after %v; killed", timeout)
	case <-ctx.Done():
		cmd.Process.Signal(syscall.SIGTERM)
		<-done
		return nil, 0, ctx.Err()
	}
	st := cmd.ProcessState
	return stdout.Bytes(), st.UserTime() + st.SystemTime(), nil
}

// wrkStats is what runWrk reads from wrk's report.
type wrkStats struct {
	requests, seconds float64
	p50, p99          float64 // µs
	errors            float64
	errorText         string
}

var (
	wrkTotal   = regexp.MustCompile(`(?m)^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),`)
	wrkPct     = regexp.MustCompile(`(?m)^\s*(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s|m|h)\s*$`)
	wrkNon2xx  = regexp.MustCompile(`(?m)^\s*Non-2xx or 3xx responses: (\d+)`)
	wrkSockets = regexp.MustCompile(`(?m)^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// parseWrk reads wrk's report (run with --latency).
func parseWrk(out []byte) (wrkStats, error) {
	var ws wrkStats
	m := wrkTotal.FindSubmatch(out)
	if m == nil {
		return ws, fmt.Errorf("wrk: no \"N requests in T\" line in its output:\n%s", out)
	}
	ws.requests, _ = strconv.ParseFloat(string(m[1]), 64)
	ws.seconds = wrkDuration(m[2], m[3]) / 1e6
	for _, m := range wrkPct.FindAllSubmatch(out, -1) {
		v := wrkDuration(m[2], m[3])
		if string(m[1]) == "50" {
			ws.p50 = v
		} else {
			ws.p99 = v
		}
	}
	if ws.p99 == 0 {
		return ws, errors.New("wrk: no latency distribution in its output (run with --latency)")
	}
	var what []string
	if m := wrkNon2xx.FindSubmatch(out); m != nil {
		n, _ := strconv.ParseFloat(string(m[1]), 64)
		ws.errors += n
		what = append(what, fmt.Sprintf("%s non-2xx responses", m[1]))
	}
	if m := wrkSockets.FindSubmatch(out); m != nil {
		var sum float64
		for _, x := range m[1:] {
			n, _ := strconv.ParseFloat(string(x), 64)
			sum += n
		}
		if sum > 0 {
			ws.errors += sum
			what = append(what, fmt.Sprintf("socket errors: connect %s, read %s, write %s, timeout %s", m[1], m[2], m[3], m[4]))
		}
	}
	ws.errorText = strings.Join(what, "; ")
	return ws, nil
}

// wrkDuration converts one of wrk's durations to microseconds.
func wrkDuration(num, unit []byte) float64 {
	v, _ := strconv.ParseFloat(string(num), 64)
	switch string(unit) {
	case "ms":
		v *= 1e3
	case "s":
		v *= 1e6
	case "m":
		v *= 60e6
	case "h":
		v *= 3600e6
	}
	return v
}
