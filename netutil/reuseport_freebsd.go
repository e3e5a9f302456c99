package netutil

import (
	"os"

	"golang.org/x/sys/unix"
)

const reusePortSupported = true

// setReusePort sets SO_REUSEPORT and, where the kernel has it (FreeBSD 12
// and later), SO_REUSEPORT_LB, which balances connections across the
// sockets as SO_REUSEPORT does on Linux.
func setReusePort(fd int) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
		return os.NewSyscallError("setsockopt SO_REUSEPORT", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT_LB, 1); err != nil && err != unix.ENOPROTOOPT {
		return os.NewSyscallError("setsockopt SO_REUSEPORT_LB", err)
	}
	return nil
}
