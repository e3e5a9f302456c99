//go:build !windows

package httpclient_test

// Interoperability: the client against Tornado's HTTPServer and Node's
// http server. Each peer is an external program found by interop.Require,
// which skips the test when it is missing (naming what to install) or
// fails it when GALE_REQUIRE_PEERS is set, as CI does. Windows builds
// leave this file out: the peers are Debian packages run beside the test.

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/gale-io/gale/httpproto/httpclient"
	"github.com/gale-io/gale/internal/interop"
)

// startPeer runs a server script that prints its port and serves until
// its stdin closes; it returns the base URL.
func startPeer(t *testing.T, prog string, args ...string) string {
	t.Helper()
	line, _ := interop.StartServer(t, prog, nil, args...)
	port, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("%s did not print its port (%q)", prog, line)
	}
	return "http://127.0.0.1:" + strconv.Itoa(port)
}

func TestInteropTornado(t *testing.T) {
	py := interop.Require(t, "tornado", "Debian's python3-tornado", interop.PythonWith("tornado"))
	checkPeer(t, startPeer(t, py, "testdata/tornado_server.py"), "Hello from Tornado", "tornado ")
}

func TestInteropNode(t *testing.T) {
	node := interop.Require(t, "node", "Node.js (Debian's nodejs)", nil)
	checkPeer(t, startPeer(t, node, "testdata/node_server.js"), "Hello from Node", "node ")
}

// checkPeer runs the client against a peer server at base: GET, POST,
// chunked upload, gzip and keep-alive reuse.
func checkPeer(t *testing.T, base, hello, word string) {
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
