//go:build unix && !darwin && !aix

package subprocess

import (
	"os"

	"golang.org/x/sys/unix"
)

// pipe returns a pipe's read and write ends, both close-on-exec from the
// start (pipe2), so that no child forked meanwhile by another goroutine
// inherits them.
func pipe() (r, w int, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return -1, -1, os.NewSyscallError("pipe2", err)
	}
	return p[0], p[1], nil
}
