package subprocess_test

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream/subprocess"
	"golang.org/x/sys/unix"
)

// pidfdOpenWorks reports why pidfd_open fails here, if it does.
func pidfdOpenWorks() error {
	fd, err := unix.PidfdOpen(os.Getpid(), 0)
	if err != nil {
		return err
	}
	return unix.Close(fd)
}

// A callback set before the exit and posted when the exit is learned is
// replaced (or removed) by a SetExitCallback made before it runs, like
// one set after the exit: here a timer in the same turn as the pidfd's
// event replaces it, so only the replacement may run.
func TestSetExitCallbackReplacesPostedAtExit(t *testing.T) {
	if err := pidfdOpenWorks(); err != nil {
		t.Skipf("pidfd_open: %v", err)
	}
	t.Cleanup(subprocess.SetForceGoroutine(false))
	for _, replace := range []bool{true, false} {
		t.Run(fmt.Sprintf("replace=%v", replace), func(t *testing.T) {
			run(t, func(l *loop.Loop, done func()) {
				p := start(t, l, exec.Command("sh", "-c", "exit 3"), nil)
				if w := subprocess.Watcher(p); w != "pidfd" {
					t.Fatalf("watched by %s, want pidfd", w)
				}
				p.SetExitCallback(func(*os.ProcessState) { t.Error("the exit callback set before the exit ran after being replaced") })
				// Block the loop until the child has exited, so that the
				// next turn sees the pidfd ready and the timer due.
				fd, err := unix.PidfdOpen(p.Pid(), 0)
				if err != nil {
					t.Fatalf("pidfd_open: %v", err)
				}
				defer unix.Close(fd)
				fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
				for {
					n, err := unix.Poll(fds, 30_000)
					if err == unix.EINTR {
						continue
					}
					if err != nil || n != 1 {
						t.Fatalf("child did not exit: %d, %v", n, err)
					}
					break
				}
				l.CallLater(0, func() {
					if p.ProcessState() == nil {
						t.Fatalf("the exit was not learned before the timer ran")
					}
					if !replace {
						p.SetExitCallback(nil)
						p.Wait(func(int, error) { l.Post(done) })
						return
					}
					p.SetExitCallback(func(state *os.ProcessState) {
						if state.ExitCode() != 3 {
							t.Errorf("exit callback: %v", state)
						}
						l.Post(done) // a turn later: nothing else may come
					})
				})
			})
		})
	}
}
