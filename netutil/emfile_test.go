//go:build unix

package netutil_test

import (
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/netutil"
	"github.com/gale-io/gale/poller"
	"golang.org/x/sys/unix"
)

const emfileChildEnv = "GALE_NETUTIL_EMFILE_CHILD"

// When the process runs out of descriptors, the acceptor closes new
// clients at once (the spare descriptor), does not spin (it pauses), keeps
// the listener, and serves again once descriptors free up. It runs in a
// child process, because it lowers RLIMIT_NOFILE and fills the table.
func TestAcceptEMFILE(t *testing.T) {
	if os.Getenv(emfileChildEnv) == "1" {
		emfileChild(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAcceptEMFILE$", "-test.v", "-test.count=1", "-test.timeout=120s")
	cmd.Env = append(os.Environ(), emfileChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestAcceptEMFILE") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	t.Logf("child:\n%s", out)
}

// cpuTime is the process's user plus system time so far.
func cpuTime(t testing.TB) time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clientClosed connects a client and measures how long the server takes
// to close it. The client's descriptor is closed before it returns.
func clientClosed(t testing.TB, addr string) time.Duration {
	t.Helper()
	t0 := time.Now()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(wait))
	_, err = c.Read(make([]byte, 1))
	if err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("client read: %v, want end of file or a reset", err)
	}
	return time.Since(t0)
}

func emfileChild(t *testing.T) {
	var saved unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &saved); err != nil {
		t.Fatal(err)
	}
	lim := unix.Rlimit{Cur: 64, Max: saved.Max}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	defer unix.Setrlimit(unix.RLIMIT_NOFILE, &saved)

	l := newLoop(t)
	ln := bind1(t)
	addr := ln.Addr().String()
	var logs logBuffer
	held := make(chan poller.FD, 64)
	var a *netutil.Acceptor
	a, err := netutil.AddAcceptHandler(l, ln, func(fd poller.FD, _ net.Addr) { held <- fd },
		&netutil.AcceptOptions{Logger: logs.logger()})
	if err != nil {
		t.Fatal(err)
	}
	start(t, l)
	defer func() {
		for len(held) > 0 {
			closeFD(<-held)
		}
	}()

	// Fill the descriptor table, then free one slot for the clients.
	var fillers []int
	defer func() {
		for _, fd := range fillers {
			unix.Close(fd)
		}
	}()
	for {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == unix.EMFILE {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		fillers = append(fillers, fd)
	}
	if len(fillers) < 4 {
		t.Fatalf("only %d descriptors free under a limit of %d", len(fillers), lim.Cur)
	}
	unix.Close(fillers[len(fillers)-1])
	fillers = fillers[:len(fillers)-1]

	// A client is closed at once: the first EMFILE sheds the backlog.
	if d := clientClosed(t, addr); d > 500*time.Millisecond {
		t.Errorf("first client closed after %v", d)
	}

	// About a second of shortage with clients arriving: each is closed
	// within the longest pause, and the process stays nearly idle.
	cpu0, wall0 := cpuTime(t), time.Now()
	clients := 0
	for time.Since(wall0) < time.Second {
		if d := clientClosed(t, addr); d > netutil.DefaultMaxBackoff+time.Second {
			t.Errorf("client %d closed after %v", clients, d)
		}
		clients++
	}
	cpu, wall := cpuTime(t)-cpu0, time.Since(wall0)
	t.Logf("%d clients in %v of shortage; CPU %v (%.1f%%)", clients, wall, cpu, 100*cpu.Seconds()/wall.Seconds())
	if cpu.Seconds() > 0.3*wall.Seconds() {
		t.Errorf("CPU %v over %v of shortage: the acceptor spins", cpu, wall)
	}

	// Descriptors free up: a client is served again, on the same listener.
	for _, fd := range fillers {
		unix.Close(fd)
	}
	fillers = nil
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fd := await(t, held, "a connection after the shortage")
	if _, err := unix.Write(fd, []byte("x")); err != nil {
		t.Errorf("write to the accepted connection: %v", err)
	}
	closeFD(fd)
	if _, err := c.Read(make([]byte, 1)); err != nil {
		t.Errorf("client read: %v", err)
	}
	onLoop(t, l, func() error {
		if ev, ok := l.Events(ln.FD()); !ok || ev != loop.Readable {
			t.Errorf("listener registered %v (%v), want Readable", ok, ev)
		}
		a.Stop()
		return nil
	})
	if _, err := unix.FcntlInt(uintptr(ln.FD()), unix.F_GETFD, 0); err != nil {
		t.Errorf("listener descriptor: %v", err)
	}
	s := a.Stats()
	t.Logf("stats %+v", s)
	if s.Shed < uint64(clients) || s.Accepted != 1 || s.Pauses == 0 {
		t.Errorf("Stats = %+v after %d shed clients", s, clients+1)
	}
	out := logs.String()
	t.Logf("log:\n%s", out)
	if n := strings.Count(out, "out of descriptors"); n == 0 || n > 3 {
		t.Errorf("%d warnings in the log, want 1 to 3", n)
	}
	if !strings.Contains(out, "accepting again") {
		t.Errorf("no recovery line in the log")
	}
}
