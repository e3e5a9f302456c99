//go:build !windows

package httpserver

// Interoperability: third-party HTTP clients and load generators against
// the server, both with a native Handler and through the net/http adapter.
// Each peer is an external program found by requirePeer, which skips the
// test when it is missing (naming what to install) or fails it when
// GALE_REQUIRE_PEERS is set, as CI does. Windows builds leave this file out:
// the peers are Debian packages run beside the test, which the Windows test
// binaries (run under wine) cannot reach.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gale-io/gale/internal/interop"
	"github.com/gale-io/gale/netutil"
)

// peerTimeout bounds every run of a peer.
const peerTimeout = 20 * time.Second

// requirePeer returns the path of the program that runs the peer name: a
// command on PATH, or one of peerProbes (interop.Require: a missing peer
// skips the test, or fails it under GALE_REQUIRE_PEERS).
func requirePeer(t *testing.T, name, installHint string) string {
	t.Helper()
	return interop.Require(t, name, installHint, peerProbes[name])
}

// peerProbes find the peers that are not a command of their own.
var peerProbes = map[string]func() (string, error){
	"tornado": interop.PythonWith("tornado"),
}

// runPeer runs a peer to its end (within peerTimeout) and returns what it
// wrote; a failed run fails the test, showing both outputs. Proxies from
// the environment are turned off so that the peers talk to the server.
func runPeer(t *testing.T, path string, args ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), peerTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), "NO_PROXY=*", "no_proxy=*")
	cmd.WaitDelay = time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstderr:\n%s\nstdout:\n%s", filepath.Base(path), strings.Join(args, " "),
			err, errb.Bytes(), clip(out.String()))
	}
	return out.String(), errb.String()
}

// clip shortens a peer's output for a failure message.
func clip(s string) string {
	if len(s) > 4000 {
		return s[:4000] + fmt.Sprintf("... (%d bytes)", len(s))
	}
	return s
}

// The routes every interop server serves, natively and through NetHTTP.
var (
	interopStream = []string{"first;", "second;", "third"} // GET /stream, one flush each
	interopGzip   = makeGzipBody()                         // GET /gzip, 10 KiB of text
)

func makeGzipBody() []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < 10<<10; i++ {
		fmt.Fprintf(&b, "line %05d: gale compresses this text for clients that accept gzip\n", i)
	}
	return b.Bytes()[:10<<10]
}

// interopHandler serves GET /plaintext, POST /echo (the body, with
// X-Framing saying whether it came chunked or sized and X-Expect echoing
// an Expect: 100-continue), GET /stream (three parts, the next written
// once the previous one reached the kernel) and GET /gzip.
func interopHandler(w *ResponseWriter, r *Request) {
	switch string(r.Path) {
	case "/plaintext":
		w.Respond(200, "text/plain", helloBody)
	case "/echo":
		setEchoFields(w.Header().Set, r.Chunked, r.Expect100)
		w.Respond(200, "application/octet-stream", r.Body)
	case "/stream":
		w.Header().Set("Content-Type", "text/plain")
		streamPart(w, 0)
	case "/gzip":
		w.Respond(200, "text/plain; charset=utf-8", interopGzip)
	default:
		w.Error(404, false)
	}
}

func setEchoFields(set func(name, value string), chunked, expect100 bool) {
	if chunked {
		set("X-Framing", "chunked")
	} else {
		set("X-Framing", "length")
	}
	if expect100 {
		set("X-Expect", "100-continue")
	}
}

func streamPart(w *ResponseWriter, i int) {
	w.WriteString(interopStream[i])
	if i == len(interopStream)-1 {
		w.Flush(nil)
		w.Finish()
		return
	}
	w.Flush(func(err error) {
		if err == nil {
			streamPart(w, i+1)
		}
	})
}

// interopMux serves the same routes as interopHandler for NetHTTP.
func interopMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /plaintext", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(helloBody)
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// net/http moves Transfer-Encoding out of Header; the adapter
		// leaves it there: either way it says how the body came.
		chunked := slices.Contains(r.TransferEncoding, "chunked") ||
			strings.EqualFold(r.Header.Get("Transfer-Encoding"), "chunked")
		setEchoFields(w.Header().Set, chunked, strings.EqualFold(r.Header.Get("Expect"), "100-continue"))
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(body)
	})
	mux.HandleFunc("GET /stream", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		rc := http.NewResponseController(w)
		for _, part := range interopStream {
			io.WriteString(w, part)
			if err := rc.Flush(); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("GET /gzip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(interopGzip)
	})
	return mux
}

