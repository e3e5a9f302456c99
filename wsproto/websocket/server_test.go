package websocket

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/httpproto/httpserver"
	"github.com/gale-io/gale/wsproto"
)

func TestUpgradeEcho(t *testing.T) {
	rec := newRecorder()
	var hdr httpproto.Headers
	hdr.Add("Set-Cookie", "a=b")
	addr := startServer(t, &ServerOptions{Subprotocols: []string{"chat", "superchat"}, Header: &hdr}, func() Handler { return rec })
	rc := dialRaw(t, addr)
	// A frame sent right behind the request must not be lost.
	resp := rc.handshake(upgradeRequestText("Sec-WebSocket-Protocol: other, superchat, chat"), frame(true, false, wsproto.OpText, []byte("early")))
	if resp.StatusCode != 101 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Errorf("accept %q", got)
	}
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != "superchat" {
		t.Errorf("protocol %q", got)
	}
	if got := resp.Header.Get("Set-Cookie"); got != "a=b" {
		t.Errorf("extra header %q", got)
	}
	if resp.Header.Get("Sec-WebSocket-Extensions") != "" {
		t.Errorf("extension accepted without Compression")
	}
	c := <-rec.opened
	if c.Subprotocol() != "superchat" {
		t.Errorf("Subprotocol() = %q", c.Subprotocol())
	}
	rc.expectFrame(wsproto.OpText, []byte("early"))
	rc.send(frame(true, false, wsproto.OpBinary, []byte{0, 1, 2}))
	rc.expectFrame(wsproto.OpBinary, []byte{0, 1, 2})
	rc.send(frame(true, false, wsproto.OpClose, closePayload(4000, "bye")))
	if code, _ := rc.expectClose(); code != 4000 {
		t.Errorf("close echo %d", code)
	}
	rc.expectEOF()
	e := rec.waitClose(t)
	if e.Code != 4000 || e.Reason != "bye" || e.Local || e.Err != nil || !e.Clean() {
		t.Errorf("close %+v", e)
	}
}

func TestHandshakeFailures(t *testing.T) {
	rec := newRecorder()
	addr := startServer(t, nil, func() Handler { return rec })
	base := "Host: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + testKey + "\r\n"
	cases := []struct {
		name    string
		req     string
		status  int
		hdr     string
		hdrWant string
	}{
		{"post", "POST /ws HTTP/1.1\r\n" + base + "Content-Length: 0\r\n\r\n", 405, "Allow", "GET"},
		{"http10", "GET /ws HTTP/1.0\r\n" + base + "\r\n", 400, "", ""},
		{"no upgrade", "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + testKey + "\r\n\r\n", 400, "", ""},
		{"upgrade h2c", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + testKey + "\r\n\r\n", 400, "", ""},
		{"no connection", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + testKey + "\r\n\r\n", 400, "", ""},
		{"version 8", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: " + testKey + "\r\n\r\n", 426, "Sec-WebSocket-Version", "13"},
		{"no version", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + testKey + "\r\n\r\n", 426, "Sec-WebSocket-Version", "13"},
		{"no key", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n", 400, "", ""},
		{"short key", "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: abc\r\n\r\n", 400, "", ""},
		{"two keys", "GET /ws HTTP/1.1\r\n" + base + "Sec-WebSocket-Key: " + testKey + "\r\n\r\n", 400, "", ""},
		{"bad origin", "GET /ws HTTP/1.1\r\n" + base + "Origin: http://evil.example\r\n\r\n", 403, "", ""},
		{"bad protocol list", "GET /ws HTTP/1.1\r\n" + base + "Sec-WebSocket-Protocol: a b\r\n\r\n", 400, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRaw(t, addr)
			resp := rc.handshake(tc.req, nil)
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, body, tc.status)
			}
			if tc.hdr != "" && resp.Header.Get(tc.hdr) != tc.hdrWant {
				t.Errorf("%s: %q, want %q", tc.hdr, resp.Header.Get(tc.hdr), tc.hdrWant)
			}
			if len(bytes.TrimSpace(body)) == 0 {
				t.Errorf("no reason in the body")
			}
		})
	}
	select {
	case <-rec.opened:
		t.Fatal("a failed handshake opened a connection")
	default:
	}
}

