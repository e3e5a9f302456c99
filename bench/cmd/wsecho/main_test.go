package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/gale-io/gale/bench/internal/benchtest"
)

func TestMain(m *testing.M) {
	code := benchtest.Main(m)
	bin.Remove()
	os.Exit(code)
}

// bin is wsecho, built once for the tests that run it.
var bin = &benchtest.Binary{Name: "wsecho"}

func build(t *testing.T) string {
	t.Helper()
	return bin.Build(t)
}

// runEcho runs wsecho and returns its exit code, stdout and stderr.
func runEcho(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, build(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), stdout.String(), stderr.String()
	}
	t.Fatal(err)
	return 0, "", ""
}

// gorillaServer serves one WebSocket session with session on a
// gorilla/websocket server (compression accepted) until the test ends;
// session's error fails the test.
func gorillaServer(t *testing.T, session func(c *websocket.Conn) error) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	up := websocket.Upgrader{EnableCompression: true}
	errs := make(chan error, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			errs <- err
			return
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		errs <- session(c)
	})}
	done := make(chan struct{})
	go func() { srv.Serve(ln); close(done) }()
	t.Cleanup(func() {
		srv.Close()
		<-done
		select {
		case err := <-errs:
			if err != nil {
				t.Errorf("server session: %v", err)
			}
		default:
			t.Error("no WebSocket session was served")
		}
	})
	return "ws://" + ln.Addr().String() + "/echo"
}

// echoes sends text, binary and a 1 MiB message, checks each echo and its
// opcode, then closes with code.
func echoes(code int) func(c *websocket.Conn) error {
	return func(c *websocket.Conn) error {
		for _, m := range []struct {
			op   int
			data []byte
		}{
			{websocket.TextMessage, []byte("héllo")},
			{websocket.BinaryMessage, []byte{0, 1, 2, 0xff}},
			{websocket.TextMessage, nil},
			{websocket.BinaryMessage, bytes.Repeat([]byte("wsecho "), 150000)},
		} {
			if err := c.WriteMessage(m.op, m.data); err != nil {
				return err
			}
			op, got, err := c.ReadMessage()
			if err != nil {
				return err
			}
			if op != m.op || !bytes.Equal(got, m.data) {
				return fmt.Errorf("echo of a %d-byte message type %d: type %d, %d bytes", len(m.data), m.op, op, len(got))
			}
		}
		if err := c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(code, "bye")); err != nil {
			return err
		}
		_, _, err := c.ReadMessage()
		if !websocket.IsCloseError(err, code) {
			return fmt.Errorf("after the close: %v, want wsecho's close %d", err, code)
		}
		return nil
	}
}

func TestEchoAndClose(t *testing.T) {
	for _, compress := range []bool{false, true} {
		url := gorillaServer(t, echoes(4001))
		args := []string{"-url", url}
		if compress {
			args = append(args, "-compress")
		}
		code, out, errOut := runEcho(t, args...)
		if code != 0 || out != "close 4001\n" {
			t.Errorf("compress %v: exit %d, stdout %q, stderr %q; want 0 and \"close 4001\"", compress, code, out, errOut)
		}
	}
}

// A server that drops the connection without a close handshake, one that
// breaks the protocol, and one that is not there: exit 1.
func TestErrors(t *testing.T) {
	dropped := gorillaServer(t, func(c *websocket.Conn) error { return c.NetConn().Close() })
	code, out, errOut := runEcho(t, "-url", dropped)
	if code != 1 || out != "" || errOut == "" {
		t.Errorf("dropped: exit %d, stdout %q, stderr %q; want 1", code, out, errOut)
	}

	broken := gorillaServer(t, func(c *websocket.Conn) error {
		// A frame with RSV2 set, which no extension defines: wsecho must
		// fail the connection with 1002.
		if _, err := c.NetConn().Write([]byte{0xa2, 0x01, 0x00}); err != nil {
			return err
		}
		_, _, err := c.ReadMessage()
		if !websocket.IsCloseError(err, websocket.CloseProtocolError) {
			return fmt.Errorf("after a bad frame: %v, want close 1002", err)
		}
		return nil
	})
	code, _, errOut = runEcho(t, "-url", broken)
	if code != 1 || !strings.Contains(errOut, "wsecho:") {
		t.Errorf("broken: exit %d, stderr %q; want 1", code, errOut)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	code, _, errOut = runEcho(t, "-url", "ws://"+addr+"/")
	if code != 1 || errOut == "" {
		t.Errorf("refused: exit %d, stderr %q; want 1", code, errOut)
	}
	if code, _, _ := runEcho(t); code != 2 {
		t.Errorf("no -url: exit %d, want 2", code)
	}
}
