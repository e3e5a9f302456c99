//go:build !windows

// Package interop finds and runs the third-party programs gale's interop
// tests talk to (curl, wrk, Python with Tornado or websockets, Node, a
// browser). A missing peer skips the test with a message naming what to
// install, unless the environment sets GALE_REQUIRE_PEERS (as CI does,
// after installing every peer): then it fails the test. Windows builds
// leave the interop tests out: the peers are Debian and npm packages run
// beside the test, which the Windows test binaries (under wine) cannot
// reach.
package interop

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Timeout bounds each probe and the start of a peer server.
const Timeout = 30 * time.Second

// Require returns what find finds (find nil: the command name on PATH).
// If find fails, it skips t with a message naming the peer, the error and
// installHint, or fails t when GALE_REQUIRE_PEERS is set.
func Require(t testing.TB, name, installHint string, find func() (string, error)) string {
	t.Helper()
	if find == nil {
		find = func() (string, error) { return exec.LookPath(name) }
	}
	path, err := find()
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("interop peer %s not found (%v): install %s to run this test", name, err, installHint)
	if os.Getenv("GALE_REQUIRE_PEERS") != "" {
		t.Fatal(msg + " (GALE_REQUIRE_PEERS is set: a missing peer is a failure)")
	}
	t.Skip(msg)
	return ""
}

// PythonWith returns a finder for a Python 3 that imports module: Debian's
// /usr/bin/python3 first (where the python3-* packages install; the
// python3 on PATH may be another one), then the python3 on PATH.
func PythonWith(module string) func() (string, error) {
	return func() (string, error) {
		candidates := []string{"/usr/bin/python3"}
		if p, err := exec.LookPath("python3"); err == nil && p != candidates[0] {
			candidates = append(candidates, p)
		}
		var errs []string
		for _, py := range candidates {
			ctx, cancel := context.WithTimeout(context.Background(), Timeout)
			out, err := exec.CommandContext(ctx, py, "-c", "import "+module).CombinedOutput()
			cancel()
			if err == nil {
				return py, nil
			}
			errs = append(errs, fmt.Sprintf("%s: %v %s", py, err, bytes.TrimSpace(LastLine(out))))
		}
		return "", fmt.Errorf("no python3 imports %s: %s", module, strings.Join(errs, "; "))
	}
}

// LastLine returns b's last non-empty line.
func LastLine(b []byte) []byte {
	b = bytes.TrimRight(b, "\n")
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return b
}

// StartServer starts a peer server, prog with args and env added to the
// environment (proxies turned off), that prints its first line once it
// listens and serves until its standard input closes. It returns that
// first line and a channel of the lines printed after it (closed at the
// program's end). The server is stopped when the test ends (killed if it
// does not exit within Timeout of its stdin closing).
func StartServer(t testing.TB, prog string, env []string, args ...string) (first string, lines <-chan string) {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Env = append(append(os.Environ(), "NO_PROXY=*", "no_proxy=*"), env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := make(chan string, 16)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(Timeout):
			cmd.Process.Kill()
			<-done
		}
	})
	select {
	case line, ok := <-ch:
		if !ok {
			t.Fatalf("%s %v exited before printing a line\nstderr:\n%s", prog, args, stderr.String())
		}
		return line, ch
	case <-time.After(Timeout):
		t.Fatalf("%s %v did not start\nstderr:\n%s", prog, args, stderr.String())
		return "", nil
	}
}
