package wsbench

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
	"github.com/gale-io/gale/bench/internal/server"
)

// childEnv names the one implementation a child process of the tests
// runs the tests of (forEachImpl).
const childEnv = "WSBENCH_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(m.Run())
	}
	ReleaseNBIODefault()
	code := benchtest.Main(m)
	if noRaceDir != "" {
		os.RemoveAll(noRaceDir)
	}
	os.Exit(code)
}

// forEachImpl runs f as a subtest for every registered ws implementation.
// Under -race, nbio runs in a child process, this package's tests built
// without the race detector: nbhttp hands each connection from its
// accepting goroutine to a poller through epoll, which the race detector
// cannot see, so it reports races inside nbhttp (as in internal/httpbench).
func forEachImpl(t *testing.T, f func(t *testing.T, impl string)) {
	only := os.Getenv(childEnv)
	for _, impl := range server.Impls("ws") {
		t.Run(impl, func(t *testing.T) {
			switch {
			case only != "" && impl != only:
				t.Skipf("this child process runs %s only", only)
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
		if noRaceDir, noRaceErr = os.MkdirTemp("", "wsbench-norace-"); noRaceErr != nil {
			return
		}
		noRaceBin = filepath.Join(noRaceDir, "wsbench.test")
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

// start starts impl on 127.0.0.1:0 (skipping the test when it is not
// built, or lacks TLS when tlsConf is set) and stops it when the test
// ends.
func start(t *testing.T, impl string, loops int, tlsConf *tls.Config) string {
	t.Helper()
	srv, err := server.New("ws", impl)
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

// withCompress sets Compress for one test.
func withCompress(t *testing.T, on bool) {
	old := Compress
	Compress = on
	t.Cleanup(func() { Compress = old })
}
