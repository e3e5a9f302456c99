package netutil

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/poller"
	"golang.org/x/sys/unix"
)

// A listener that is shut down fails every accept (EINVAL) and reports
// Hangup on every poll whatever its interest. The acceptor pauses, and
// during the pause stops watching the listener altogether, so the loop does
// not spin on the hangup.
func TestAcceptListenerHangup(t *testing.T) {
	l, err := loop.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	lns, err := BindSockets(0, "127.0.0.1", nil)
	if err != nil {
		t.Fatal(err)
	}
	ln := lns[0]
	defer ln.Close()
	errs := 0
	a, err := AddAcceptHandler(l, ln, func(fd poller.FD, _ net.Addr) { unix.Close(fd) },
		&AcceptOptions{Logger: slogTo(io.Discard), OnError: func(error) { errs++ }})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Stop()
	if err := unix.Shutdown(ln.FD(), unix.SHUT_RDWR); err != nil {
		t.Skip("shutdown of a listener:", err)
	}
	var before, after unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &before)
	const span = 300 * time.Millisecond
	runLoop(t, l, func(done func()) { l.CallLater(span, done) })
	unix.Getrusage(unix.RUSAGE_SELF, &after)
	cpu := time.Duration(after.Utime.Nano() - before.Utime.Nano() + after.Stime.Nano() - before.Stime.Nano())
	if errs == 0 || errs > 10 {
		t.Errorf("%d accept errors in %v", errs, span)
	}
	if cpu > span*3/10 {
		t.Errorf("CPU %v in %v: the loop spins on the hangup", cpu, span)
	}
}
