package benchtest

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

	"github.com/gale-io/gale/bench/internal/server"
)

// Where says where an implementation's subtests run (Suite.Where).
type Where int

const (
	// InProcess: in the test binary itself, under the leak check.
	InProcess Where = iota
	// Child: in a child process running this same test binary, without
	// the leak check (for a peer whose package starts a goroutine that
	// never ends, such as fasthttp's Date refresher).
	Child
	// NoRaceChild: in a child process running the package's tests built
	// without the race detector (for a peer the race detector cannot
	// follow, such as nbio's nbhttp, which hands each connection from its
	// accepting goroutine to a poller through epoll). Meant for -race
	// runs only: Where decides.
	NoRaceChild
)

// Suite is the test harness of a bench package serving one mode: each
// registered implementation of the mode as a subtest, some in a child
// process, and servers started on loopback for the duration of a test.
//
//	var suite = &benchtest.Suite{Mode: "ws", ChildEnv: "WSBENCH_CHILD", Where: ...}
//	func TestMain(m *testing.M) { os.Exit(suite.Main(m, nil)) }
type Suite struct {
	// Mode is the server mode (server.Impls, server.New).
	Mode string
	// ChildEnv names the environment variable that tells a child process
	// which implementation it runs the subtest of.
	ChildEnv string
	// Where says where impl's subtests run; nil runs them all in process.
	Where func(impl string) Where

	noRace Binary // the package's tests without -race; removed by Main
}

// Main runs the tests: in a child process as they are, otherwise after
// before (if any) and under the leak check (see the package's Main). It
// returns the exit code.
func (s *Suite) Main(m *testing.M, before func()) int {
	if os.Getenv(s.ChildEnv) != "" {
		return m.Run()
	}
	if before != nil {
		before()
	}
	code := Main(m)
	s.noRace.Remove()
	return code
}

// ForEachImpl runs f as a subtest for every registered implementation of
// the mode, where s.Where says. A child process runs the same subtest and
// nothing else.
func (s *Suite) ForEachImpl(t *testing.T, f func(t *testing.T, impl string)) {
	only := os.Getenv(s.ChildEnv)
	for _, impl := range server.Impls(s.Mode) {
		t.Run(impl, func(t *testing.T) {
			where := InProcess
			if s.Where != nil && only == "" {
				where = s.Where(impl)
			}
			switch {
			case only != "" && impl != only:
				t.Skipf("this child process runs %s only", only)
			case where == Child:
				s.runInChild(t, impl, os.Args[0])
			case where == NoRaceChild:
				s.noRace.Name, s.noRace.Test = s.Mode+"bench.test", true
				s.runInChild(t, impl, s.noRace.Build(t))
			default:
				f(t, impl)
			}
		})
	}
}

// runInChild runs the current subtest (Test/impl) in a child process
// running the test binary bin.
func (s *Suite) runInChild(t *testing.T, impl, bin string) {
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
	cmd.Env = append(os.Environ(), s.ChildEnv+"="+impl)
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

// Start starts impl on 127.0.0.1:0 with loops loops, or skips the test
// when it is not built yet (or lacks TLS, when tlsConf is set), and stops
// it when the test ends. It returns the address.
func (s *Suite) Start(t *testing.T, impl string, loops int, tlsConf *tls.Config) string {
	t.Helper()
	srv, err := server.New(s.Mode, impl)
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

// Binary is the command in the current directory (a cmd/ package under
// test), or the package's tests, built once per test binary for tests that
// run it as a process:
//
//	var bin = &benchtest.Binary{Name: "serve"}
//	func TestMain(m *testing.M) { code := benchtest.Main(m); bin.Remove(); os.Exit(code) }
type Binary struct {
	// Name names the executable and its temporary directory.
	Name string
	// Test builds the package's tests (go test -c) instead of its command.
	Test bool

	once sync.Once
	path string
	err  error
}

// Build compiles the command the first time, into a temporary directory
// that Remove deletes, and returns the executable's path. It skips the
// test without a go command.
func (b *Binary) Build(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build " + b.Name + " with")
	}
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "bench-"+b.Name+"-test-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, b.Name)
		args := []string{"build", "-o", b.path, "."}
		if b.Test {
			args = []string{"test", "-c", "-o", b.path, "."}
		}
		if out, err := exec.Command(goBin, args...).CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go %s: %v\n%s", args[0], err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// Remove deletes what Build made.
func (b *Binary) Remove() {
	if b.path != "" {
		os.RemoveAll(filepath.Dir(b.path))
	}
}
