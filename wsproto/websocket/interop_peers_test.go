//go:build !windows

package websocket_test

// Interoperability with WebSocket implementations in other languages:
// Python's websockets and Tornado, Node's ws, and a headless Chromium page.
// Each peer runs as a program beside the test (scripts in testdata/peers),
// found by peerRequire, which skips the test when the peer is missing
// (naming what to install) or fails it when GALE_REQUIRE_PEERS is set, as
// CI does after installing them. The Go libraries (gorilla/websocket,
// coder/websocket) are tested in their own file. Windows builds leave this
// file out: the peers are Debian and npm packages the Windows test binaries
// (run under wine) cannot reach.
//
// Every client, whichever side it is, sends the messages of
// testdata/peers/messages.json in turn (text with multi-byte characters,
// binary across the 7-, 16- and 64-bit length encodings, repetitive text
// that compresses), checks each echo and its type, and closes with 1000
// "bye"; each case runs with and without permessage-deflate, and checks that
// compression was (or was not) negotiated.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gale-io/gale/httpproto/httpserver"
	"github.com/gale-io/gale/internal/interop"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/wsproto"
	"github.com/gale-io/gale/wsproto/websocket"
)

// peerTimeout bounds every run of a peer and every wait for an event.
const peerTimeout = 30 * time.Second

// peerRequire returns how to run the peer name: the interpreter or browser
// to start (and for Node the module directory to put on NODE_PATH). A
// missing peer skips the test, naming what provides it, unless the
// environment sets GALE_REQUIRE_PEERS: then it fails (interop.Require).
func peerRequire(t *testing.T, name string) (path string, env []string) {
	t.Helper()
	switch name {
	case "websockets", "tornado":
		return interop.Require(t, name, "Debian's python3-"+name, interop.PythonWith(name)), nil
	case "node-ws":
		path = interop.Require(t, name, "node and the npm package ws (.ci/run: npm install --prefix build/node ws@8.23.0)",
			func() (string, error) {
				p, e, err := peerNodeWS()
				env = e
				return p, err
			})
		return path, env
	case "chromium":
		return interop.Require(t, name, "Debian's chromium", func() (string, error) {
			if p, err := exec.LookPath("chromium"); err == nil {
				return p, nil
			}
			return exec.LookPath("chromium-browser")
		}), nil
	}
	t.Fatalf("unknown peer %q", name)
	return "", nil
}

// peerNodeWS finds node and a directory holding the ws package: NODE_PATH
// as set, else build/node/node_modules at the repository's root (where
// .ci/run installs it).
func peerNodeWS() (string, []string, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return "", nil, err
	}
	dirs := filepath.SplitList(os.Getenv("NODE_PATH"))
	if root, err := filepath.Abs("../.."); err == nil {
		dirs = append(dirs, filepath.Join(root, "build", "node", "node_modules"))
	}
	env := []string{"NODE_PATH=" + strings.Join(dirs, string(filepath.ListSeparator))}
	ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "-e", "require('ws')")
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", nil, fmt.Errorf("node cannot require ws: %v %s", err, interop.LastLine(out))
	}
	return node, env, nil
}

// peerMessage is one interop message.
type peerMessage struct {
	op   wsproto.Opcode
	data []byte
}

// peerMessages builds the messages of testdata/peers/messages.json the way
// the scripts build them: a repeated text is cut after size code points,
// binary byte j of message i is (7j+i) mod 256.
func peerMessages(t *testing.T) []peerMessage {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "peers", "messages.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Messages []struct {
			Kind, Text, Repeat string
			Size               int
		}
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	var msgs []peerMessage
	for i, m := range spec.Messages {
		switch m.Kind {
		case "text":
			s := m.Text
			if m.Repeat != "" {
				unit := []rune(m.Repeat)
				r := make([]rune, m.Size)
				for j := range r {
					r[j] = unit[j%len(unit)]
				}
				s = string(r)
			}
			msgs = append(msgs, peerMessage{wsproto.OpText, []byte(s)})
		case "binary":
			b := make([]byte, m.Size)
			for j := range b {
				b[j] = byte(j*7 + i)
			}
			msgs = append(msgs, peerMessage{wsproto.OpBinary, b})
		default:
			t.Fatalf("messages.json: unknown kind %q", m.Kind)
		}
	}
	if len(msgs) < 5 {
		t.Fatalf("messages.json holds only %d messages", len(msgs))
	}
	return msgs
}

// peerCompression is the configuration the interop endpoints use when
// compression is on: the defaults, with every message compressed.
func peerCompression(on bool) *wsproto.DeflateConfig {
	if !on {
		return nil
	}
	return &wsproto.DeflateConfig{Threshold: 1}
}

