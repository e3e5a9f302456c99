package runner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	readyTimeout = 15 * time.Second // from exec to the "ready" line
	stopTimeout  = 15 * time.Second // from SIGTERM to exit
)

type binaries struct{ serve, load string }

// build compiles serve and load once into a temporary directory, so that
// no compilation happens while measuring.
func build(ctx context.Context, o *Options) (binaries, func(), error) {
	dir, err := benchDir(o.BenchDir)
	if err != nil {
		return binaries{}, nil, err
	}
	tmp, err := os.MkdirTemp("", "gale-bench-")
	if err != nil {
		return binaries{}, nil, err
	}
	cleanup := func() { os.RemoveAll(tmp) }
	b := binaries{serve: filepath.Join(tmp, "serve"), load: filepath.Join(tmp, "load")}
	fmt.Fprintf(o.Log, "bench: building serve and load in %s\n", tmp)
	for _, p := range []struct{ out, pkg string }{{b.serve, "./cmd/serve"}, {b.load, "./cmd/load"}} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", p.out, p.pkg)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			cleanup()
			return binaries{}, nil, fmt.Errorf("go build %s: %w\n%s", p.pkg, err, out)
		}
	}
	return b, cleanup, nil
}

// benchDir finds the bench module: dir if given, else the working
// directory or one above it whose go.mod is github.com/gale-io/gale/bench,
// or a bench/ beside the root module's go.mod.
func benchDir(dir string) (string, error) {
	isBench := func(d string) bool {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		return err == nil && bytes.HasPrefix(b, []byte("module github.com/gale-io/gale/bench\n"))
	}
	if dir != "" {
		if !isBench(dir) {
			return "", fmt.Errorf("%s is not the bench module", dir)
		}
		return dir, nil
	}
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if isBench(d) {
			return d, nil
		}
		if isBench(filepath.Join(d, "bench")) {
			return filepath.Join(d, "bench"), nil
		}
		up := filepath.Dir(d)
		if up == d {
			return "", errors.New("cannot find the bench module (github.com/gale-io/gale/bench); run from the repository or pass -bench-dir")
		}
		d = up
	}
}

// pinSpec says how processes are pinned to CPUs.
type pinSpec struct {
	enabled bool
	taskset string
}

func pinning(o *Options) (pinSpec, error) {
	if o.ServerCPUs == "" && o.LoadCPUs == "" {
		fmt.Fprintln(o.Log, "bench: warning: CPU pinning is off; server and load generator share the CPUs")
		return pinSpec{}, nil
	}
	if runtime.GOOS != "linux" {
		fmt.Fprintln(o.Log, "bench: warning: CPU pinning needs Linux's taskset; running unpinned")
		return pinSpec{}, nil
	}
	if runtime.NumCPU() < 2 {
		fmt.Fprintln(o.Log, "bench: warning: one CPU only; server and load generator share it, compare CPU per request only")
		return pinSpec{}, nil
	}
	ts, err := exec.LookPath("taskset")
	if err != nil {
		fmt.Fprintln(o.Log, "bench: warning: taskset not found (util-linux); running unpinned, so the "+
			"server and load generator compete for CPUs")
		return pinSpec{}, nil
	}
	return pinSpec{enabled: true, taskset: ts}, nil
}

// command makes a process pinned to cpus, with GOMAXPROCS procs, that dies
// with the runner.
func (p pinSpec) command(cpus string, procs int, bin string, args ...string) *exec.Cmd {
	var cmd *exec.Cmd
	if p.enabled && cpus != "" {
		// taskset execs the program, so the pid is the program's.
		cmd = exec.Command(p.taskset, append([]string{"-c", cpus, bin}, args...)...)
	} else {
		cmd = exec.Command(bin, args...)
	}
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(procs))
	cmd.SysProcAttr = procAttr()
	return cmd
}

// runOnce starts a server, runs the load generator against it and stops
// the server, for each variant of the scenario (a fresh server each).
// startErr is set when the server did not start (the implementation is
// not available); err when the sample failed.
func runOnce(ctx context.Context, o *Options, pin pinSpec, bins binaries, sc *Scenario, impl string) (res Result, startErr, err error) {
	if sc.Run != nil {
		return sc.Run(ctx, o, pin, bins, sc, impl)
	}
	if len(sc.Variants) == 0 {
		return runVariant(ctx, o, pin, bins, sc, nil, impl)
	}
	merged := Result{}
	for _, v := range sc.variants() {
		res, startErr, err := runVariant(ctx, o, pin, bins, sc, v, impl)
		if startErr != nil {
			return nil, startErr, nil
		}
		mergeVariant(merged, v, res)
		if err != nil {
			return merged, nil, fmt.Errorf("%s: %w", v.Label, err)
		}
	}
	return merged, nil, nil
}

