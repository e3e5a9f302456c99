package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gale-io/gale/internal/leakcheck"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream"
)

func TestMain(m *testing.M) { os.Exit(leakcheck.Main(m)) }

// startServer runs a server on a free loopback port until the test ends.
func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	srv := NewServer(cfg)
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return srv
}

// dial opens a plain net connection to srv, with a deadline.
func dial(t *testing.T, srv *Server) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// readAll reads until the server closes, and fails on a reset: a
// graceful close must never lose replies.
func readAll(t *testing.T, c io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading to end of file: %v (read %q)", err, b)
	}
	return string(b)
}

// The client code against the server: every command and reply, pipelined.
func TestClient(t *testing.T) {
	srv := startServer(t, Config{Loops: 2})
	cmds := []string{
		"GET a", "SET a 1", "GET a", "SET a hello, world ", "GET a",
		"DEL a", "DEL a", "GET a", "SET  x", "SET k", "GET", "GET a b",
		"DEL", "get a", "", "QUIT",
	}
	want := []string{
		"NOT_FOUND", "OK", "VALUE 1", "OK", "VALUE hello, world ",
		"DELETED", "NOT_FOUND", "NOT_FOUND", "ERR usage: SET key value",
		"ERR usage: SET key value", "ERR usage: GET key", "ERR usage: GET key",
		"ERR usage: DEL key", `ERR unknown command "get"`, `ERR unknown command ""`, "BYE",
	}
	var out bytes.Buffer
	if err := runClient(srv.Addr().String(), cmds, nil, &out); err != nil {
		t.Fatal(err)
	}
	if got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n"); !equal(got, want) {
		t.Errorf("replies:\n got %q\nwant %q", got, want)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The client's interactive mode: a line, its reply, the next line. QUIT
// ends it, and lines after it are not sent.
func TestClientStdin(t *testing.T) {
	srv := startServer(t, Config{})
	in := strings.NewReader("SET k v\nGET k\nQUIT\nGET k\n")
	var out bytes.Buffer
	if err := runClient(srv.Addr().String(), nil, in, &out); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "OK\nVALUE v\nBYE\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// Standard input ending without QUIT ends the client too.
	out.Reset()
	if err := runClient(srv.Addr().String(), nil, strings.NewReader("GET k\r\n"), &out); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "VALUE v\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// Connections on different loops share the store.
func TestSharedStore(t *testing.T) {
	srv := startServer(t, Config{Loops: 4})
	conns := make([]*net.TCPConn, 8)
	readers := make([]*bufio.Reader, len(conns))
	for i := range conns {
		conns[i] = dial(t, srv)
		readers[i] = bufio.NewReader(conns[i])
	}
	roundTrip(t, conns[0], readers[0], "SET shared yes", "OK")
	for i := range conns {
		roundTrip(t, conns[i], readers[i], "GET shared", "VALUE yes")
	}
}

func roundTrip(t *testing.T, c net.Conn, r *bufio.Reader, req, want string) {
	t.Helper()
	if _, err := io.WriteString(c, req+"\n"); err != nil {
		t.Fatal(err)
	}
	got, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("%s: %v", req, err)
	}
	if got != want+"\n" {
		t.Fatalf("%s: got %q, want %q", req, got, want)
	}
}

// Requests split anywhere, whole, a byte at a time, and with CRLF, get the
// same replies; the client half-closes and still gets every reply, and an
// incomplete last line is dropped.
func TestFraming(t *testing.T) {
	srv := startServer(t, Config{})
	const input = "SET a 1\nGET a\r\nDEL a\nGET a\nGET incomplete"
	const want = "OK\nVALUE 1\nDELETED\nNOT_FOUND\n"
	for _, chunk := range []int{len(input), 1, 2, 3, 7} {
		c := dial(t, srv)
		for i := 0; i < len(input); i += chunk {
			if _, err := io.WriteString(c, input[i:min(i+chunk, len(input))]); err != nil {
				t.Fatal(err)
			}
			if chunk < len(input) {
				time.Sleep(time.Millisecond) // let the server see the pieces apart
			}
		}
		c.CloseWrite()
		if got := readAll(t, c); got != want {
			t.Errorf("chunks of %d: got %q, want %q", chunk, got, want)
		}
	}
}

// A line of MaxLine bytes is served; one byte more is answered with an
// error and the connection closes cleanly (the reply is never lost to a
// reset, even with much more unread input behind it).
func TestLineTooLong(t *testing.T) {
	const maxLine = 64
	srv := startServer(t, Config{MaxLine: maxLine})
	key := func(n int) string { return strings.Repeat("k", n) }
	tooLong := "ERR line too long (max 64 bytes)\n"

	// "GET " + key + "\n" is exactly maxLine bytes.
	c := dial(t, srv)
	r := bufio.NewReader(c)
	roundTrip(t, c, r, "GET "+key(maxLine-5), "NOT_FOUND")
	roundTrip(t, c, r, "GET "+key(maxLine-6)+"\r", "NOT_FOUND") // "\r" counts
	io.WriteString(c, "GET "+key(maxLine-4)+"\n")
	if got := readAll(t, r); got != tooLong {
		t.Errorf("one byte over: got %q, want %q", got, tooLong)
	}

	// Replies to earlier requests in the same batch come first.
	c = dial(t, srv)
	io.WriteString(c, "SET a 1\n"+key(maxLine))
	if got, want := readAll(t, c), "OK\n"+tooLong; got != want {
		t.Errorf("got %q, want %q", got, want)
	}

	// A megabyte without a line break: the server answers after MaxLine
	// bytes, drops the rest, and closes after the client does.
	c = dial(t, srv)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(bytes.Repeat([]byte("x"), 1<<20))
		c.CloseWrite()
		errc <- err
	}()
	if got := readAll(t, c); got != tooLong {
		t.Errorf("1 MiB line: got %q, want %q", got, tooLong)
	}
	if err := <-errc; err != nil {
		t.Errorf("writing 1 MiB: %v", err)
	}
}

