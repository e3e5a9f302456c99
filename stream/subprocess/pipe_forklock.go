//go:build darwin || aix

package subprocess

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// pipe returns a pipe's read and write ends, both close-on-exec. Without
// pipe2 the flag is set after the fact, under syscall.ForkLock, as package
// os does, so that no child forked meanwhile inherits the ends.
func pipe() (r, w int, err error) {
	var p [2]int
	syscall.ForkLock.RLock()
	if err := unix.Pipe(p[:]); err != nil {
		syscall.ForkLock.RUnlock()
		return -1, -1, os.NewSyscallError("pipe", err)
	}
	unix.CloseOnExec(p[0])
	unix.CloseOnExec(p[1])
	syscall.ForkLock.RUnlock()
	return p[0], p[1], nil
}
