package runner

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestWSScenarios runs the ws, ws-idle and broadcast scenarios end to end,
// shortened, on gale and std (gorilla/websocket), with ratios against std.
func TestWSScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binaries")
	}
	old := wsFlags
	SetWSFlags(&WSOptions{Conns: 4, Duration: 300 * time.Millisecond, Warmup: 50 * time.Millisecond,
		IdleConns: 100, BroadcastConns: 100, BroadcastSize: 1024, Rounds: 2})
	t.Cleanup(func() { wsFlags = old })
	var out, log bytes.Buffer
	o := &Options{
		Impls: []string{"gale", "std"}, Baseline: "gnet", Scenarios: []string{"ws", "ws-idle", "broadcast"}, Reps: 1,
		NoiseLimit: 1e9, Settle: 50 * time.Millisecond, Loops: 1, ServerProcs: 1, LoadProcs: 1, Log: &log, Out: &out,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Run(ctx, o)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if len(rep.Samples) != 6 {
		t.Fatalf("%d samples, want 6\n%s", len(rep.Samples), log.String())
	}
	for _, s := range rep.Samples {
		if s.Error != "" {
			t.Fatalf("%s %s: %s", s.Scenario, s.Impl, s.Error)
		}
		var need []string
		switch s.Scenario {
		case "ws":
			need = []string{"b64.req_per_s", "b4k.req_per_s", "b64.req_per_server_cpu_s", "b4k.req_per_server_cpu_s"}
		case "ws-idle":
			need = []string{"plain.server_bytes_per_conn", "deflate.server_bytes_per_conn"}
			if s.Result.Num("deflate.deflate_conns") != 100 || s.Result.Num("plain.deflate_conns") != 0 {
				t.Errorf("ws-idle %s: deflate connections %v and %v, want 0 and 100", s.Impl,
					s.Result["plain.deflate_conns"], s.Result["deflate.deflate_conns"])
			}
		case "broadcast":
			need = []string{"last_delivery_us", "server_cpu_us"}
		}
		for _, f := range need {
			// Memory at 100 connections may not grow by a page; it must be there.
			if v := s.Result.Num(f); !(v > 0) && !(s.Scenario == "ws-idle" && v == v) {
				t.Errorf("%s %s: %s is %v", s.Scenario, s.Impl, f, s.Result[f])
			}
		}
	}
	table := out.String()
	for _, want := range []string{"64 B", "4 KiB", "deflate", "last delivery", "vs std"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}
