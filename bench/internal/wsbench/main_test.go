package wsbench

import (
	"crypto/tls"
	"os"
	"testing"

	"github.com/gale-io/gale/bench/internal/benchtest"
)

// suite runs every ws implementation's subtests; under -race, nbio's in a
// child process built without the race detector: nbhttp hands each
// connection from its accepting goroutine to a poller through epoll, which
// the race detector cannot see, so it reports races inside nbhttp (as in
// internal/httpbench).
var suite = &benchtest.Suite{Mode: "ws", ChildEnv: "WSBENCH_CHILD", Where: func(impl string) benchtest.Where {
	if impl == "nbio" && raceEnabled {
		return benchtest.NoRaceChild
	}
	return benchtest.InProcess
}}

func TestMain(m *testing.M) { os.Exit(suite.Main(m, ReleaseNBIODefault)) }

func forEachImpl(t *testing.T, f func(t *testing.T, impl string)) { suite.ForEachImpl(t, f) }

func start(t *testing.T, impl string, loops int, tlsConf *tls.Config) string {
	t.Helper()
	return suite.Start(t, impl, loops, tlsConf)
}

// withCompress sets Compress for one test.
func withCompress(t *testing.T, on bool) {
	old := Compress
	Compress = on
	t.Cleanup(func() { Compress = old })
}