func TestOrigin(t *testing.T) {
	rec := newRecorder()
	addr := startServer(t, nil, func() Handler { return rec })
	for _, tc := range []struct {
		origin string
		status int
	}{
		{"http://example.com", 101},
		{"https://EXAMPLE.com", 101},
		{"http://example.com:8080", 403},
		{"http://other.com", 403},
		{"null", 403},
		// Tornado compares the origin's whole netloc with Host: userinfo
		// is not part of an origin (RFC 6454) and makes it differ.
		{"http://u@example.com", 403},
		{"http://u:p@example.com", 403},
	} {
		rc := dialRaw(t, addr)
		resp := rc.handshake(upgradeRequestText("Origin: "+tc.origin), nil)
		if resp.StatusCode != tc.status {
			t.Errorf("origin %q: status %d, want %d", tc.origin, resp.StatusCode, tc.status)
		}
		if resp.StatusCode == 101 {
			rc.send(frame(true, false, wsproto.OpClose, nil))
			rc.expectClose()
			rec.waitClose(t)
		}
	}
	// A custom check.
	rec2 := newRecorder()
	addr2 := startServer(t, &ServerOptions{CheckOrigin: func(origin, host string) bool { return strings.HasSuffix(origin, ".trusted") }}, func() Handler { return rec2 })
	rc := dialRaw(t, addr2)
	if resp := rc.handshake(upgradeRequestText("Origin: http://evil"), nil); resp.StatusCode != 403 {
		t.Errorf("custom check: %d", resp.StatusCode)
	}
	rc = dialRaw(t, addr2)
	if resp := rc.handshake(upgradeRequestText("Origin: http://a.trusted"), nil); resp.StatusCode != 101 {
		t.Errorf("custom check: %d", resp.StatusCode)
	}
	rc.send(frame(true, false, wsproto.OpClose, nil))
	rc.expectClose()
	rec2.waitClose(t)
}

func TestUpgradeHTTP(t *testing.T) {
	rec := newRecorder()
	mux := http.NewServeMux()
	errs := make(chan error, 4)
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		_, err := UpgradeHTTP(w, r, rec, &ServerOptions{Subprotocols: []string{"chat"}})
		errs <- err
	})
	addr := startHTTP(t, httpserver.NetHTTP(mux))
	rc := dialRaw(t, addr)
	resp := rc.handshake(upgradeRequestText("Sec-WebSocket-Protocol: chat"), frame(true, false, wsproto.OpText, []byte("early")))
	if resp.StatusCode != 101 || resp.Header.Get("Sec-WebSocket-Protocol") != "chat" {
		t.Fatalf("status %d %v", resp.StatusCode, resp.Header)
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	<-rec.opened
	rc.expectFrame(wsproto.OpText, []byte("early"))
	big := bytes.Repeat([]byte("x"), 200<<10)
	rc.send(frame(true, false, wsproto.OpBinary, big))
	rc.expectFrame(wsproto.OpBinary, big)
	rc.send(frame(true, false, wsproto.OpClose, closePayload(1000, "")))
	rc.expectClose()
	rc.expectEOF()
	if e := rec.waitClose(t); e.Code != 1000 || e.Err != nil {
		t.Errorf("close %+v", e)
	}

	// A failed check through net/http.
	rc = dialRaw(t, addr)
	resp = rc.handshake("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 7\r\nSec-WebSocket-Key: "+testKey+"\r\n\r\n", nil)
	if resp.StatusCode != 426 || resp.Header.Get("Sec-WebSocket-Version") != "13" {
		t.Errorf("status %d %v", resp.StatusCode, resp.Header)
	}
	if err := <-errs; err == nil {
		t.Error("no error for a failed handshake")
	}
}

