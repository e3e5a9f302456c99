//go:build unix

package netutil_test

import (
	"bufio"
	"errors"
	"fmt"
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

const (
	emfileChildEnv = "GALE_NETUTIL_EMFILE_CHILD"
	emfilePrefix   = "emfile: " // marks the child's protocol lines
)

// When the process runs out of descriptors, the acceptor closes new
// clients at once (the spare descriptor), does not spin (it pauses), keeps
// the listener, and serves again once descriptors free up.
//
// The server runs in a child process, which lowers RLIMIT_NOFILE and fills
// its descriptor table; this process is the client, so the clients never
// compete with the server for descriptors. The two talk over the child's
// standard input and output, one line per step.
func TestAcceptEMFILE(t *testing.T) {
	if os.Getenv(emfileChildEnv) == "1" {
		emfileServer(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAcceptEMFILE$", "-test.v", "-test.count=1", "-test.timeout=120s")
	cmd.Env = append(os.Environ(), emfileChildEnv+"=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var transcript strings.Builder
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			transcript.WriteString(sc.Text() + "\n")
			if s, ok := strings.CutPrefix(sc.Text(), emfilePrefix); ok {
				lines <- s
			}
		}
	}()
	// reply waits for the child's next protocol line.
	reply := func(what string) string {
		t.Helper()
		select {
		case s, ok := <-lines:
			if ok {
				return s
			}
		case <-time.After(2 * wait):
		}
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("no %s from the child; its output:\n%s%s", what, transcript.String(), stderr.String())
		panic("unreachable")
	}
	send := func(cmd string) { fmt.Fprintln(stdin, cmd) }

	addr, ok := strings.CutPrefix(reply("address"), "ready ")
	if !ok {
		t.Fatalf("child: %q", addr)
	}
	// A client is closed at once: the first EMFILE sheds the backlog.
	if d := clientClosed(t, addr); d > 500*time.Millisecond {
		t.Errorf("first client closed after %v", d)
	}
	// About a second of shortage with clients arriving: each is closed
	// within the longest pause; the child measures its CPU time.
	send("cpu-start")
	reply("cpu-start")
	t0 := time.Now()
	clients := 0
	for time.Since(t0) < time.Second {
		if d := clientClosed(t, addr); d > netutil.DefaultMaxBackoff+time.Second {
			t.Errorf("client %d closed after %v", clients, d)
		}
		clients++
	}
	send("cpu-stop")
	t.Logf("%d clients during the shortage; child: %s", clients, reply("cpu-stop"))
	// Descriptors free up: a client is served again.
	send("free")
	reply("free")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	send("serve")
	c.SetReadDeadline(time.Now().Add(2 * wait))
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Errorf("client after the shortage: %v", err)
	}
	reply("serve")
	stdin.Close()
	err = cmd.Wait()
	<-lines
	if err != nil || !strings.Contains(transcript.String(), "--- PASS: TestAcceptEMFILE") {
		t.Fatalf("child: %v\n%s%s", err, transcript.String(), stderr.String())
	}
	t.Logf("child:\n%s", transcript.String())
}

// clientClosed connects a client and measures how long the server takes
// to close it.
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

// cpuTime is the process's user plus system time so far.
func cpuTime(t testing.TB) time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// emfileServer is the child: a server with no descriptor to spare.
func emfileServer(t *testing.T) {
	say := func(format string, args ...any) { fmt.Printf(emfilePrefix+format+"\n", args...) }
	commands := bufio.NewScanner(os.Stdin)
	expect := func(cmd string) {
		t.Helper()
		if !commands.Scan() || commands.Text() != cmd {
			t.Fatalf("command %q, want %q (%v)", commands.Text(), cmd, commands.Err())
		}
	}

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
	var logs logBuffer
	held := make(chan poller.FD, 64)
	a, err := netutil.AddAcceptHandler(l, ln, func(fd poller.FD, _ net.Addr) { held <- fd },
		&netutil.AcceptOptions{Logger: logs.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	start(t, l)
	defer func() {
		for len(held) > 0 {
			closeFD(<-held)
		}
	}()

	// Fill the descriptor table.
	var fillers []int
	closeFillers := func() {
		for _, fd := range fillers {
			unix.Close(fd)
		}
		fillers = nil
	}
	defer closeFillers()
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
	say("ready %s", ln.Addr())

	expect("cpu-start")
	cpu0, wall0 := cpuTime(t), time.Now()
	say("ok")
	expect("cpu-stop")
	cpu, wall := cpuTime(t)-cpu0, time.Since(wall0)
	say("CPU %v in %v (%.1f%%)", cpu, wall, 100*cpu.Seconds()/wall.Seconds())
	if cpu.Seconds() > 0.3*wall.Seconds() {
		t.Errorf("CPU %v over %v of shortage: the acceptor spins", cpu, wall)
	}

	expect("free")
	closeFillers()
	say("ok")
	expect("serve")
	fd := await(t, held, "a connection after the shortage")
	if _, err := unix.Write(fd, []byte("x")); err != nil {
		t.Errorf("write to the accepted connection: %v", err)
	}
	closeFD(fd)
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
	if s.Shed < 2 || s.Accepted != 1 || s.Pauses == 0 {
		t.Errorf("Stats = %+v", s)
	}
	out := logs.String()
	t.Logf("stats %+v; log:\n%s", s, out)
	if n := strings.Count(out, "out of descriptors"); n == 0 || n > 3 {
		t.Errorf("%d warnings in the log, want 1 to 3", n)
	}
	if !strings.Contains(out, "accepting again") {
		t.Errorf("no recovery line in the log")
	}
	say("done")
}
