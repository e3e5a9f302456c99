//go:build darwin

package stream

import (
	"os"

	"golang.org/x/sys/unix"
)

func setKeepAliveIdle(fd, secs int) error {
	return os.NewSyscallError("setsockopt", unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPALIVE, secs))
}