// The fields a net/http handler set on w.Header() before UpgradeHTTP go
// out with the 101, as they do with Upgrade (which answers through the
// same ResponseWriter): a cookie, say.
func TestUpgradeHTTPHandlerHeader(t *testing.T) {
	rec := newRecorder()
	var extra httpproto.Headers
	extra.Set("X-Opts", "too")
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "session=1")
		w.Header().Set("X-Handler", "yes")
		UpgradeHTTP(w, r, rec, &ServerOptions{Header: &extra})
	})
	addr := startHTTP(t, httpserver.NetHTTP(mux))
	rc := dialRaw(t, addr)
	resp := rc.open()
	for name, want := range map[string]string{"Set-Cookie": "session=1", "X-Handler": "yes", "X-Opts": "too", "Upgrade": "websocket"} {
		if got := resp.Header.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	rc.send(frame(true, false, wsproto.OpClose, nil))
	rc.expectClose()
	rc.expectEOF()
	rec.waitClose(t)
}

// UpgradeHTTP on a connection net/http serves cannot take it over.
func TestUpgradeHTTPForeignServer(t *testing.T) {
	errs := make(chan error, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := UpgradeHTTP(w, r, BaseHandler{}, nil)
		errs <- err
	})}
	ln := listenTCP(t)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	rc := dialRaw(t, ln.Addr().String())
	resp := rc.handshake(upgradeRequestText(), nil)
	if resp.StatusCode != 500 {
		t.Errorf("status %d", resp.StatusCode)
	}
	err := <-errs
	var he *HandshakeError
	if !errorsAs(err, &he) || he.Status != 500 {
		t.Errorf("error %v", err)
	}
}

// TestServerShutdownGoingAway: a graceful Shutdown of the HTTP server ends
// each WebSocket connection with a Close frame of 1001 and its closing
// handshake, and returns once they are closed; a connection detached by a
// protocol without a shutdown handler is closed at once.
func TestServerShutdownGoingAway(t *testing.T) {
	rec := newRecorder()
	opts := &httpserver.Options{}
	opts.TCP.Loops = 1
	srv := httpserver.New(func(w *httpserver.ResponseWriter, r *httpserver.Request) {
		if string(r.Path) == "/raw" {
			w.SetStatus(101, "")
			w.Header().Set("Upgrade", "raw")
			w.Header().Set("Connection", "Upgrade")
			w.SendHead()
			w.Detach() // the stream stays open, owned by nobody in particular
			return
		}
		Upgrade(w, r, rec, nil)
	}, opts)
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	addr := srv.Addrs()[0].String()

	client := newRecorder()
	client.noEcho = true
	l := clientLoop(t)
	if _, err := dialSync(t, l, "ws://"+addr+"/", client, nil); err != nil {
		t.Fatal(err)
	}
	<-rec.opened
	raw := dialRaw(t, addr)
	raw.handshake("GET /raw HTTP/1.1\r\nHost: x\r\nUpgrade: raw\r\nConnection: Upgrade\r\n\r\n", nil)

	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if e := client.waitClose(t); e.Code != wsproto.CloseGoingAway || e.Reason != "server shutting down" || !e.Clean() {
		t.Fatalf("client saw %+v, want a clean 1001 \"server shutting down\"", e)
	}
	if e := rec.waitClose(t); e.Code != wsproto.CloseGoingAway || !e.Local || !e.Clean() {
		t.Fatalf("server saw %+v, want its own clean 1001", e)
	}
	raw.expectEOF()
}

// unwrapWriter is a middleware's ResponseWriter that lets
// http.ResponseController reach the adapter's through Unwrap.
type unwrapWriter struct{ http.ResponseWriter }

