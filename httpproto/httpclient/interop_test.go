//go:build !windows

package httpclient_test

// Interoperability: the client against Tornado's HTTPServer and Node's
// http server. Each peer is an external program found by requirePeer,
// which skips the test when it is missing (naming what to install) or
// fails it when GALE_REQUIRE_PEERS is set, as CI does. Windows builds
// leave this file out: the peers are Debian packages run beside the test.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gale-io/gale/httpproto/httpclient"
)

// peerTimeout bounds a peer's start.
const peerTimeout = 20 * time.Second

// requirePeer returns the program that runs the peer name, or skips the
// test (fails it under GALE_REQUIRE_PEERS) naming what to install.
func requirePeer(t *testing.T, name, installHint string) string {
	t.Helper()
	find := func() (string, error) { return exec.LookPath(name) }
	if name == "tornado" {
		find = pythonWith("tornado")
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

// pythonWith finds a Python 3 that imports module: Debian's
// /usr/bin/python3 first (where python3-tornado installs), then PATH's.
func pythonWith(module string) func() (string, error) {
	return func() (string, error) {
		candidates := []string{"/usr/bin/python3"}
		if p, err := exec.LookPath("python3"); err == nil && p != candidates[0] {
			candidates = append(candidates, p)
		}
		var errs []string
		for _, py := range candidates {
			ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
			err := exec.CommandContext(ctx, py, "-c", "import "+module).Run()
			cancel()
			if err == nil {
				return py, nil
			}
			errs = append(errs, fmt.Sprintf("%s: %v", py, err))
		}
		return "", fmt.Errorf("no python3 imports %s: %s", module, strings.Join(errs, "; "))
	}
}

// startPeer runs a server script that prints its port and serves until
// its stdin closes; it returns the base URL.
func startPeer(t *testing.T, prog string, args ...string) string {
	t.Helper()
	cmd := exec.Command(prog, args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		waited := make(chan error, 1)
		go func() { waited <- cmd.Wait() }()
		select {
		case <-waited:
		case <-time.After(peerTimeout):
			cmd.Process.Kill()
			<-waited
		}
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- s
		io.Copy(io.Discard, stdout)
	}()
	select {
	case s := <-line:
		port, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			t.Fatalf("%s did not print its port (%q): %s", prog, s, stderr.String())
		}
		return "http://127.0.0.1:" + strconv.Itoa(port)
	case <-time.After(peerTimeout):
		t.Fatalf("%s did not start: %s", prog, stderr.String())
		return ""
	}
}

func TestInteropTornado(t *testing.T) {
	py := requirePeer(t, "tornado", "Debian's python3-tornado")
	interop(t, startPeer(t, py, "testdata/tornado_server.py"), "Hello from Tornado", "tornado ")
}

func TestInteropNode(t *testing.T) {
	node := requirePeer(t, "node", "Node.js (Debian's nodejs)")
	interop(t, startPeer(t, node, "testdata/node_server.js"), "Hello from Node", "node ")
}

func interop(t *testing.T, base, hello, word string) {
	e := newEnv(t, nil)
	r1 := e.mustDo(&httpclient.Request{URL: base + "/hello"})
	r2 := e.mustDo(&httpclient.Request{URL: base + "/hello"})
	if string(r1.Body) != hello || string(r2.Body) != hello {
		t.Fatalf("GET: %q %q", r1.Body, r2.Body)
	}
	if c1, c2 := r1.Header.GetString("X-Conn"), r2.Header.GetString("X-Conn"); c1 == "" || c1 != c2 || !r2.Reused {
		t.Errorf("keep-alive: connections %q and %q, reused %v", c1, c2, r2.Reused)
	}
	body := bytes.Repeat([]byte("posted body "), 1000)
	r := e.mustDo(&httpclient.Request{Method: "POST", URL: base + "/echo", Body: body})
	if !bytes.Equal(r.Body, body) || r.Header.GetString("X-TE") != "" {
		t.Fatalf("POST: %d bytes back, TE %q", len(r.Body), r.Header.GetString("X-TE"))
	}
	pieces := [][]byte{[]byte("chunk one, "), []byte("chunk two, "), bytes.Repeat([]byte("x"), 70000)}
	r = e.mustDo(&httpclient.Request{Method: "PUT", URL: base + "/echo", BodyProducer: func(w *httpclient.BodyWriter) {
		var next func(int)
		next = func(i int) {
			if i == len(pieces) {
				w.End(nil)
				return
			}
			w.Write(pieces[i], func(err error) {
				if err == nil {
					next(i + 1)
				}
			})
		}
		next(0)
	}})
	if want := bytes.Join(pieces, nil); !bytes.Equal(r.Body, want) || r.Header.GetString("X-TE") != "chunked" {
		t.Fatalf("chunked PUT: %d bytes back (want %d), TE %q", len(r.Body), len(want), r.Header.GetString("X-TE"))
	}
	r = e.mustDo(&httpclient.Request{URL: base + "/big"})
	if want := strings.Repeat(word, 5000); string(r.Body) != want || r.Header.GetString("X-Consumed-Content-Encoding") != "gzip" {
		t.Fatalf("gzip: %d bytes, encoding %q", len(r.Body), r.Header.GetString("X-Consumed-Content-Encoding"))
	}
}
