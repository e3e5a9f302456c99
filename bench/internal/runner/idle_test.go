package runner

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestIdleLimits(t *testing.T) {
	o := &Options{IdleConns: 100000, Idle: IdleOptions{Servers: 6, Loaders: 8}}
	if err := idleLimits(o, 20000, 28232, 2466177, 20<<30); err != nil {
		t.Fatalf("100,000 over 6+8 processes: %v", err)
	}
	// 16,667 per source address is over the 14,116 even ports connect()
	// takes first: such a run stalled at ~14,100 per address and timed out.
	o.Idle = IdleOptions{Servers: 6, Loaders: 6}
	if err := idleLimits(o, 20000, 28232, 2466177, 20<<30); err == nil ||
		!strings.Contains(err.Error(), "use -idle-loaders >= 8") || !strings.Contains(err.Error(), "ip_local_port_range") {
		t.Errorf("100,000 over 6+6 processes: %v", err)
	}
	o.Idle = IdleOptions{Servers: 5, Loaders: 3}
	err := idleLimits(o, 20000, 28232, 2466177, 20<<30)
	for _, want := range []string{
		"RLIMIT_NOFILE (hard limit 20000 per process): use -idle-servers >= 6",
		"use -idle-loaders >= 6",
		"use -idle-loaders >= 8, or widen the range",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	o.Idle = IdleOptions{Servers: 6, Loaders: 6}
	if err := idleLimits(o, 20000, 28232, 100000, 1<<30); err == nil ||
		!strings.Contains(err.Error(), "fs.file-max") || !strings.Contains(err.Error(), "memory:") {
		t.Errorf("file-max and memory: %v", err)
	}
}

// TestIdleMultiProcess runs the idle scenario end to end with two server
// processes on one port and two load processes from two source addresses.
func TestIdleMultiProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	var out, log bytes.Buffer
	o := &Options{
		Impls: []string{"gale", "gnet"}, Baseline: "gnet", Scenarios: []string{"idle"}, Reps: 1, NoiseLimit: 1e9,
		Size: 64, IdleConns: 200, Settle: 50 * time.Millisecond,
		Idle:  IdleOptions{Servers: 2, Loaders: 2, Hold: 300 * time.Millisecond, Keepalive: 100 * time.Millisecond, Probe: 10 * time.Millisecond},
		Loops: 1, ServerProcs: 1, LoadProcs: 1, Log: &log, Out: &out,
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := Run(ctx, o)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if len(rep.Samples) != 2 {
		t.Fatalf("%d samples:\n%s", len(rep.Samples), log.String())
	}
	for _, s := range rep.Samples {
		r := s.Result
		if s.Error != "" {
			t.Errorf("%s: %s", s.Impl, s.Error)
			continue
		}
		if r.Num("server_procs") != 2 || r.Num("load_procs") != 2 || r.Num("conns") != 200 || r.Num("errors") != 0 {
			t.Errorf("%s: %v", s.Impl, r)
		}
		if r.Num("keepalive_sent") < 400 || r.Num("keepalive_failures") != 0 {
			t.Errorf("%s: keep-alives %v sent, %v failed", s.Impl, r["keepalive_sent"], r["keepalive_failures"])
		}
		if r.Num("probe_requests") < 10 || !(r.Num("probe_p99_us") > 0) || !(r.Num("server_bytes_per_conn") > 0) ||
			r.Num("server_threads") < 2 {
			t.Errorf("%s: probe, memory or threads missing: %v", s.Impl, r)
		}
		// Both servers took connections: each has more than its few own descriptors.
		fds, _ := r["server_open_fds"].([]any)
		if len(fds) != 2 {
			t.Errorf("%s: server_open_fds %v", s.Impl, r["server_open_fds"])
		}
		for _, f := range fds {
			if f.(float64) < 30 {
				t.Errorf("%s: a server holds only %v descriptors: SO_REUSEPORT did not spread the connections", s.Impl, f)
			}
		}
	}
	if !strings.Contains(out.String(), "2 server and 2 load processes") || !strings.Contains(out.String(), "probe p99") {
		t.Errorf("table:\n%s", out.String())
	}
}
