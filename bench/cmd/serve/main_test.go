package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gale-io/gale/bench/internal/benchtest"
	"github.com/gale-io/gale/bench/internal/wsbench"
)

func TestMain(m *testing.M) {
	wsbench.ReleaseNBIODefault() // nbio's init-time pools (main.go imports the ws servers)
	code := benchtest.Main(m)
	bin.Remove()
	os.Exit(code)
}

// bin is serve, built once for the tests that run it.
var bin = &benchtest.Binary{Name: "serve"}

func build(t *testing.T) string {
	t.Helper()
	return bin.Build(t)
}

type proc struct {
	cmd    *exec.Cmd
	stdout *bufio.Reader
	stderr *bytes.Buffer
	done   chan error
}

func startServe(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stdout: bufio.NewReader(out), stderr: new(bytes.Buffer), done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	return p
}

// readyAddr reads the ready line within 10 s.
func (p *proc) readyAddr(t *testing.T) string {
	t.Helper()
	line := make(chan string, 1)
	go func() {
		s, _ := p.stdout.ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		addr, ok := strings.CutPrefix(strings.TrimSuffix(s, "\n"), "ready ")
		if !ok {
			t.Fatalf("first line %q, want \"ready HOST:PORT\"; stderr: %s", s, p.stderr)
		}
		return addr
	case <-time.After(10 * time.Second):
		t.Fatalf("no ready line after 10 s; stderr: %s", p.stderr)
	}
	return ""
}

// exitCode waits up to 15 s for the process to end.
func (p *proc) exitCode(t *testing.T) int {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(15 * time.Second):
		t.Fatalf("still running after 15 s; stderr: %s", p.stderr)
	}
	return -1
}

func echoOnce(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	msg := []byte("hello, echo\n")
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("echo: %q, %v", got, err)
	}
}

func TestServeReadyEchoAndSignals(t *testing.T) {
	bin := build(t)
	for _, tc := range []struct {
		impl string
		sig  syscall.Signal
	}{{"std", syscall.SIGTERM}, {"gnet", syscall.SIGTERM}, {"gnet", syscall.SIGINT}, {"std", syscall.SIGINT}} {
		p := startServe(t, bin, "-impl", tc.impl, "-mode", "echo", "-addr", "127.0.0.1:0", "-loops", "1")
		addr := p.readyAddr(t)
		if _, port, err := net.SplitHostPort(addr); err != nil || port == "0" {
			t.Fatalf("%s: ready address %q, want a real port", tc.impl, addr)
		}
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		echoOnce(t, c)
		// An open connection must not keep the server from exiting.
		p.cmd.Process.Signal(tc.sig)
		if code := p.exitCode(t); code != 0 {
			t.Fatalf("%s after %v: exit %d, want 0; stderr: %s", tc.impl, tc.sig, code, p.stderr)
		}
		c.Close()
		if rest, _ := io.ReadAll(p.stdout); len(rest) > 0 {
			t.Errorf("%s: more on stdout after the ready line: %q", tc.impl, rest)
		}
	}
}

// TestServeHTTP: every http implementation answers GET /plaintext and
// exits 0 on SIGTERM with a keep-alive connection open; gale's may not be
// built yet.
func TestServeHTTP(t *testing.T) {
	bin := build(t)
	for _, impl := range []string{"std", "fasthttp", "gnet", "nbio", "gale"} {
		p := startServe(t, bin, "-impl", impl, "-mode", "http", "-loops", "1")
		line, _ := p.stdout.ReadString('\n')
		addr, ok := strings.CutPrefix(strings.TrimSpace(line), "ready ")
		if !ok {
			if code := p.exitCode(t); impl != "gale" || code != 1 || !strings.Contains(p.stderr.String(), "not built yet") {
				t.Fatalf("%s: first line %q, exit %d, stderr %q", impl, line, code, p.stderr)
			}
			continue
		}
		tr := &http.Transport{}
		resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get("http://" + addr + "/plaintext")
		if err != nil {
			t.Fatalf("%s: %v", impl, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "Hello, World!" {
			t.Errorf("%s: %d %q", impl, resp.StatusCode, body)
		}
		p.cmd.Process.Signal(syscall.SIGTERM) // the keep-alive connection is still open
		if code := p.exitCode(t); code != 0 {
			t.Fatalf("%s: exit %d after SIGTERM; stderr: %s", impl, code, p.stderr)
		}
		tr.CloseIdleConnections()
		if rest, _ := io.ReadAll(p.stdout); len(rest) > 0 {
			t.Errorf("%s: more on stdout after the ready line: %q", impl, rest)
		}
	}
}

func TestServeTLS(t *testing.T) {
	bin := build(t)
	p := startServe(t, bin, "-impl", "std", "-mode", "echo", "-tls")
	addr := p.readyAddr(t)
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	echoOnce(t, c)
	names := c.ConnectionState().PeerCertificates[0].DNSNames
	if len(names) != 1 || names[0] != "localhost" {
		t.Errorf("certificate names %v, want localhost", names)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.exitCode(t); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, p.stderr)
	}
}

func TestServeRejects(t *testing.T) {
	bin := build(t)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-impl", "fasthttp", "-mode", "echo"}, 2, "unknown implementation"},
		{[]string{"-impl", "gnet", "-mode", "http", "-tls"}, 1, "TLS is not supported"},
		{[]string{"-impl", "gnet", "-mode", "ws"}, 2, "unknown implementation"},
		{[]string{"-impl", "std", "-mode", "gopher"}, 2, "unknown mode"},
		{[]string{"-impl", "nope"}, 2, "unknown implementation"},
		{[]string{"-impl", "std", "-loops", "0"}, 2, "-loops"},
		{[]string{"-impl", "gnet", "-tls"}, 1, "TLS is not supported"},
		{[]string{"-impl", "std", "-addr", "127.0.0.1:99999"}, 1, "invalid port"},
	} {
		p := startServe(t, bin, tc.args...)
		code := p.exitCode(t)
		if code != tc.code || !strings.Contains(p.stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, p.stderr, tc.code, tc.want)
		}
		if out, _ := io.ReadAll(p.stdout); len(out) > 0 {
			t.Errorf("%v: printed %q to stdout", tc.args, out)
		}
	}
}

// TestServeGale accepts either state of the gale implementation: ready and
// echoing, or failing to start with "not built yet".
func TestServeGale(t *testing.T) {
	bin := build(t)
	p := startServe(t, bin, "-impl", "gale", "-loops", "1")
	line, _ := p.stdout.ReadString('\n')
	if addr, ok := strings.CutPrefix(strings.TrimSpace(line), "ready "); ok {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		echoOnce(t, c)
		c.Close()
		p.cmd.Process.Signal(syscall.SIGTERM)
		if code := p.exitCode(t); code != 0 {
			t.Fatalf("exit %d; stderr: %s", code, p.stderr)
		}
		return
	}
	if code := p.exitCode(t); code != 1 || !strings.Contains(p.stderr.String(), "not built yet") {
		t.Fatalf("gale: exit %d, stderr %q", code, p.stderr)
	}
}