func (w unwrapWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// hidingWriter hides the adapter's Hijack (no Unwrap).
type hidingWriter struct{ http.ResponseWriter }

// UpgradeHTTP behind a middleware that wraps the ResponseWriter: one with
// Unwrap is taken over; one that hides Hijack gets 501 and ErrNotHijackable,
// as docs/websocket.md says.
func TestUpgradeHTTPWrappedWriter(t *testing.T) {
	rec := newRecorder()
	errs := make(chan error, 2)
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		_, err := UpgradeHTTP(w, r, rec, nil)
		errs <- err
	})
	addr := startHTTP(t, httpserver.NetHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Hide") != "" {
			mux.ServeHTTP(hidingWriter{w}, r)
			return
		}
		mux.ServeHTTP(unwrapWriter{w}, r)
	})))
	rc := dialRaw(t, addr)
	rc.open()
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	rc.send(frame(true, false, wsproto.OpText, []byte("hi")))
	rc.expectFrame(wsproto.OpText, []byte("hi"))
	rc.send(frame(true, false, wsproto.OpClose, nil))
	rc.expectClose()
	rc.expectEOF()
	rec.waitClose(t)

	rc = dialRaw(t, addr)
	if resp := rc.handshake(upgradeRequestText("X-Hide: 1"), nil); resp.StatusCode != 501 {
		t.Errorf("status %d through a wrapper hiding Hijack, want 501", resp.StatusCode)
	}
	if err := <-errs; !errors.Is(err, ErrNotHijackable) {
		t.Errorf("error %v, want ErrNotHijackable", err)
	}
}

// A handshake whose Host field is empty is refused with 400, through
// Upgrade and UpgradeHTTP alike: RFC 6455 section 4.2.1 wants the server's
// authority there, and Tornado answers "Missing/Invalid WebSocket headers"
// (HTTP/1.1 itself allows an empty Host, so the HTTP layer lets it pass).
// Both used to upgrade.
func TestHandshakeEmptyHost(t *testing.T) {
	rec := newRecorder()
	errs := make(chan error, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		_, err := UpgradeHTTP(w, r, rec, nil)
		errs <- err
	})
	servers := []struct {
		name string
		addr string
	}{
		{"Upgrade", startHTTP(t, func(w *httpserver.ResponseWriter, r *httpserver.Request) {
			_, err := Upgrade(w, r, rec, nil)
			errs <- err
		})},
		{"UpgradeHTTP", startHTTP(t, httpserver.NetHTTP(mux))},
	}
	req := strings.Replace(upgradeRequestText(), "Host: example.com\r\n", "Host:\r\n", 1)
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			rc := dialRaw(t, s.addr)
			resp := rc.handshake(req, nil)
			io.Copy(io.Discard, resp.Body)
			if resp.StatusCode != 400 {
				t.Errorf("status %d for an empty Host, want 400", resp.StatusCode)
			}
			var he *HandshakeError
			if err := <-errs; !errors.As(err, &he) || he.Status != 400 {
				t.Errorf("error %v, want a HandshakeError with status 400", err)
			}
			if resp.StatusCode == 101 {
				rc.send(frame(true, false, wsproto.OpClose, nil))
				rc.expectClose()
				rec.waitClose(t)
			}
		})
	}
	select {
	case <-rec.opened:
		t.Error("a handshake without Host opened a connection")
	default:
	}
}

// A refused handshake keeps the fields the program set before Upgrade (a
// CORS field, say), as Tornado and UpgradeHTTP keep them, but not a
// Content-Length that would misframe the refusal's text body.
func TestHandshakeRefusalKeepsProgramFields(t *testing.T) {
	rec := newRecorder()
	errs := make(chan error, 1)
	addr := startHTTP(t, func(w *httpserver.ResponseWriter, r *httpserver.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Content-Length", "1000")
		_, err := Upgrade(w, r, rec, nil)
		errs <- err
	})
	req := strings.Replace(upgradeRequestText(), "Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8", 1)
	rc := dialRaw(t, addr)
	resp := rc.handshake(req, nil)
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the refusal: %v", err)
	}
	if resp.StatusCode != 426 || resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Sec-WebSocket-Version") != "13" {
		t.Errorf("refusal %d %v, want 426 with the program's CORS field", resp.StatusCode, resp.Header)
	}
	if !strings.Contains(string(body), "version") {
		t.Errorf("refusal body %q", body)
	}
	if err := <-errs; err == nil {
		t.Error("Upgrade returned no error")
	}
}