// runVariant is one server and one load run (of variant v, or nil).
func runVariant(ctx context.Context, o *Options, pin pinSpec, bins binaries, sc *Scenario, v *Variant, impl string) (res Result, startErr, err error) {
	srv, err := startServer(ctx, o, pin, bins, sc.Mode, impl, "127.0.0.1:0", false)
	if err != nil {
		return nil, err, nil
	}
	args := sc.LoadArgs(o)
	if v != nil && v.LoadArgs != nil {
		args = append(slices.Clone(args), v.LoadArgs(o)...)
	}
	var loadErr error
	if sc.Load != nil {
		res, loadErr = sc.Load(ctx, o, pin, bins, sc, v, srv, args)
	} else {
		res, loadErr = runLoad(ctx, o, pin, bins, sc, srv, args)
	}
	stopErr := srv.stop()
	return res, nil, errors.Join(loadErr, stopErr)
}

type serverProc struct {
	cmd    *exec.Cmd
	addr   string
	stderr *tail
	done   chan error // Wait's result
}

// startServer starts serve on addr (with SO_REUSEPORT when reuse) and
// waits for its ready line.
func startServer(ctx context.Context, o *Options, pin pinSpec, bins binaries, mode, impl, addr string, reuse bool) (*serverProc, error) {
	args := []string{"-impl", impl, "-mode", mode, "-addr", addr, "-loops", strconv.Itoa(o.Loops)}
	if o.TLS {
		args = append(args, "-tls")
	}
	if reuse {
		args = append(args, "-reuseport")
	}
	cmd := pin.command(o.ServerCPUs, o.ServerProcs, bins.serve, args...)
	s := &serverProc{cmd: cmd, stderr: new(tail), done: make(chan error, 1)}
	cmd.Stderr = s.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		first := true
		for sc.Scan() {
			if first {
				ready <- sc.Text()
				first = false
			}
		}
		if first {
			close(ready)
		}
	}()
	go func() { s.done <- cmd.Wait() }()

	timer := time.NewTimer(readyTimeout)
	defer timer.Stop()
	select {
	case line, ok := <-ready:
		addr, found := strings.CutPrefix(line, "ready ")
		if ok && found && addr != "" {
			s.addr = addr
			return s, nil
		}
		s.kill()
		if !ok {
			return nil, fmt.Errorf("%s", s.why("exited before it was ready"))
		}
		return nil, fmt.Errorf("%s", s.why(fmt.Sprintf("printed %q instead of a ready line", line)))
	case <-timer.C:
		s.kill()
		return nil, fmt.Errorf("%s", s.why(fmt.Sprintf("not ready after %v", readyTimeout)))
	case <-ctx.Done():
		s.kill()
		return nil, ctx.Err()
	}
}

// why explains a server failure with the end of its stderr.
func (s *serverProc) why(what string) string {
	msg := strings.TrimSpace(s.stderr.String())
	if msg == "" {
		return "serve " + what
	}
	return strings.TrimPrefix(msg, "serve: ")
}

func (s *serverProc) kill() {
	s.cmd.Process.Kill()
	<-s.done
}

// stop sends SIGTERM and expects exit status 0 within stopTimeout.
func (s *serverProc) stop() error {
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("server: SIGTERM: %w", err)
	}
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case err := <-s.done:
		if err != nil {
			return fmt.Errorf("server did not exit 0 after SIGTERM: %w; stderr: %s", err, s.stderr)
		}
		return nil
	case <-timer.C:
		s.kill()
		return fmt.Errorf("server still running %v after SIGTERM; killed", stopTimeout)
	}
}

// runLoad runs the load generator with args against srv and decodes its
// result line.
func runLoad(ctx context.Context, o *Options, pin pinSpec, bins binaries, sc *Scenario, srv *serverProc, loadArgs []string) (Result, error) {
	args := append([]string{"-mode", sc.Mode, "-addr", srv.addr,
		"-server-pid", strconv.Itoa(srv.cmd.Process.Pid)}, loadArgs...)
	cmd := pin.command(o.LoadCPUs, o.LoadProcs, bins.load, args...)
	var stdout bytes.Buffer
	stderr := new(tail)
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	timer := time.NewTimer(sc.Timeout(o))
	defer timer.Stop()
	var werr error
	select {
	case werr = <-done:
	case <-timer.C:
		cmd.Process.Kill()
		<-done
		return nil, fmt.Errorf("load generator still running after %v; killed", sc.Timeout(o))
	case <-ctx.Done():
		cmd.Process.Signal(syscall.SIGTERM)
		<-done
		return nil, ctx.Err()
	}
	var res Result
	lines := bytes.Split(bytes.TrimSpace(stdout.Bytes()), []byte("\n"))
	if last := lines[len(lines)-1]; len(last) > 0 {
		if err := json.Unmarshal(last, &res); err != nil {
			return nil, fmt.Errorf("load generator output: %w", err)
		}
	}
	if werr != nil {
		msg := strings.TrimSpace(stderr.String())
		return res, fmt.Errorf("load generator: %v: %s", werr, strings.TrimPrefix(msg, "load: "))
	}
	if res == nil {
		return nil, errors.New("load generator printed no result")
	}
	return res, nil
}

// tail keeps the last 4 KiB written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 4096 {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-4096:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