// peerServer is a gale server for the interop clients: /ws echoes every
// message with its opcode (a text "RESULT ..." from the browser page is
// its verdict instead: it is reported and the server closes with 1000),
// /page serves the browser's test page.
type peerServer struct {
	addr    string
	opened  chan bool // per connection: whether compression was negotiated
	results chan string
	closed  chan *websocket.CloseError
}

func startPeerServer(t *testing.T, compress bool) *peerServer {
	t.Helper()
	ps := &peerServer{
		opened:  make(chan bool, 8),
		results: make(chan string, 8),
		closed:  make(chan *websocket.CloseError, 8),
	}
	opts := &websocket.ServerOptions{}
	opts.Compression = peerCompression(compress)
	opts.MaxMessageSize = 16 << 20
	page := peerPage(t)
	h := func(w *httpserver.ResponseWriter, r *httpserver.Request) {
		switch string(r.Path) {
		case "/ws":
			if _, err := websocket.Upgrade(w, r, &peerEcho{ps: ps}, opts); err != nil {
				t.Errorf("upgrade: %v", err)
			}
		case "/page":
			w.Respond(200, "text/html; charset=utf-8", page)
		default:
			w.Respond(404, "text/plain", []byte("not found\n"))
		}
	}
	srvOpts := &httpserver.Options{}
	srvOpts.TCP.Loops = 1
	s := httpserver.New(h, srvOpts)
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ps.addr = s.Addrs()[0].String()
	return ps
}

// peerEcho is the server side of one interop connection.
type peerEcho struct {
	websocket.BaseHandler
	ps *peerServer
}

func (h *peerEcho) OnOpen(c *websocket.Conn) {
	_, on := c.Compression()
	h.ps.opened <- on
}

func (h *peerEcho) OnMessage(c *websocket.Conn, op wsproto.Opcode, data []byte) {
	if op == wsproto.OpText && bytes.HasPrefix(data, []byte("RESULT ")) {
		h.ps.results <- string(data[len("RESULT "):])
		c.Close(wsproto.CloseNormal, "done")
		return
	}
	if err := c.WriteMessage(op, data); err != nil {
		h.ps.results <- "server write: " + err.Error()
	}
}

func (h *peerEcho) OnClose(c *websocket.Conn, e *websocket.CloseError) { h.ps.closed <- e }

