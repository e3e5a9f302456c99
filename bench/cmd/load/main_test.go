package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gale-io/gale/bench/internal/benchtest"
	_ "github.com/gale-io/gale/bench/internal/echo"
	_ "github.com/gale-io/gale/bench/internal/httpbench"
	"github.com/gale-io/gale/bench/internal/server"
)

func TestMain(m *testing.M) {
	code := benchtest.Main(m)
	bin.Remove()
	os.Exit(code)
}

// bin is load, built once for the tests that run it.
var bin = &benchtest.Binary{Name: "load"}

func build(t *testing.T) string {
	t.Helper()
	return bin.Build(t)
}

// runLoad runs the load binary and returns its exit code, stdout and stderr.
func runLoad(t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode(), stdout.String(), stderr.String()
	case err != nil:
		t.Fatal(err)
	}
	return 0, stdout.String(), stderr.String()
}

func stdServer(t *testing.T) string {
	t.Helper()
	srv, err := server.New("echo", "std")
	if err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Start(server.Config{Addr: "127.0.0.1:0", Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop(context.Background()) })
	return addr.String()
}

func TestLoadEcho(t *testing.T) {
	bin := build(t)
	addr := stdServer(t)
	pid := strconv.Itoa(os.Getpid())
	for _, driver := range []string{"net", "epoll"} {
		code, out, errOut := runLoad(t, bin, "-mode", "echo", "-addr", addr, "-conns", "20", "-size", "100",
			"-duration", "300ms", "-warmup", "100ms", "-pipeline", "3", "-server-pid", pid, "-driver", driver)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", driver, code, errOut)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 1 {
			t.Fatalf("%s: %d lines on stdout, want one JSON line: %q", driver, len(lines), out)
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &r); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"requests", "req_per_s", "lat_p50_us", "lat_p99_us", "lat_p999_us",
			"server_cpu_s", "req_per_server_cpu_s", "server_rss_start_bytes", "server_rss_end_bytes",
			"load_cpu_s", "other_cpu_s", "duration_s"} {
			if _, ok := r[f].(float64); !ok && !(f == "req_per_server_cpu_s" && r["server_cpu_s"] == 0.0) {
				t.Errorf("%s: field %s missing in %s", driver, f, lines[0])
			}
		}
		if r["mode"] != "echo" || r["driver"] != driver || r["errors"] != 0.0 || r["requests"].(float64) <= 0 ||
			r["size_bytes"] != 100.0 || r["pipeline"] != 3.0 {
			t.Errorf("%s: %s", driver, lines[0])
		}
	}
}

func TestLoadHTTP(t *testing.T) {
	bin := build(t)
	srv, err := server.New("http", "std")
	if err != nil {
		t.Fatal(err)
	}
	a, err := srv.Start(server.Config{Addr: "127.0.0.1:0", Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop(context.Background()) })
	addr := a.String()
	for _, args := range [][]string{
		{"-pipeline", "16"},
		{"-method", "POST", "-size", "200", "-chunked", "-driver", "net"},
	} {
		code, out, errOut := runLoad(t, bin, append([]string{"-mode", "http", "-addr", addr, "-conns", "8",
			"-duration", "300ms", "-warmup", "50ms", "-server-pid", strconv.Itoa(os.Getpid())}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		if r["mode"] != "http" || r["errors"] != 0.0 || r["requests"].(float64) <= 0 ||
			(r["req_per_server_cpu_s"] == nil && r["server_cpu_s"] != 0.0) {
			t.Errorf("%v: %s", args, out)
		}
	}
	// A server answering 404 makes load exit 1.
	code, out, errOut := runLoad(t, bin, "-mode", "http", "-addr", addr, "-path", "/nope", "-conns", "2",
		"-duration", "100ms", "-warmup", "0s")
	if code != 1 || !strings.Contains(out, `"errors":2`) || !strings.Contains(errOut, "404") {
		t.Errorf("404s: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestLoadIdle(t *testing.T) {
	bin := build(t)
	addr := stdServer(t)
	code, out, errOut := runLoad(t, bin, "-mode", "echo", "-idle", "-addr", addr, "-conns", "100",
		"-settle", "10ms", "-server-pid", strconv.Itoa(os.Getpid()))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r["mode"] != "idle" || r["conns"] != 100.0 || r["errors"] != 0.0 || r["server_rss_idle_bytes"] == nil {
		t.Errorf("%s", out)
	}
}

// TestLoadFailsOnBrokenEcho: a server that drops one byte makes load exit
// 1 with the errors in its result line.
func TestLoadFailsOnBrokenEcho(t *testing.T) {
	bin := build(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer ln.Close()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				buf := make([]byte, 64)
				for i := 0; ; i++ {
					if _, err := io.ReadFull(c, buf); err != nil {
						return
					}
					out := buf
					if i == 3 {
						out = buf[1:] // loses the first byte of the fourth message
					}
					if _, err := c.Write(out); err != nil {
						return
					}
				}
			}()
		}
	}()
	for _, driver := range []string{"net", "epoll"} {
		code, out, errOut := runLoad(t, bin, "-addr", ln.Addr().String(), "-conns", "4", "-duration", "200ms",
			"-warmup", "0s", "-drain", "300ms", "-driver", driver)
		if code != 1 || !strings.Contains(out, `"errors":4`) || !strings.Contains(errOut, "connections failed") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 1 and 4 errors", driver, code, out, errOut)
		}
	}
}

func TestLoadRejects(t *testing.T) {
	bin := build(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-mode", "ws", "-idle", "-broadcast", "-addr", "127.0.0.1:1"}, "separate runs"},
		{[]string{"-mode", "echo", "-compress", "-addr", "127.0.0.1:1"}, "ws runs"},
		{[]string{"-mode", "http", "-idle", "-addr", "127.0.0.1:1"}, "-idle is an echo run"},
		{[]string{"-mode", "http", "-method", "PUT", "-addr", "127.0.0.1:1"}, "GET or POST"},
		{[]string{"-mode", "echo"}, "-addr is required"},
		{[]string{"-mode", "echo", "-addr", "127.0.0.1:1", "-duration", "100ms"}, "refused"},
		{[]string{"-mode", "echo", "-addr", "127.0.0.1:1", "-tls", "-driver", "epoll"}, "no TLS"},
	} {
		code, out, errOut := runLoad(t, bin, tc.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.args, code, out, errOut, tc.want)
		}
	}
}
