//go:build unix && !linux

package poller

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// newWaker uses a non-blocking, close-on-exec pipe.
func newWaker() (*waker, error) {
	var p [2]int
	// ForkLock keeps a concurrent fork+exec from inheriting the pipe before
	// close-on-exec is set (not every Unix here has pipe2).
	syscall.ForkLock.RLock()
	err := unix.Pipe(p[:])
	if err == nil {
		unix.CloseOnExec(p[0])
		unix.CloseOnExec(p[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, os.NewSyscallError("pipe", err)
	}
	for _, fd := range p {
		if err := unix.SetNonblock(fd, true); err != nil {
			unix.Close(p[0])
			unix.Close(p[1])
			return nil, os.NewSyscallError("fcntl", err)
		}
	}
	return &waker{rfd: p[0], wfd: p[1]}, nil
}
