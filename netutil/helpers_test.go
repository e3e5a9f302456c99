package netutil_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/netutil"
)

// wait is how long a test waits for something that should happen at once.
const wait = 10 * time.Second

// newLoop returns a loop closed at the end of the test.
func newLoop(t testing.TB) *loop.Loop { return testloop.New(t, nil) }

// start runs l on a new goroutine until the test ends (or stop is called).
func start(t testing.TB, l *loop.Loop) (stop func()) { return testloop.Start(t, l) }

// onLoop runs f on the running loop l and returns its error.
func onLoop(t testing.TB, l *loop.Loop, f func() error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := loop.Call(ctx, l, func() (struct{}, error) { return struct{}{}, f() }); err != nil {
		t.Fatal(err)
	}
}

// await returns the next value from ch, failing the test after wait.
func await[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(wait):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// bind calls BindSockets and closes the listeners when the test ends.
func bind(t testing.TB, port int, address string, opts *netutil.BindOptions) []*netutil.Listener {
	t.Helper()
	lns, err := netutil.BindSockets(port, address, opts)
	if err != nil {
		t.Fatalf("BindSockets(%d, %q): %v", port, address, err)
	}
	t.Cleanup(func() {
		for _, ln := range lns {
			ln.Close()
		}
	})
	return lns
}

// bind1 binds one listener on 127.0.0.1 with an ephemeral port.
func bind1(t testing.TB) *netutil.Listener {
	t.Helper()
	return bind(t, 0, "127.0.0.1", nil)[0]
}

// hasIPv6 reports whether ::1 can be bound here.
var hasIPv6 = sync.OnceValue(func() bool {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
})

func needIPv6(t testing.TB) {
	t.Helper()
	if !hasIPv6() {
		t.Skip("no IPv6 loopback here")
	}
}

// logBuffer captures logs (testloop.LogBuffer).
type logBuffer = testloop.LogBuffer

func tcpAddr(t testing.TB, ln *netutil.Listener) *net.TCPAddr {
	t.Helper()
	a, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		t.Fatalf("Addr is %T, want *net.TCPAddr", ln.Addr())
	}
	return a
}