// waitFor receives from ch within peerTimeout.
func waitFor[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(peerTimeout):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// checkServerSide checks what the server saw of one interop client's
// connection: compression as configured, and a clean close handshake that
// the client started with 1000 "bye".
func (ps *peerServer) checkClientClosed(t *testing.T, compress bool) {
	t.Helper()
	if on := waitFor(t, "the connection's open", ps.opened); on != compress {
		t.Errorf("server: compression negotiated = %v, want %v", on, compress)
	}
	e := waitFor(t, "the connection's close", ps.closed)
	if e.Err != nil || e.Local || e.Code != wsproto.CloseNormal || e.Reason != "bye" {
		t.Errorf("server: close = %+v, want a clean close by the client with 1000 \"bye\"", e)
	}
}

// peerVerdict is the JSON line an interop client prints.
type peerVerdict struct {
	OK         bool   `json:"ok"`
	Count      int    `json:"count"`
	Extensions string `json:"extensions"`
	Error      string `json:"error"`
}

// runPeerClient runs a client script to its end and checks its verdict:
// every message echoed, and permessage-deflate in the handshake's answer
// exactly when compress is on.
func runPeerClient(t *testing.T, compress bool, want int, path string, env []string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), peerTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(append(os.Environ(), "NO_PROXY=*", "no_proxy=*"), env...)
	cmd.WaitDelay = time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var v peerVerdict
	if jerr := json.Unmarshal(interop.LastLine(out.Bytes()), &v); jerr != nil || err != nil || !v.OK {
		t.Fatalf("%s %s: %v (verdict %+v)\nstdout:\n%s\nstderr:\n%s", filepath.Base(path),
			strings.Join(args, " "), err, v, out.Bytes(), errb.Bytes())
	}
	if v.Count != want {
		t.Errorf("client echoed %d messages, want %d", v.Count, want)
	}
	if got := strings.Contains(v.Extensions, "permessage-deflate"); got != compress {
		t.Errorf("client saw Sec-WebSocket-Extensions %q; compression on = %v", v.Extensions, compress)
	}
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// TestInteropPeerClients: Python's websockets, Tornado's websocket_connect
// and Node's ws as clients of gale's server.
func TestInteropPeerClients(t *testing.T) {
	want := len(peerMessages(t))
	script := filepath.Join("testdata", "peers", "ws_client.py")
	nodeScript := filepath.Join("testdata", "peers", "ws_client.js")
	for _, peer := range []string{"websockets", "tornado", "node-ws"} {
		for _, compress := range []bool{false, true} {
			t.Run(peer+"/compress="+onOff(compress), func(t *testing.T) {
				path, env := peerRequire(t, peer)
				ps := startPeerServer(t, compress)
				url := "ws://" + ps.addr + "/ws"
				if peer == "node-ws" {
					runPeerClient(t, compress, want, path, env, nodeScript, url, onOff(compress))
				} else {
					runPeerClient(t, compress, want, path, env, script, peer, url, onOff(compress))
				}
				ps.checkClientClosed(t, compress)
			})
		}
	}
}

// peerPage is the browser's test page: messages.js and messages.json
// inlined, the same exchange as the other clients, and the verdict sent
// back as a text message "RESULT ok <extensions>" or "RESULT fail ...".
func peerPage(t *testing.T) []byte {
	t.Helper()
	js, err := os.ReadFile(filepath.Join("testdata", "peers", "messages.js"))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := os.ReadFile(filepath.Join("testdata", "peers", "messages.json"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.WriteString("<!doctype html>\n<meta charset=\"utf-8\">\n<title>gale interop</title>\n<script>\n")
	b.Write(js)
	b.WriteString("\nconst msgs = buildMessages(")
	b.Write(spec)
	b.WriteString(`);
const ws = new WebSocket('ws://' + location.host + '/ws');
ws.binaryType = 'arraybuffer';
let i = 0;
const report = (s) => ws.send('RESULT ' + s);
const send = () => ws.send(msgs[i]);
ws.onopen = send;
ws.onmessage = (e) => {
  const m = msgs[i];
  if (typeof m === 'string') {
    if (typeof e.data !== 'string') return report('fail message ' + i + ': text came back binary');
    if (e.data !== m) return report('fail message ' + i + ': text differs');
  } else {
    if (!(e.data instanceof ArrayBuffer)) return report('fail message ' + i + ': binary came back text');
    const g = new Uint8Array(e.data);
    if (g.length !== m.length) return report('fail message ' + i + ': length ' + g.length + ' want ' + m.length);
    for (let j = 0; j < g.length; j++) if (g[j] !== m[j]) return report('fail message ' + i + ': byte ' + j);
  }
  i++;
  if (i < msgs.length) send(); else report('ok ' + msgs.length + ' ' + ws.extensions);
};
ws.onerror = () => { document.title = 'error'; };
</script>
`)
	return b.Bytes()
}

// TestInteropChromium: a headless Chromium page as the client of gale's
// server, with and without compression (Chromium always offers it; the
// server declines when it is off).
func TestInteropChromium(t *testing.T) {
	want := len(peerMessages(t))
	for _, compress := range []bool{false, true} {
		t.Run("compress="+onOff(compress), func(t *testing.T) {
			path, _ := peerRequire(t, "chromium")
			ps := startPeerServer(t, compress)
			ctx, cancel := context.WithTimeout(t.Context(), peerTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, path, "--headless=new", "--no-sandbox", "--disable-gpu",
				"--no-first-run", "--no-default-browser-check", "--disable-extensions",
				"--user-data-dir="+t.TempDir(), "http://"+ps.addr+"/page")
			cmd.Env = append(os.Environ(), "NO_PROXY=*", "no_proxy=*")
			var errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = io.Discard, &errb
			cmd.WaitDelay = 2 * time.Second
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			defer func() {
				cmd.Process.Kill()
				<-exited
			}()
			if on := waitFor(t, "the page's connection", ps.opened); on != compress {
				t.Errorf("compression negotiated = %v, want %v", on, compress)
			}
			var res string
			select {
			case res = <-ps.results:
			case err := <-exited:
				t.Fatalf("chromium exited before the page reported: %v\n%s", err, clip(errb.String()))
			case <-time.After(peerTimeout):
				t.Fatalf("timed out waiting for the page's result\n%s", clip(errb.String()))
			}
			wantPrefix := "ok " + strconv.Itoa(want)
			if !strings.HasPrefix(res, wantPrefix) {
				t.Fatalf("page reported %q, want %q...", res, wantPrefix)
			}
			if got := strings.Contains(res, "permessage-deflate"); got != compress {
				t.Errorf("page saw extensions %q; compression on = %v", res, compress)
			}
			// The server closed with 1000 "done"; the browser answers.
			e := waitFor(t, "the close handshake", ps.closed)
			if e.Err != nil || !e.Local || e.Code != wsproto.CloseNormal {
				t.Errorf("close = %+v, want a clean close handshake started by the server", e)
			}
		})
	}
}

func clip(s string) string {
	if len(s) > 4000 {
		return s[len(s)-4000:]
	}
	return s
}

// peerRecorder is the gale client's Handler: it hands every message and
// the close to the test goroutine.
type peerRecorder struct {
	websocket.BaseHandler
	msgs   chan peerMessage
	closed chan *websocket.CloseError
}

func (h *peerRecorder) OnMessage(c *websocket.Conn, op wsproto.Opcode, data []byte) {
	h.msgs <- peerMessage{op, bytes.Clone(data)}
}

func (h *peerRecorder) OnClose(c *websocket.Conn, e *websocket.CloseError) { h.closed <- e }

// peerTestLoop runs a loop for the test on its own goroutine.
func peerTestLoop(t *testing.T) *loop.Loop {
	t.Helper()
	l, err := loop.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Run() }()
	t.Cleanup(func() {
		l.Stop()
		if err := <-done; err != nil {
			t.Errorf("loop: %v", err)
		}
		l.Close()
	})
	return l
}

// onLoop runs f on l and waits for it.
func onLoop(t *testing.T, l *loop.Loop, f func()) {
	t.Helper()
	done := make(chan struct{})
	if err := l.Post(func() { f(); close(done) }); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the loop", done)
}

// startPeerServerProc starts a peer's echo server script and returns its
// port and the lines it prints after that; closing its stdin stops it.
func startPeerServerProc(t *testing.T, path string, env []string, args ...string) (port string, lines <-chan string) {
	t.Helper()
	first, lines := interop.StartServer(t, path, env, args...)
	port, ok := strings.CutPrefix(first, "port ")
	if !ok {
		t.Fatalf("%s %v: no port line (got %q)", filepath.Base(path), args, first)
	}
	return port, lines
}

// TestInteropPeerServers: gale's client against Python's websockets,
// Tornado's WebSocketHandler and Node's ws as servers.
func TestInteropPeerServers(t *testing.T) {
	msgs := peerMessages(t)
	for _, peer := range []string{"websockets", "tornado", "node-ws"} {
		for _, compress := range []bool{false, true} {
			t.Run(peer+"/compress="+onOff(compress), func(t *testing.T) {
				path, env := peerRequire(t, peer)
				var port string
				var lines <-chan string
				if peer == "node-ws" {
					port, lines = startPeerServerProc(t, path, env, filepath.Join("testdata", "peers", "ws_server.js"), onOff(compress))
				} else {
					port, lines = startPeerServerProc(t, path, env, filepath.Join("testdata", "peers", "ws_server.py"), peer, onOff(compress))
				}
				l := peerTestLoop(t)
				h := &peerRecorder{msgs: make(chan peerMessage, len(msgs)), closed: make(chan *websocket.CloseError, 1)}
				opts := &websocket.DialOptions{}
				opts.Compression = peerCompression(compress)
				opts.MaxMessageSize = 16 << 20
				type dialed struct {
					c   *websocket.Conn
					err error
				}
				dch := make(chan dialed, 1)
				onLoop(t, l, func() {
					websocket.Dial(t.Context(), l, "ws://127.0.0.1:"+port+"/ws", h, opts, func(c *websocket.Conn, err error) {
						dch <- dialed{c, err}
					})
				})
				d := waitFor(t, "the handshake", dch)
				if d.err != nil {
					t.Fatalf("dial: %v", d.err)
				}
				c := d.c
				var on bool
				onLoop(t, l, func() { _, on = c.Compression() })
				if on != compress {
					t.Errorf("compression negotiated = %v, want %v", on, compress)
				}
				for i, m := range msgs {
					var err error
					onLoop(t, l, func() { err = c.WriteMessage(m.op, m.data) })
					if err != nil {
						t.Fatalf("message %d: write: %v", i, err)
					}
					got := waitFor(t, fmt.Sprintf("echo %d", i), h.msgs)
					if got.op != m.op || !bytes.Equal(got.data, m.data) {
						t.Fatalf("message %d (%v, %d bytes) came back as %v, %d bytes", i, m.op, len(m.data), got.op, len(got.data))
					}
					if m.op == wsproto.OpText && !utf8.Valid(got.data) {
						t.Fatalf("message %d: invalid UTF-8 delivered", i)
					}
				}
				onLoop(t, l, func() { err := c.Close(wsproto.CloseNormal, "bye"); _ = err })
				e := waitFor(t, "the close", h.closed)
				if e.Err != nil || !e.Local || e.Code != wsproto.CloseNormal {
					t.Errorf("close = %+v, want a clean close handshake started by the client", e)
				}
				line := waitFor(t, "the server's close line", lines)
				if line != "close 1000 bye" {
					t.Errorf("server printed %q, want %q", line, "close 1000 bye")
				}
			})
		}
	}
}