// A client that never closes after the error reply is closed after Linger.
func TestLinger(t *testing.T) {
	const linger = 50 * time.Millisecond
	srv := startServer(t, Config{MaxLine: 16, Linger: linger})
	c := dial(t, srv)
	start := time.Now()
	io.WriteString(c, strings.Repeat("x", 100))
	r := bufio.NewReader(c)
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "ERR line too long") {
		t.Fatalf("got %q, %v", line, err)
	}
	if _, err := r.ReadByte(); err != io.EOF { // CloseWrite: at once
		t.Fatalf("after the error reply: %v, want EOF", err)
	}
	for srv.tcp.Stats().Open > 0 { // Close: after Linger
		if time.Since(start) > 5*time.Second {
			t.Fatal("connection still open")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if d := time.Since(start); d < linger*9/10 {
		t.Errorf("closed after %v, before Linger (%v)", d, linger)
	}
}

func TestQuit(t *testing.T) {
	srv := startServer(t, Config{})
	c := dial(t, srv)
	io.WriteString(c, "SET a 1\nQUIT\nGET a\n") // nothing after QUIT is served
	if got, want := readAll(t, c), "OK\nBYE\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestIdleTimeout(t *testing.T) {
	srv := startServer(t, Config{Idle: 50 * time.Millisecond})
	c := dial(t, srv)
	r := bufio.NewReader(c)
	for range 3 { // requests keep it open past the timeout
		roundTrip(t, c, r, "GET a", "NOT_FOUND")
		time.Sleep(20 * time.Millisecond)
	}
	start := time.Now()
	if got := readAll(t, r); got != "" {
		t.Errorf("got %q", got)
	}
	if d := time.Since(start); d < 10*time.Millisecond || d > 5*time.Second {
		t.Errorf("idle connection closed after %v", d)
	}
}

// Shutdown closes idle connections at once, lets a request in flight
// finish and get its reply, and then returns without forcing anything.
func TestShutdown(t *testing.T) {
	srv := NewServer(Config{Loops: 2})
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	idle := dial(t, srv)
	roundTrip(t, idle, bufio.NewReader(idle), "SET a 1", "OK")
	busy := dial(t, srv)
	io.WriteString(busy, "GET a\nGET ") // half a request
	br := bufio.NewReader(busy)
	if line, _ := br.ReadString('\n'); line != "VALUE 1\n" {
		t.Fatalf("got %q", line)
	}

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- srv.Shutdown(ctx)
	}()
	if got := readAll(t, idle); got != "" {
		t.Errorf("idle connection: got %q", got)
	}
	time.Sleep(20 * time.Millisecond)
	io.WriteString(busy, "a\n") // the rest of the request
	if got := readAll(t, br); got != "VALUE 1\n" {
		t.Errorf("connection busy at shutdown: got %q", got)
	}
	busy.Close() // the server waits (Linger) for the client to close too
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if _, err := net.Dial("tcp", srv.Addr().String()); err == nil {
		t.Error("still accepting after Shutdown")
	}
}

// Shutdown with an expired context closes the connections it waited for.
func TestShutdownForced(t *testing.T) {
	srv := NewServer(Config{})
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	c := dial(t, srv)
	io.WriteString(c, "GET") // mid-request: not idle
	r := bufio.NewReader(c)
	time.Sleep(20 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v, want %v", err, context.DeadlineExceeded)
	}
	if _, err := r.ReadByte(); err == nil {
		t.Error("connection still open after a forced shutdown")
	}
}

// Commands the client refuses, and commands after the connection closed.
func TestClientErrors(t *testing.T) {
	srv := startServer(t, Config{})
	l, err := loop.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var errs []error
	_, err = loop.RunSync(l, 10*time.Second, func(done func(struct{}, error)) {
		Dial(context.Background(), l, srv.Addr().String(), func(c *Client, err error) {
			if err != nil {
				done(struct{}{}, err)
				return
			}
			c.Do("SET a\nb", func(_ string, err error) { errs = append(errs, err) })
			c.Do("QUIT", func(string, error) {})
			c.Do("GET a", func(_ string, err error) { // the server hung up
				errs = append(errs, err)
				c.Close()
				c.Do("GET a", func(_ string, err error) { // closed here
					errs = append(errs, err)
					done(struct{}{}, nil)
				})
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) != 3 || errs[0] != errBadCommand ||
		!errors.Is(errs[1], stream.ErrClosed) || !errors.Is(errs[1], io.EOF) ||
		!errors.Is(errs[2], stream.ErrClosed) {
		t.Errorf("errors: %v", errs)
	}
	if err := runClient("127.0.0.1:http-alt-x", []string{"GET a"}, nil, io.Discard); err == nil {
		t.Error("bad port: no error")
	}
}
