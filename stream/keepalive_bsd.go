//go:build freebsd || netbsd || dragonfly || solaris

package stream

import (
	"os"

	"golang.org/x/sys/unix"
)

func setKeepAliveIdle(fd, secs int) error {
	return os.NewSyscallError("setsockopt", unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, secs))
}
