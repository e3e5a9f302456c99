package httpbench

import (
	"context"
	"crypto/tls"
	"os"
	"testing"
	"time"

	"github.com/gale-io/gale/bench/internal/benchtest"
	"github.com/gale-io/gale/bench/internal/load"
)

// suite runs every http implementation's subtests. Two run in a child
// process: fasthttp starts a goroutine that never ends (the one refreshing
// its Date header, at its first response), which the leak check would
// report; under -race, nbio's nbhttp hands each connection from its
// accepting goroutine to a poller through epoll, which the race detector
// does not see, so it reports races inside nbhttp.
var suite = &benchtest.Suite{Mode: "http", ChildEnv: "HTTPBENCH_CHILD", Where: func(impl string) benchtest.Where {
	switch {
	case impl == "fasthttp":
		return benchtest.Child
	case impl == "nbio" && raceEnabled:
		return benchtest.NoRaceChild
	}
	return benchtest.InProcess
}}

func TestMain(m *testing.M) { os.Exit(suite.Main(m, nil)) }

func forEachImpl(t *testing.T, f func(t *testing.T, impl string)) { suite.ForEachImpl(t, f) }

func start(t *testing.T, impl string, loops int, tlsConf *tls.Config) string {
	t.Helper()
	return suite.Start(t, impl, loops, tlsConf)
}

// withTimeout shortens the servers' idle and stalled-request timeout for
// one test.
func withTimeout(t *testing.T, d time.Duration) {
	old := timeout
	timeout = d
	t.Cleanup(func() { timeout = old })
}

// runHTTP runs the load generator and returns its result, with the window
// doubled (up to three times) while no request completes in it and nothing
// failed: on a machine busy with other work a short window can pass
// without a completed request, which says nothing about the server.
func runHTTP(t *testing.T, cfg load.HTTPConfig) *load.HTTPResult {
	t.Helper()
	for attempt := 0; ; attempt++ {
		res, err := load.RunHTTP(context.Background(), cfg)
		if err != nil {
			t.Fatalf("%s %s, pipeline %d: %v", cfg.Method, cfg.Path, cfg.Pipeline, err)
		}
		if res.Requests > 0 || res.Errors > 0 || attempt == 3 {
			return res
		}
		t.Logf("no request completed in %v; again with a window twice as long", cfg.Duration)
		cfg.Duration *= 2
	}
}
