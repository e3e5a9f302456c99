//go:build linux

package subprocess

import (
	"os"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/poller"
	"golang.org/x/sys/unix"
)

// watchPidfd watches the child's exit with a process descriptor
// (pidfd_open, Linux 5.3), which polls readable once the child has exited,
// so the loop learns of the exit with no goroutine and no thread blocked
// in wait. It declines (and the caller falls back to a goroutine) when
// the kernel or a seccomp filter refuses pidfd_open, and when os/exec
// runs copying goroutines for the Cmd (a Stdin, Stdout or Stderr that is
// neither nil nor an *os.File): cmd.Wait waits for those to reach end of
// file, which a process the child left behind can delay indefinitely, and
// it must not block the loop.
//
// The pid cannot be reused before pidfd_open: nothing reaps the child
// until cmd.Wait (Go installs no SIGCHLD handler that reaps).
func (p *Process) watchPidfd() bool {
	if forceGoroutine.Load() || !onlyFiles(p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr) {
		return false
	}
	fd, err := unix.PidfdOpen(p.pid, 0) // always close-on-exec
	if err != nil {
		return false
	}
	h := loop.HandlerFunc(func(fd poller.FD, _ poller.Events) {
		if !p.zombie() {
			return // a spurious event: poll again
		}
		p.l.RemoveHandler(fd)
		unix.Close(fd)
		// The child has exited and os/exec has nothing to wait for but
		// the exit itself, so this does not block.
		err := p.cmd.Wait()
		p.exit(p.cmd.ProcessState, err)
	})
	if err := p.l.AddHandler(fd, loop.Readable, h); err != nil {
		unix.Close(fd)
		return false
	}
	p.watcher = "pidfd"
	return true
}

// zombie reports whether the child has exited (and not been reaped), by a
// waitid that neither blocks nor reaps. An error says yes, so that
// cmd.Wait reports it.
func (p *Process) zombie() bool {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, p.pid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
		if err == unix.EINTR {
			continue
		}
		// With WNOHANG and no exited child, Linux leaves info zeroed.
		return err != nil || info.Signo != 0
	}
}

// onlyFiles reports whether os/exec will hand each of these to the child
// as it is, with no copying goroutine.
func onlyFiles(stdio ...any) bool {
	for _, v := range stdio {
		switch v.(type) {
		case nil, *os.File:
		default:
			return false
		}
	}
	return true
}