// interopTarget is one server under test.
type interopTarget struct {
	name string // "native" or "nethttp"
	srv  *Server
	addr string // 127.0.0.1:port
}

// accepted is how many connections the server has taken so far.
func (tg interopTarget) accepted() int64 { return tg.srv.Stats().Accepted }

// interopTargets starts two servers with opts: interopHandler, and
// interopMux through NetHTTP.
func interopTargets(t *testing.T, opts Options) []interopTarget {
	t.Helper()
	native, nethttp := opts, opts
	s1, a1 := start(t, interopHandler, &native)
	s2, a2 := start(t, NetHTTP(interopMux()), &nethttp)
	return []interopTarget{{"native", s1, a1}, {"nethttp", s2, a2}}
}

// writePayload writes n pseudo-random bytes (CR, LF and NUL among them) to
// a file in the test's directory.
func writePayload(t *testing.T, n int) (string, []byte) {
	t.Helper()
	data := make([]byte, n)
	rng := rand.NewChaCha8([32]byte{'g', 'a', 'l', 'e'})
	rng.Read(data)
	path := filepath.Join(t.TempDir(), fmt.Sprintf("payload-%d", n))
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, data
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ---- curl ----

// curl runs curl with args after -q (no .curlrc) and -sS.
func curl(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	path := requirePeer(t, "curl", "the Debian package curl")
	return runPeer(t, path, append([]string{"-q", "-sS"}, args...)...)
}

// headerValue finds a field in a dumped head (curl -D or -I), or in curl's
// -v trace with prefix "< ".
func headerValue(head, prefix, name string) (string, bool) {
	for line := range strings.Lines(head) {
		line = strings.TrimRight(line, "\r\n")
		rest, ok := strings.CutPrefix(line, prefix)
		if !ok {
			continue
		}
		k, v, ok := strings.Cut(rest, ":")
		if ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// wantLines checks curl's -w output, one line per transfer.
func wantLines(t *testing.T, what, got string, want ...string) {
	t.Helper()
	if lines := strings.Split(strings.TrimSpace(got), "\n"); !slices.Equal(lines, want) {
		t.Errorf("%s: -w lines %q, want %q", what, lines, want)
	}
}

func TestInteropCurl(t *testing.T) {
	requirePeer(t, "curl", "the Debian package curl")
	payloadPath, payload := writePayload(t, 1<<20)
	for _, tg := range interopTargets(t, Options{}) {
		t.Run(tg.name, func(t *testing.T) {
			base := "http://" + tg.addr
			dir := t.TempDir()
			file := func(name string) string { return filepath.Join(dir, name) }

			t.Run("keep-alive", func(t *testing.T) {
				before := tg.accepted()
				out, trace := curl(t, "-v", "-w", "%{num_connects} %{http_code}\n",
					"-o", file("ka1"), base+"/plaintext", "-o", file("ka2"), base+"/stream")
				wantLines(t, "keep-alive", out, "1 200", "0 200")
				if n := tg.accepted() - before; n != 1 {
					t.Errorf("server accepted %d connections for two requests, want 1", n)
				}
				if b := readFile(t, file("ka1")); !bytes.Equal(b, helloBody) {
					t.Errorf("/plaintext body %q", b)
				}
				if b := string(readFile(t, file("ka2"))); b != strings.Join(interopStream, "") {
					t.Errorf("/stream body %q", b)
				}
				if te, _ := headerValue(trace, "< ", "Transfer-Encoding"); te != "chunked" {
					t.Errorf("/stream not chunked (Transfer-Encoding %q)", te)
				}
				if t.Failed() {
					t.Logf("curl -v:\n%s", trace)
				}
			})

			t.Run("post 1 MiB", func(t *testing.T) {
				// "Expect:" turns off curl's own Expect for large bodies.
				_, trace := curl(t, "-v", "-H", "Expect:", "-H", "Content-Type: application/octet-stream",
					"--data-binary", "@"+payloadPath, "-D", file("post.head"), "-o", file("post.body"), base+"/echo")
				checkEcho(t, trace, readFile(t, file("post.head")), readFile(t, file("post.body")), payload, "length", false)
			})

			t.Run("expect 100-continue", func(t *testing.T) {
				// A server that sent no 100 would cost the timeout and
				// leave no "100 Continue" in the trace.
				_, trace := curl(t, "-v", "-H", "Expect: 100-continue", "--expect100-timeout", "15",
					"--data-binary", "@"+payloadPath, "-D", file("expect.head"), "-o", file("expect.body"), base+"/echo")
				if !regexp.MustCompile(`(?m)^< HTTP/1\.1 100 Continue\r?$`).MatchString(trace) {
					t.Errorf("no 100 Continue in curl's trace:\n%s", clip(trace))
				}
				checkEcho(t, trace, readFile(t, file("expect.head")), readFile(t, file("expect.body")), payload, "length", true)
			})

			t.Run("chunked upload", func(t *testing.T) {
				_, trace := curl(t, "-v", "-H", "Expect:", "-H", "Transfer-Encoding: chunked",
					"--data-binary", "@"+payloadPath, "-D", file("chunked.head"), "-o", file("chunked.body"), base+"/echo")
				checkEcho(t, trace, readFile(t, file("chunked.head")), readFile(t, file("chunked.body")), payload, "chunked", false)
			})

			t.Run("head then get", func(t *testing.T) {
				// A HEAD response that carried body bytes would garble the
				// GET that follows on the same connection.
				before := tg.accepted()
				out, trace := curl(t, "-v", "-I", "-w", "%{num_connects}\n", base+"/plaintext",
					"--next", "-o", file("afterhead"), "-w", "%{num_connects}\n", base+"/plaintext")
				head, counts, _ := strings.Cut(out, "\r\n\r\n")
				if !strings.HasPrefix(head, "HTTP/1.1 200 OK\r\n") {
					t.Errorf("HEAD status line: %q", head)
				}
				if cl, _ := headerValue(head, "", "Content-Length"); cl != "13" {
					t.Errorf("HEAD Content-Length %q, want 13", cl)
				}
				wantLines(t, "head then get", counts, "1", "0")
				if b := readFile(t, file("afterhead")); !bytes.Equal(b, helloBody) {
					t.Errorf("GET after HEAD: %q", b)
				}
				if n := tg.accepted() - before; n != 1 {
					t.Errorf("server accepted %d connections, want 1", n)
				}
				if t.Failed() {
					t.Logf("curl -v:\n%s", trace)
				}
			})

			t.Run("http1.0", func(t *testing.T) {
				// Without keep-alive the server closes after each response;
				// with it, the connection is reused.
				before := tg.accepted()
				out, trace := curl(t, "-v", "--http1.0", "-w", "%{num_connects} %{http_code}\n",
					"-o", file("h10a"), base+"/plaintext", "-o", file("h10b"), base+"/plaintext")
				wantLines(t, "http1.0 close", out, "1 200", "1 200")
				if !strings.Contains(trace, "> GET /plaintext HTTP/1.0\r\n") {
					t.Errorf("curl did not send HTTP/1.0")
				}
				out, trace2 := curl(t, "-v", "--http1.0", "-H", "Connection: keep-alive",
					"-w", "%{num_connects} %{http_code}\n",
					"-o", file("h10c"), base+"/plaintext", "-o", file("h10d"), base+"/stream")
				wantLines(t, "http1.0 keep-alive", out, "1 200", "0 200")
				if n := tg.accepted() - before; n != 3 {
					t.Errorf("server accepted %d connections, want 3", n)
				}
				for _, name := range []string{"h10a", "h10b", "h10c"} {
					if b := readFile(t, file(name)); !bytes.Equal(b, helloBody) {
						t.Errorf("%s: body %q", name, b)
					}
				}
				// No chunked coding in HTTP/1.0: the streamed body ends
				// with the connection.
				if b := string(readFile(t, file("h10d"))); b != strings.Join(interopStream, "") {
					t.Errorf("HTTP/1.0 stream: body %q", b)
				}
				if te, ok := headerValue(trace2, "< ", "Transfer-Encoding"); ok {
					t.Errorf("HTTP/1.0 response with Transfer-Encoding %q", te)
				}
				if t.Failed() {
					t.Logf("curl -v:\n%s\n%s", trace, trace2)
				}
			})
		})
	}
}

// checkEcho checks an echoed upload: the body, and how the server saw the
// request framed.
func checkEcho(t *testing.T, trace string, head, body, want []byte, framing string, expect bool) {
	t.Helper()
	if sum(body) != sum(want) {
		t.Errorf("echoed %d bytes (sha256 %s), want %d (%s)", len(body), sum(body), len(want), sum(want))
	}
	if f, _ := headerValue(string(head), "", "X-Framing"); f != framing {
		t.Errorf("server saw the body framed by %q, want %q", f, framing)
	}
	if e, _ := headerValue(string(head), "", "X-Expect"); (e != "") != expect {
		t.Errorf("server saw Expect %q, want it: %v", e, expect)
	}
	if t.Failed() {
		t.Logf("response head:\n%s\ncurl -v:\n%s", head, clip(trace))
	}
}

func TestInteropCurlGzip(t *testing.T) {
	requirePeer(t, "curl", "the Debian package curl")
	for _, tg := range interopTargets(t, Options{Gzip: &GzipOptions{}}) {
		t.Run(tg.name, func(t *testing.T) {
			base := "http://" + tg.addr
			dir := t.TempDir()
			for _, tc := range []struct {
				name, path string
				compressed bool
				want       []byte
				coding     string // Content-Encoding expected
				framing    string // "length" or "chunked"
			}{
				{"sized", "/gzip", true, interopGzip, "gzip", "length"},
				{"streamed", "/stream", true, []byte(strings.Join(interopStream, "")), "gzip", "chunked"},
				{"small", "/plaintext", true, helloBody, "", "length"},
				{"not accepted", "/gzip", false, interopGzip, "", "length"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					headPath, bodyPath := filepath.Join(dir, tc.name+".head"), filepath.Join(dir, tc.name+".body")
					args := []string{"-D", headPath, "-o", bodyPath, base + tc.path}
					if tc.compressed {
						args = append([]string{"--compressed"}, args...)
					}
					curl(t, args...)
					head, body := string(readFile(t, headPath)), readFile(t, bodyPath)
					if !bytes.Equal(body, tc.want) {
						t.Errorf("decoded body: %d bytes (sha256 %s), want %d", len(body), sum(body), len(tc.want))
					}
					if ce, _ := headerValue(head, "", "Content-Encoding"); ce != tc.coding {
						t.Errorf("Content-Encoding %q, want %q", ce, tc.coding)
					}
					cl, sized := headerValue(head, "", "Content-Length")
					te, _ := headerValue(head, "", "Transfer-Encoding")
					switch {
					case tc.framing == "chunked" && te != "chunked":
						t.Errorf("Transfer-Encoding %q, want chunked", te)
					case tc.framing == "length" && !sized:
						t.Errorf("no Content-Length")
					case tc.coding == "gzip" && sized:
						if n, err := strconv.Atoi(cl); err != nil || n >= len(tc.want) {
							t.Errorf("gzip Content-Length %q for a %d-byte body", cl, len(tc.want))
						}
					}
					if t.Failed() {
						t.Logf("response head:\n%s", head)
					}
				})
			}
		})
	}
}

func TestInteropCurlTLS(t *testing.T) {
	requirePeer(t, "curl", "the Debian package curl")
	ss, err := netutil.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, ss.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	payloadPath, payload := writePayload(t, 1<<20)
	opts := Options{}
	opts.TCP.TLS = ss.Server
	for _, tg := range interopTargets(t, opts) {
		t.Run(tg.name, func(t *testing.T) {
			// The certificate is verified (for its IP address), not
			// waved through with -k; the second request rides the same
			// TLS connection.
			base := "https://" + tg.addr
			get, post := filepath.Join(dir, tg.name+".get"), filepath.Join(dir, tg.name+".post")
			before := tg.accepted()
			out, trace := curl(t, "-v", "--cacert", ca, "-w", "%{num_connects} %{http_code}\n",
				"-o", get, base+"/plaintext",
				"--next", "--cacert", ca, "-w", "%{num_connects} %{http_code}\n", "-H", "Expect:",
				"--data-binary", "@"+payloadPath, "-o", post, base+"/echo")
			wantLines(t, "https", out, "1 200", "0 200")
			if n := tg.accepted() - before; n != 1 {
				t.Errorf("server accepted %d connections, want 1", n)
			}
			if b := readFile(t, get); !bytes.Equal(b, helloBody) {
				t.Errorf("GET over TLS: %q", b)
			}
			if b := readFile(t, post); sum(b) != sum(payload) {
				t.Errorf("POST over TLS echoed %d bytes, want %d", len(b), len(payload))
			}
			if !strings.Contains(trace, "SSL connection using TLS") {
				t.Errorf("no TLS session in curl's trace")
			}
			if t.Failed() {
				t.Logf("curl -v:\n%s", clip(trace))
			}
		})
	}
}

// ---- script peers: Python's http.client, Tornado, Node ----

// scriptResult is one exchange as a script peer reports it.
type scriptResult struct {
	Name    string            `json:"name"`
	Status  int               `json:"status"`
	Error   string            `json:"error"`
	Headers map[string]string `json:"headers"` // lower-case names
	Len     int               `json:"len"`
	SHA256  string            `json:"sha256"`
	Body    string            `json:"body"` // the first 100 bytes
	Port    int               `json:"port"` // the client's local port
	Reused  *bool             `json:"reused"`
	Chunks  int               `json:"chunks"`
}

// scriptWant is what a script peer must have seen for one exchange.
type scriptWant struct {
	body   []byte
	fields map[string]string // lower-case name → value; "" means absent
}

func scriptWants(payload []byte) map[string]scriptWant {
	plain := scriptWant{helloBody, map[string]string{"content-type": "text/plain", "content-length": "13"}}
	return map[string]scriptWant{
		"get":            plain,
		"get-after-head": plain,
		"post":           {payload, map[string]string{"x-framing": "length", "x-expect": ""}},
		"chunked":        {payload, map[string]string{"x-framing": "chunked"}},
		"expect":         {payload, map[string]string{"x-framing": "length", "x-expect": "100-continue"}},
		"stream":         {[]byte(strings.Join(interopStream, "")), map[string]string{"transfer-encoding": "chunked", "content-length": ""}},
		"head":           {nil, map[string]string{"content-length": "13", "content-type": "text/plain"}},
	}
}

// runScript runs a script peer and checks every exchange it reports
// against want (each named exchange must be there, and only those).
func runScript(t *testing.T, interp, script string, want map[string]scriptWant, args ...string) []scriptResult {
	t.Helper()
	out, stderr := runPeer(t, interp, append([]string{filepath.Join("testdata", "interop", script)}, args...)...)
	var got []scriptResult
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%s: bad output (%v):\n%s\nstderr:\n%s", script, err, clip(out), stderr)
	}
	seen := map[string]bool{}
	for _, r := range got {
		w, ok := want[r.Name]
		if !ok || seen[r.Name] {
			t.Errorf("%s: unexpected exchange %q", script, r.Name)
			continue
		}
		seen[r.Name] = true
		if r.Status != 200 || r.Error != "" {
			t.Errorf("%s %s: status %d %s", script, r.Name, r.Status, r.Error)
		}
		if r.Len != len(w.body) || r.SHA256 != sum(w.body) {
			t.Errorf("%s %s: body of %d bytes starting %q, want %d bytes starting %q",
				script, r.Name, r.Len, r.Body[:min(len(r.Body), 40)], len(w.body), w.body[:min(len(w.body), 40)])
		}
		for name, value := range w.fields {
			if got := r.Headers[name]; got != value {
				t.Errorf("%s %s: %s is %q, want %q", script, r.Name, name, got, value)
			}
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("%s: exchange %q missing", script, name)
		}
	}
	if t.Failed() {
		t.Logf("%s reported:\n%s\nstderr:\n%s", script, clip(out), stderr)
	}
	return got
}

// checkOneConnection checks that a keep-alive client did everything on one
// connection: one accept on the server, one local port on the client.
func checkOneConnection(t *testing.T, tg interopTarget, before int64, got []scriptResult) {
	t.Helper()
	if n := tg.accepted() - before; n != 1 {
		t.Errorf("server accepted %d connections, want 1", n)
	}
	for i, r := range got {
		if r.Port == 0 || r.Port != got[0].Port {
			t.Errorf("exchange %s on local port %d, the first on %d", r.Name, r.Port, got[0].Port)
		}
		if r.Reused != nil && *r.Reused != (i > 0) {
			t.Errorf("exchange %s: socket reused %v", r.Name, *r.Reused)
		}
	}
}

func TestInteropPythonHTTPClient(t *testing.T) {
	py := requirePeer(t, "python3", "the Debian package python3")
	payloadPath, payload := writePayload(t, 256<<10)
	for _, tg := range interopTargets(t, Options{}) {
		t.Run(tg.name, func(t *testing.T) {
			before := tg.accepted()
			want := scriptWants(payload)
			// http.client sends the body of an Expect request at once,
			// not waiting for the 100 Continue.
			got := runScript(t, py, "httpclient.py", want, tg.addr, payloadPath)
			checkOneConnection(t, tg, before, got)
		})
	}
}

func TestInteropTornado(t *testing.T) {
	py := requirePeer(t, "tornado", "the Debian package python3-tornado (for /usr/bin/python3)")
	payloadPath, payload := writePayload(t, 256<<10)
	plain := interopTargets(t, Options{})
	gz := interopTargets(t, Options{Gzip: &GzipOptions{}})
	for i, tg := range plain {
		t.Run(tg.name, func(t *testing.T) {
			want := scriptWants(payload)
			delete(want, "get-after-head") // Tornado's client has no keep-alive
			want["gzip"] = scriptWant{interopGzip, map[string]string{
				"x-consumed-content-encoding": "gzip", "content-encoding": ""}}
			got := runScript(t, py, "tornado_client.py", want,
				"http://"+tg.addr, "http://"+gz[i].addr, payloadPath)
			for _, r := range got {
				if r.Name == "stream" && r.Chunks < 1 {
					t.Errorf("streaming_callback called %d times", r.Chunks)
				}
			}
		})
	}
}

func TestInteropNode(t *testing.T) {
	node := requirePeer(t, "node", "the Debian package nodejs")
	payloadPath, payload := writePayload(t, 256<<10)
	for _, tg := range interopTargets(t, Options{}) {
		t.Run(tg.name, func(t *testing.T) {
			before := tg.accepted()
			got := runScript(t, node, "node_client.js", scriptWants(payload), tg.addr, payloadPath)
			checkOneConnection(t, tg, before, got)
		})
	}
}

// ---- load generators: wrk, h2load, ab ----

// loadConns is the connection count of every load run.
const loadConns int64 = 16

// count finds re's first submatch as a number in a tool's report; a
// report without it fails the test.
func count(t *testing.T, tool, report string, re *regexp.Regexp) int {
	t.Helper()
	m := re.FindStringSubmatch(report)
	if m == nil {
		t.Fatalf("%s: no %q in its report:\n%s", tool, re, report)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		t.Fatalf("%s: %q: %v", tool, m[0], err)
	}
	return n
}

// checkConns checks that a load run kept its connections alive: the
// server accepted one per client connection, plus probes (connections the
// tool opens and closes before the run, to check the address).
func checkConns(t *testing.T, tg interopTarget, before int64, probes int, report string) {
	t.Helper()
	if n := tg.accepted() - before; n != loadConns+int64(probes) {
		t.Errorf("server accepted %d connections for %d client connections and %d probes:\n%s",
			n, loadConns, probes, report)
	}
}

var (
	wrkRequests  = regexp.MustCompile(`(\d+) requests in `)
	wrkSocketErr = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkNon2xx    = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

func TestInteropWrk(t *testing.T) {
	wrk := requirePeer(t, "wrk", "the Debian package wrk")
	for _, tg := range interopTargets(t, Options{}) {
		t.Run(tg.name, func(t *testing.T) {
			before := tg.accepted()
			report, stderr := runPeer(t, wrk, "-t1", fmt.Sprint("-c", loadConns), "-d1s", "--timeout", "5s",
				"http://"+tg.addr+"/plaintext")
			if n := count(t, "wrk", report, wrkRequests); n == 0 {
				t.Errorf("wrk completed no request")
			}
			if m := wrkSocketErr.FindStringSubmatch(report); m != nil {
				t.Errorf("wrk: %s", m[0])
			}
			if m := wrkNon2xx.FindStringSubmatch(report); m != nil {
				t.Errorf("wrk: %s", m[0])
			}
			// wrk.resolve connects once to each address before the run.
			checkConns(t, tg, before, 1, report)
			if t.Failed() {
				t.Logf("wrk:\n%s%s", report, stderr)
			}
		})
	}
}

var h2loadRequests = regexp.MustCompile(
	`requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout`)
var h2loadStatus = regexp.MustCompile(`status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx`)

func TestInteropH2load(t *testing.T) {
	h2load := requirePeer(t, "h2load", "the Debian package nghttp2-client")
	const n = 2000
	postPath, _ := writePayload(t, 4<<10)
	for _, tg := range interopTargets(t, Options{}) {
		for _, tc := range []struct {
			name string
			args []string
		}{
			{"get", []string{"http://" + tg.addr + "/plaintext"}},
			{"post", []string{"-d", postPath, "http://" + tg.addr + "/echo"}},
		} {
			t.Run(tg.name+"/"+tc.name, func(t *testing.T) {
				before := tg.accepted()
				// --h1 with -m 4: four requests pipelined per connection.
				args := append([]string{"--h1", fmt.Sprint("-n", n), fmt.Sprint("-c", loadConns), "-m4", "-t1"}, tc.args...)
				report, stderr := runPeer(t, h2load, args...)
				m := h2loadRequests.FindStringSubmatch(report)
				if m == nil {
					t.Fatalf("h2load: no request counts in its report:\n%s%s", report, stderr)
				}
				want := []string{m[0], fmt.Sprint(n), fmt.Sprint(n), fmt.Sprint(n), fmt.Sprint(n), "0", "0", "0"}
				if !slices.Equal(m, want) {
					t.Errorf("h2load: %s", m[0])
				}
				s := h2loadStatus.FindStringSubmatch(report)
				if s == nil || s[1] != fmt.Sprint(n) {
					t.Errorf("h2load: %v", s)
				}
				checkConns(t, tg, before, 0, report)
				if t.Failed() {
					t.Logf("h2load:\n%s%s", report, stderr)
				}
			})
		}
	}
}

var (
	abComplete  = regexp.MustCompile(`Complete requests:\s+(\d+)`)
	abFailed    = regexp.MustCompile(`Failed requests:\s+(\d+)`)
	abKeepAlive = regexp.MustCompile(`Keep-Alive requests:\s+(\d+)`)
	abNon2xx    = regexp.MustCompile(`Non-2xx responses:\s+(\d+)`)
)

func TestInteropAB(t *testing.T) {
	ab := requirePeer(t, "ab", "the Debian package apache2-utils")
	const n = 2000
	for _, tg := range interopTargets(t, Options{}) {
		t.Run(tg.name, func(t *testing.T) {
			before := tg.accepted()
			// ab speaks HTTP/1.0 with Connection: Keep-Alive.
			report, stderr := runPeer(t, ab, "-q", "-k", fmt.Sprint("-n", n), fmt.Sprint("-c", loadConns),
				"http://"+tg.addr+"/plaintext")
			if c := count(t, "ab", report, abComplete); c != n {
				t.Errorf("ab: %d complete requests, want %d", c, n)
			}
			if f := count(t, "ab", report, abFailed); f != 0 {
				t.Errorf("ab: %d failed requests", f)
			}
			if k := count(t, "ab", report, abKeepAlive); k != n {
				t.Errorf("ab: %d keep-alive requests, want %d", k, n)
			}
			if m := abNon2xx.FindStringSubmatch(report); m != nil {
				t.Errorf("ab: %s", m[0])
			}
			checkConns(t, tg, before, 0, report)
			if t.Failed() {
				t.Logf("ab:\n%s%s", report, stderr)
			}
		})
	}
}
