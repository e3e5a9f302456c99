//go:build unix

package tcpclient_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpclient"
	"golang.org/x/sys/unix"
)

// connectUnix runs ConnectUnix on l until cb is called.
func connectUnix(t testing.TB, l *loop.Loop, ctx context.Context, path string, opts *tcpclient.Options, started func()) *result {
	t.Helper()
	r := &result{}
	testloop.Run(t, l, func(done func()) {
		start := time.Now()
		returned := false
		tcpclient.ConnectUnix(ctx, l, path, opts, func(s *stream.Stream, err error) {
			if !returned {
				t.Error("cb ran inside ConnectUnix")
			}
			r.calls++
			r.s, r.err, r.elapsed = s, err, time.Since(start)
			if (s == nil) == (err == nil) {
				t.Errorf("cb(%v, %v): want exactly one of stream and error", s, err)
			}
			done()
		})
		returned = true
		if started != nil {
			started()
		}
	})
	if r.s != nil {
		t.Cleanup(r.s.Close)
	}
	return r
}

func unixEcho(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "echo.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go echo(c)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return path
}

func TestConnectUnixEcho(t *testing.T) {
	path := unixEcho(t)
	l := newLoop(t)
	r := connectUnix(t, l, context.Background(), path, nil, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	var got []byte
	testloop.Run(t, l, func(done func()) {
		if err := r.s.Write([]byte("ping"), nil); err != nil {
			t.Fatal(err)
		}
		r.s.ReadBytes(4, false, func(b []byte, err error) {
			if err != nil {
				t.Error(err)
			}
			got = append(got, b...)
			done()
		})
	})
	if string(got) != "ping" {
		t.Fatalf("echo: got %q", got)
	}
	settle(t, l, r, 10*time.Millisecond)
}

func TestConnectUnixMissing(t *testing.T) {
	l := newLoop(t)
	path := filepath.Join(t.TempDir(), "nobody.sock")
	r := connectUnix(t, l, context.Background(), path, nil, nil)
	var te *tcpclient.Error
	if !errors.As(r.err, &te) || te.Op != "connect" || te.Host != path {
		t.Fatalf("err = %v, want a connect *tcpclient.Error for %s", r.err, path)
	}
	if !errors.Is(r.err, syscall.ENOENT) {
		t.Fatalf("err = %v, want ENOENT", r.err)
	}
}

func TestConnectUnixCancelled(t *testing.T) {
	path := unixEcho(t)
	l := newLoop(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := connectUnix(t, l, ctx, path, nil, nil)
	if !errors.Is(r.err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", r.err)
	}
}

// fullBacklog returns a Unix listener whose backlog is full, so that a
// non-blocking connect fails with EAGAIN (Linux), and the accept function
// that drains it; it skips where connect does not behave so.
func fullBacklog(t *testing.T) (path string, accept func()) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "full.sock")
	lfd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(lfd) })
	if err := unix.Bind(lfd, &unix.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(lfd, 0); err != nil {
		t.Fatal(err)
	}
	var fds []int
	t.Cleanup(func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	})
	for range 64 {
		fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		unix.CloseOnExec(fd)
		if err := unix.SetNonblock(fd, true); err != nil {
			t.Fatal(err)
		}
		fds = append(fds, fd)
		err = unix.Connect(fd, &unix.SockaddrUnix{Name: path})
		if err == unix.EAGAIN {
			accept = func() {
				for {
					nfd, _, err := unix.Accept(lfd)
					if err != nil {
						return
					}
					unix.Close(nfd)
					unix.SetNonblock(lfd, true)
				}
			}
			return path, accept
		}
		if err != nil {
			t.Skipf("connect on a full backlog: %v, not EAGAIN", err)
		}
	}
	t.Skip("no EAGAIN from a full Unix backlog on this system")
	return "", nil
}

func TestConnectUnixBacklogTimeout(t *testing.T) {
	path, _ := fullBacklog(t)
	l := newLoop(t)
	r := connectUnix(t, l, context.Background(), path, &tcpclient.Options{Timeout: 50 * time.Millisecond}, nil)
	var te *tcpclient.Error
	if !errors.As(r.err, &te) || !te.Timeout() || !errors.Is(r.err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a timeout", r.err)
	}
	if r.elapsed < 40*time.Millisecond {
		t.Fatalf("failed after %v, before the timeout", r.elapsed)
	}
}

