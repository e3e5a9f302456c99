//go:build unix && !(solaris || freebsd)

package netutil

import (
	"os"

	"golang.org/x/sys/unix"
)

const reusePortSupported = true

func setReusePort(fd int) error {
	return os.NewSyscallError("setsockopt SO_REUSEPORT", unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1))
}
