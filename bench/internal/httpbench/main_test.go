package httpbench

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gale-io/gale/bench/internal/benchtest"
	"github.com/gale-io/gale/bench/internal/load"
	"github.com/gale-io/gale/bench/internal/server"
)

// childEnv names the one implementation a child process of the tests
// runs the tests of (forEachImpl).
const childEnv = "HTTPBENCH_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		// No leak check in a child: see forEachImpl.
		os.Exit(m.Run())
	}
	code := benchtest.Main(m)
	if noRaceDir != "" {
		os.RemoveAll(noRaceDir)
	}
	os.Exit(code)
}

// forEachImpl runs f as a subtest for every registered http
// implementation. Two run in a child process, which runs the same subtest
// and nothing else:
//
//   - fasthttp starts a goroutine that never ends (the one refreshing its
//     Date header, at its first response), which the leak check would
//     report: its child is this test binary, without the leak check;
//   - nbio's nbhttp hands each connection from its accepting goroutine to
//     a poller through epoll, which the race detector does not see, so it
//     reports races inside nbhttp: under -race, nbio's child is this
//     package's tests built without the race detector (go test -c).
func forEachImpl(t *testing.T, f func(t *testing.T, impl string)) {
	only := os.Getenv(childEnv)
	for _, impl := range server.Impls("http") {
		t.Run(impl, func(t *testing.T) {
			switch {
			case only != "" && impl != only:
				t.Skipf("this child process runs %s only", only)
			case only == "" && impl == "fasthttp":
				runInChild(t, impl, os.Args[0])
			case only == "" && impl == "nbio" && raceEnabled:
				runInChild(t, impl, noRaceBinary(t))
			default:
				f(t, impl)
			}
		})
	}
}

var (
	noRaceOnce sync.Once
	noRaceDir  string // removed by TestMain
	noRaceBin  string
	noRaceErr  error
)

// noRaceBinary builds this package's tests without the race detector,
// once per test binary.
func noRaceBinary(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the tests without -race with")
	}
	noRaceOnce.Do(func() {
		if noRaceDir, noRaceErr = os.MkdirTemp("", "httpbench-norace-"); noRaceErr != nil {
			return
		}
		noRaceBin = filepath.Join(noRaceDir, "httpbench.test")
		if out, err := exec.Command(goBin, "test", "-c", "-o", noRaceBin, ".").CombinedOutput(); err != nil {
			noRaceErr = fmt.Errorf("go test -c: %v\n%s", err, out)
		}
	})
	if noRaceErr != nil {
		t.Fatal(noRaceErr)
	}
	return noRaceBin
}

// runInChild runs the current subtest (Test/impl) in a child process
// running the test binary bin.
func runInChild(t *testing.T, impl, bin string) {
	t.Helper()
	var pattern []string
	for _, part := range strings.Split(t.Name(), "/") {
		pattern = append(pattern, "^"+regexp.QuoteMeta(part)+"$")
	}
	args := []string{"-test.run=" + strings.Join(pattern, "/"), "-test.count=1", "-test.v"}
	if d, ok := t.Deadline(); ok {
		args = append(args, "-test.timeout="+time.Until(d).Round(time.Second).String())
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), childEnv+"="+impl)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s in a child process: %v\n%s", t.Name(), err, out)
	}
	switch {
	case bytes.Contains(out, []byte("--- PASS: "+t.Name())):
	case bytes.Contains(out, []byte("--- SKIP: "+t.Name())):
		t.Skipf("skipped in the child process:\n%s", out)
	default:
		t.Fatalf("%s did not run in the child process:\n%s", t.Name(), out)
	}
}

// start starts impl on 127.0.0.1:0, or skips the test when it is not built
// yet (or lacks TLS, when tlsConf is set), and stops it when the test ends.
func start(t *testing.T, impl string, loops int, tlsConf *tls.Config) string {
	t.Helper()
	srv, err := server.New("http", impl)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Start(server.Config{Addr: "127.0.0.1:0", Loops: loops, TLS: tlsConf})
	switch {
	case errors.Is(err, server.ErrNotBuilt), tlsConf != nil && errors.Is(err, server.ErrNoTLS):
		t.Skipf("%s: %v", impl, err)
	case err != nil:
		t.Fatalf("%s: %v", impl, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Stop(ctx); err != nil {
			t.Errorf("%s: stop: %v", impl, err)
		}
	})
	if tcp, ok := addr.(*net.TCPAddr); !ok || tcp.Port == 0 || !tcp.IP.IsLoopback() {
		t.Fatalf("%s: listening on %v, want 127.0.0.1 and a real port", impl, addr)
	}
	return addr.String()
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