// EAGAIN is retried: once the listener accepts, the connect succeeds.
func TestConnectUnixBacklogRetry(t *testing.T) {
	path, accept := fullBacklog(t)
	l := newLoop(t)
	acceptDone := make(chan struct{})
	r := connectUnix(t, l, context.Background(), path, &tcpclient.Options{Timeout: 10 * time.Second}, func() {
		go func() { defer close(acceptDone); accept() }()
	})
	<-acceptDone
	if r.err != nil {
		t.Fatalf("connect after the backlog drained: %v", r.err)
	}
}

func TestConnectUnixTLSFails(t *testing.T) {
	// A plain echo server is no TLS server: the handshake fails with Op "tls".
	path := unixEcho(t)
	l := newLoop(t)
	r := connectUnix(t, l, context.Background(), path, &tcpclient.Options{
		TLS: &tls.Config{ServerName: "localhost"}, Timeout: 5 * time.Second}, nil)
	var te *tcpclient.Error
	if !errors.As(r.err, &te) || te.Op != "tls" {
		t.Fatalf("err = %v, want a tls *tcpclient.Error", r.err)
	}
}

// A Unix socket's error names the path, not a "path:0" host and port;
// Connect's own port-0 error keeps its host:port form.
func TestConnectUnixErrorMessage(t *testing.T) {
	l := newLoop(t)
	path := filepath.Join(t.TempDir(), "nobody.sock")
	r := connectUnix(t, l, context.Background(), path, nil, nil)
	want := "tcpclient: connect unix " + path + ": "
	if r.err == nil || !strings.HasPrefix(r.err.Error(), want) || strings.Contains(r.err.Error(), ":0") {
		t.Errorf("unix error %q, want prefix %q", r.err, want)
	}
	r = connectUnix(t, l, context.Background(), path, &tcpclient.Options{TLS: &tls.Config{ServerName: "x"}}, nil)
	if r.err == nil || !strings.HasPrefix(r.err.Error(), want) {
		t.Errorf("unix error with TLS options %q, want prefix %q", r.err, want)
	}
	r = connect(t, l, context.Background(), "127.0.0.1", 0, nil)
	if r.err == nil || !strings.HasPrefix(r.err.Error(), "tcpclient: connect 127.0.0.1:0: ") {
		t.Errorf("port 0 error %q", r.err)
	}
	for _, c := range []struct {
		e    tcpclient.Error
		want string
	}{
		{tcpclient.Error{Op: "tls", Host: "/run/app.sock", Err: errors.New("bad")}, "tcpclient: tls unix /run/app.sock: bad"},
		{tcpclient.Error{Op: "connect", Host: "@abstract"}, "tcpclient: connect unix @abstract"},
		{tcpclient.Error{Op: "connect", Host: "example.com", Port: 80, Err: errors.New("x")}, "tcpclient: connect example.com:80: x"},
	} {
		if got := c.e.Error(); got != c.want {
			t.Errorf("%#v: %q, want %q", c.e, got, c.want)
		}
	}
}

// A deadline that ends during the TLS handshake (a server that accepts and
// never answers) is reported as the handshake's (Op "tls"), as Connect
// reports it, not as the connect's.
func TestConnectUnixTimeoutDuringHandshake(t *testing.T) {
	path := filepath.Join(t.TempDir(), "silent.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c // held open, silent
		}
		close(accepted)
	}()
	defer func() {
		ln.Close()
		for c := range accepted {
			c.Close()
		}
	}()
	l := newLoop(t)
	r := connectUnix(t, l, context.Background(), path, &tcpclient.Options{
		TLS: &tls.Config{ServerName: "localhost"}, Timeout: 100 * time.Millisecond}, nil)
	var te *tcpclient.Error
	if !errors.As(r.err, &te) || !te.Timeout() || !errors.Is(r.err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a timeout", r.err)
	}
	if te.Op != "tls" || te.Host != path {
		t.Fatalf("got Op %q Host %q, want Op tls on %s", te.Op, te.Host, path)
	}
}
