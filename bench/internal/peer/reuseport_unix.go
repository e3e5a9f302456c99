//go:build unix

package peer

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// ReusePortControl sets SO_REUSEPORT on a listening socket before bind
// (net.ListenConfig.Control), so several processes can share the port.
func ReusePortControl(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	}); err != nil {
		return err
	}
	return serr
}
