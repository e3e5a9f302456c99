package subprocess_test

import (
	"os"

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
