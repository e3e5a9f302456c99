//go:build unix

package tcpclient_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/gale-io/gale/tcpclient"
	"golang.org/x/sys/unix"
)

// hangingAddr returns a loopback address that never answers: a listener
// with a backlog of 0 that never accepts, its queue filled by a completed
// connection, so that the kernel drops further SYNs (Linux does; the test
// probes, and skips where a SYN still gets an answer). The descriptors
// are closed at cleanup.
func hangingAddr(t testing.TB) netip.AddrPort {
	t.Helper()
	ln, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(ln) })
	if err := unix.Bind(ln, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(ln, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(ln)
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.AddrPortFrom(netip.AddrFrom4(sa.(*unix.SockaddrInet4).Addr), uint16(sa.(*unix.SockaddrInet4).Port))
	// Connect until a connect does not complete: the queue is full.
	for range 8 {
		c, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.SetNonblock(c, true); err != nil {
			unix.Close(c)
			t.Fatal(err)
		}
		err = unix.Connect(c, sa)
		if err != nil && err != unix.EINPROGRESS {
			unix.Close(c)
			t.Fatalf("filling the backlog: %v", err)
		}
		// A bound on waiting for a SYN-ACK over loopback, not a
		// synchronisation: the answer takes microseconds.
		pfd := []unix.PollFd{{Fd: int32(c), Events: unix.POLLOUT}}
		n, err := unix.Poll(pfd, 200)
		if err != nil && err != unix.EINTR {
			unix.Close(c)
			t.Fatal(err)
		}
		if n == 0 {
			unix.Close(c) // the probe hangs: the queue is full
			return addr
		}
		t.Cleanup(func() { unix.Close(c) })
	}
	t.Skip("a listener with a full backlog still answers SYNs here")
	return netip.AddrPort{}
}

// Happy Eyeballs with an address that never answers and one that works:
// the second is tried after the attempt delay (250 ms by default) and
// wins; the first is cancelled.
func TestHappyEyeballsHangingFirst(t *testing.T) {
	hang := hangingAddr(t)
	srv := newServer(t, "tcp4", "127.0.0.1:0")
	l := newLoop(t)
	var cc closeCounter
	opts := resolverFor("eyeballs.test", hang, srv.addr)
	opts.Stream = cc.options()
	// Halfway through the delay, the first attempt is hanging.
	l.CallLater(tcpclient.DefaultAttemptDelay/2, func() {
		if n, ok := synSent(hang.Port()); ok && n != 1 {
			t.Errorf("%d connections to the hanging address in SYN_SENT, want 1", n)
		}
	})
	r := connect(t, l, context.Background(), "eyeballs.test", 80, opts)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := r.s.RemoteAddr().String(); got != srv.addr.String() {
		t.Fatalf("connected to %s, want %s", got, srv.addr)
	}
	if r.elapsed < tcpclient.DefaultAttemptDelay || r.elapsed > time.Second {
		t.Fatalf("connected after %v, want the attempt delay, %v", r.elapsed, tcpclient.DefaultAttemptDelay)
	}
	t.Logf("connected after %v", r.elapsed)
	if n := cc.n.Load(); n != 1 {
		t.Fatalf("%d streams closed when the winner was delivered, want the hanging one", n)
	}
	if n, ok := synSent(hang.Port()); ok && n != 0 {
		t.Fatalf("%d connections to the hanging address still in SYN_SENT", n)
	}
	exchange(t, l, r.s, "the winner works")
	// Nothing fires later: no second cb, no third attempt.
	settle(t, l, r, 2*tcpclient.DefaultAttemptDelay)
}

// The configured delay is the one used (not Tornado's 0.3 s).
func TestAttemptDelayOption(t *testing.T) {
	hang := hangingAddr(t)
	srv := newServer(t, "tcp4", "127.0.0.1:0")
	l := newLoop(t)
	opts := resolverFor("eyeballs.test", hang, srv.addr)
	opts.AttemptDelay = 50 * time.Millisecond
	r := connect(t, l, context.Background(), "eyeballs.test", 80, opts)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.elapsed < opts.AttemptDelay || r.elapsed >= 250*time.Millisecond {
		t.Fatalf("connected after %v, want about %v", r.elapsed, opts.AttemptDelay)
	}
	t.Logf("connected after %v", r.elapsed)

	// Below RFC 8305's floor, the delay is raised to 10 ms.
	opts.AttemptDelay = time.Nanosecond
	r = connect(t, l, context.Background(), "eyeballs.test", 80, opts)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.elapsed < tcpclient.MinAttemptDelay {
		t.Fatalf("connected after %v, below the %v floor", r.elapsed, tcpclient.MinAttemptDelay)
	}
}

// Several attempts stay in flight: three hanging addresses, then a working
// one, reached after three delays with all three hanging attempts open.
func TestHappyEyeballsSeveralInFlight(t *testing.T) {
	hangs := []netip.AddrPort{hangingAddr(t), hangingAddr(t), hangingAddr(t)}
	srv := newServer(t, "tcp4", "127.0.0.1:0")
	l := newLoop(t)
	var cc closeCounter
	opts := resolverFor("many.test", append(hangs, srv.addr)...)
	opts.AttemptDelay = 30 * time.Millisecond
	opts.Stream = cc.options()
	r := connect(t, l, context.Background(), "many.test", 80, opts)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := r.s.RemoteAddr().String(); got != srv.addr.String() {
		t.Fatalf("connected to %s", got)
	}
	if r.elapsed < 3*opts.AttemptDelay {
		t.Fatalf("connected after %v, before three attempt delays", r.elapsed)
	}
	if n := cc.n.Load(); n != 3 {
		t.Fatalf("%d streams closed, want the 3 hanging ones", n)
	}
	for _, h := range hangs {
		if n, ok := synSent(h.Port()); ok && n != 0 {
			t.Fatalf("%d connections to %v still in SYN_SENT", n, h)
		}
	}
}

// Only hanging addresses: the overall timeout fails the connect and closes
// every attempt.
func TestTimeoutHanging(t *testing.T) {
	a, b := hangingAddr(t), hangingAddr(t)
	l := newLoop(t)
	var cc closeCounter
	opts := resolverFor("hang.test", a, b)
	opts.AttemptDelay = 50 * time.Millisecond
	opts.Timeout = 200 * time.Millisecond
	opts.Stream = cc.options()
	r := connect(t, l, context.Background(), "hang.test", 80, opts)
	var e *tcpclient.Error
	if !errors.As(r.err, &e) || !errors.Is(r.err, context.DeadlineExceeded) || !e.Timeout() {
		t.Fatalf("got %v, want a timeout", r.err)
	}
	if r.elapsed < opts.Timeout || r.elapsed > opts.Timeout+time.Second {
		t.Fatalf("timed out after %v, want %v", r.elapsed, opts.Timeout)
	}
	t.Log(r.err)
	if n := cc.n.Load(); n != 2 {
		t.Fatalf("%d streams closed, want both attempts", n)
	}
	for _, h := range []netip.AddrPort{a, b} {
		if n, ok := synSent(h.Port()); ok && n != 0 {
			t.Fatalf("%d connections to %v still in SYN_SENT", n, h)
		}
	}
	settle(t, l, r, 100*time.Millisecond)
}

// A deadline on ctx works as Options.Timeout does.
func TestContextDeadline(t *testing.T) {
	hang := hangingAddr(t)
	l := newLoop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	r := connect(t, l, ctx, hang.Addr().String(), int(hang.Port()), &tcpclient.Options{Timeout: time.Hour})
	if !errors.Is(r.err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", r.err)
	}
	if n, ok := synSent(hang.Port()); ok && n != 0 {
		t.Fatalf("%d connections still in SYN_SENT", n)
	}
}

// Cancelling ctx while attempts are in flight (from another goroutine, as
// a caller would) aborts them.
func TestContextCancelInFlight(t *testing.T) {
	hang := hangingAddr(t)
	l := newLoop(t)
	var cc closeCounter
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l.CallLater(30*time.Millisecond, func() {
		if n, ok := synSent(hang.Port()); ok && n != 1 {
			t.Errorf("%d connections in SYN_SENT, want 1", n)
		}
		go cancel()
	})
	r := connect(t, l, ctx, hang.Addr().String(), int(hang.Port()), &tcpclient.Options{Stream: cc.options()})
	var e *tcpclient.Error
	if !errors.As(r.err, &e) || !errors.Is(r.err, context.Canceled) || e.Timeout() {
		t.Fatalf("got %v, want context.Canceled", r.err)
	}
	if n := cc.n.Load(); n != 1 {
		t.Fatalf("%d streams closed, want the attempt", n)
	}
	if n, ok := synSent(hang.Port()); ok && n != 0 {
		t.Fatalf("%d connections still in SYN_SENT", n)
	}
}

// A refusal after a hanging attempt starts the next one at once, while the
// hanging one goes on.
func TestHangingRefusedWorking(t *testing.T) {
	hang := hangingAddr(t)
	dead := closedPort(t, "tcp4", "127.0.0.1:0")
	srv := newServer(t, "tcp4", "127.0.0.1:0")
	l := newLoop(t)
	opts := resolverFor("mixed.test", hang, dead, srv.addr)
	opts.AttemptDelay = 200 * time.Millisecond
	r := connect(t, l, context.Background(), "mixed.test", 80, opts)
	if r.err != nil {
		t.Fatal(r.err)
	}
	// hang at 0, dead at one delay (refused at once), srv right after.
	if r.elapsed < opts.AttemptDelay || r.elapsed >= 2*opts.AttemptDelay {
		t.Fatalf("connected after %v, want between one and two attempt delays (%v)", r.elapsed, opts.AttemptDelay)
	}
}
