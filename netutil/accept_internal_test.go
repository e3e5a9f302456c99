//go:build unix

package netutil

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/poller"
	"golang.org/x/sys/unix"
)

// runLoop runs l until f calls done, failing after a while.
func runLoop(t *testing.T, l *loop.Loop, f func(done func())) {
	t.Helper()
	_, err := loop.RunSync(l, 20*time.Second, func(done func(struct{}, error)) {
		f(func() { done(struct{}{}, nil) })
	})
	if err != nil {
		t.Fatal(err)
	}
}

// pendingListener returns a listener with one connection waiting in its
// backlog, so that it stays readable until something accepts it.
func pendingListener(t *testing.T) *Listener {
	t.Helper()
	lns, err := BindSockets(0, "127.0.0.1", nil)
	if err != nil {
		t.Fatal(err)
	}
	ln := lns[0]
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); ln.Close() })
	return ln
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// While accept keeps failing with EMFILE and the backlog cannot be drained
// (the spare does not help), the acceptor pauses with a doubling delay
// instead of spinning: the listener's interest is None during each pause,
// the delays are MinBackoff, 2×, 4×, ... up to MaxBackoff, each accept
// attempt is followed by a pause, and the log has fewer lines than pauses.
// The first accept that works ends the episode.
func TestAcceptBackoff(t *testing.T) {
	l, err := loop.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ln := pendingListener(t)
	var logs syncBuffer
	const pausesWanted = 8
	var (
		delays   []time.Duration
		calls    int
		failing  = true
		accepted = make(chan struct{}, 1)
		a        *Acceptor
		finish   func()
	)
	opts := &AcceptOptions{
		MinBackoff: time.Millisecond,
		MaxBackoff: 8 * time.Millisecond,
		Logger:     slogTo(&logs),
		OnError: func(err error) {
			if err != unix.EMFILE {
				t.Errorf("OnError(%v), want EMFILE", err)
			}
			if ev, _ := l.Events(ln.FD()); ev != loop.None {
				t.Errorf("interest %v during a pause, want None", ev)
			}
			delays = append(delays, a.delay)
			if len(delays) == pausesWanted {
				failing = false
			}
		},
	}
	a, err = AddAcceptHandler(l, ln, func(fd poller.FD, _ net.Addr) {
		unix.Close(fd)
		accepted <- struct{}{}
		finish()
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Stop()
	a.accept = func(fd poller.FD, peer bool) (poller.FD, net.Addr, error) {
		calls++
		if failing {
			return -1, nil, unix.EMFILE
		}
		return acceptConn(fd, true)
	}
	runLoop(t, l, func(done func()) { finish = done })
	want := []time.Duration{1, 2, 4, 8, 8, 8, 8, 8}
	for i := range want {
		want[i] *= time.Millisecond
	}
	if !slicesEqual(delays, want) {
		t.Errorf("pauses %v, want %v", delays, want)
	}
	// Each pause: one failed accept, and one more after freeing the spare;
	// then the accept that works and the one that finds the backlog empty.
	if calls != 2*pausesWanted+2 {
		t.Errorf("%d accept calls for %d pauses", calls, pausesWanted)
	}
	if s := a.Stats(); s.Pauses != pausesWanted || s.Accepted != 1 || s.Shed != 0 {
		t.Errorf("Stats = %+v", s)
	}
	if a.delay != 0 {
		t.Errorf("delay %v after a successful accept, want 0", a.delay)
	}
	out := logs.String()
	n := strings.Count(out, "out of descriptors")
	if n == 0 || n >= pausesWanted {
		t.Errorf("%d warnings for %d pauses:\n%s", n, pausesWanted, out)
	}
	if strings.Count(out, "accepting again") != 1 || !strings.Contains(out, "level=WARN") {
		t.Errorf("log:\n%s", out)
	}
}

// socketPairs returns n connected pairs: the clients, closed at the end of
// the test (with a read timeout, so a test cannot hang on them), and the
// server ends, which stand for connections waiting in a backlog.
func socketPairs(t *testing.T, n int) (clients, servers []int) {
	t.Helper()
	for range n {
		p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		tv := unix.NsecToTimeval(int64(10 * time.Second))
		unix.SetsockoptTimeval(p[0], unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		clients = append(clients, p[0])
		servers = append(servers, p[1])
		t.Cleanup(func() { unix.Close(p[0]) })
	}
	return clients, servers
}

// checkClosed fails the test unless each client reads end of file.
func checkClosed(t *testing.T, clients []int) {
	t.Helper()
	for _, c := range clients {
		if n, err := unix.Read(c, make([]byte, 1)); n != 0 || err != nil {
			t.Errorf("client: read %d, %v; want end of file", n, err)
		}
	}
}

// On EMFILE the spare descriptor is closed before the backlog is drained,
// and every connection taken is closed at once while no descriptor can be
// opened; then accepting pauses.
func TestAcceptShedsWithReserve(t *testing.T) {
	l, err := loop.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ln := pendingListener(t)
	clients, servers := socketPairs(t, 3)
	a, err := AddAcceptHandler(l, ln, func(poller.FD, net.Addr) { t.Error("callback called") },
		&AcceptOptions{Logger: slogTo(io.Discard)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Stop()
	if !a.haveReserve {
		t.Fatal("no spare descriptor")
	}
	a.openSpare = func() (poller.FD, error) { return -1, unix.EMFILE }
	step := 0
	var finish func()
	a.accept = func(fd poller.FD, peer bool) (poller.FD, net.Addr, error) {
		step++
		switch {
		case step == 1:
			return -1, nil, unix.EMFILE
		case step == 2 && a.haveReserve:
			t.Error("spare still open while shedding")
		case step-2 < len(servers):
			return servers[step-2], nil, nil
		case step-2 == len(servers):
			l.Post(func() { finish() })
		}
		return -1, nil, unix.EAGAIN
	}
	runLoop(t, l, func(done func()) { finish = done })
	if s := a.Stats(); s.Shed != 3 || s.Pauses != 1 || s.Accepted != 0 {
		t.Errorf("Stats = %+v", s)
	}
	if a.haveReserve {
		t.Error("spare open although opening fails")
	}
	checkClosed(t, clients)
}

// When descriptors come back while the backlog is being shed (the spare
// opens again), the connection in hand is served instead of closed, and
// accepting goes on without a pause.
func TestAcceptShedStopsWhenDescriptorsReturn(t *testing.T) {
	l, err := loop.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ln := pendingListener(t)
	clients, servers := socketPairs(t, 3)
	var logs syncBuffer
	var served []poller.FD
	a, err := AddAcceptHandler(l, ln, func(fd poller.FD, _ net.Addr) { served = append(served, fd) },
		&AcceptOptions{Logger: slogTo(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Stop()
	opens := 0
	a.openSpare = func() (poller.FD, error) {
		if opens++; opens == 1 {
			return -1, unix.EMFILE // still short after the first connection
		}
		return openReserve()
	}
	step := 0
	var finish func()
	a.accept = func(fd poller.FD, peer bool) (poller.FD, net.Addr, error) {
		step++
		switch {
		case step == 1:
			return -1, nil, unix.EMFILE
		case step-2 < len(servers):
			return servers[step-2], nil, nil
		case step-2 == len(servers):
			l.Post(func() { finish() })
		}
		return -1, nil, unix.EAGAIN
	}
	runLoop(t, l, func(done func()) { finish = done })
	if s := a.Stats(); s.Shed != 1 || s.Pauses != 0 || s.Accepted != 2 {
		t.Errorf("Stats = %+v", s)
	}
	if !a.haveReserve || len(served) != 2 || served[0] != servers[1] || served[1] != servers[2] {
		t.Errorf("spare %v, served %v of %v", a.haveReserve, served, servers)
	}
	for _, fd := range served {
		unix.Close(fd)
	}
	checkClosed(t, clients)
	out := logs.String()
	if !strings.Contains(out, "closed pending connections") || !strings.Contains(out, "accepting again") {
		t.Errorf("log:\n%s", out)
	}
}

func TestLogLimiter(t *testing.T) {
	var r logLimiter
	t0 := time.Now()
	if ok, n := r.allow(t0); !ok || n != 0 {
		t.Fatalf("first: %v, %d", ok, n)
	}
	for i := 1; i <= 5; i++ {
		if ok, _ := r.allow(t0.Add(time.Duration(i) * 100 * time.Millisecond)); ok {
			t.Fatalf("line %d within a second allowed", i)
		}
	}
	if ok, n := r.allow(t0.Add(logInterval)); !ok || n != 5 {
		t.Fatalf("after a second: %v, suppressed %d; want true, 5", ok, n)
	}
}

func slicesEqual[T comparable](a, b []T) bool {
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
