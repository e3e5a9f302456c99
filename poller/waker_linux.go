//go:build linux

package poller

import (
	"os"

	"golang.org/x/sys/unix"
)

// newWaker uses one eventfd as both ends.
func newWaker() (*waker, error) {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("eventfd", err)
	}
	return &waker{rfd: fd, wfd: fd}, nil
}
