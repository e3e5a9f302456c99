//go:build windows

package loop

import (
	"os"
	"syscall"
)

func closeFD(fd syscall.Handle) error {
	return os.NewSyscallError("closesocket", syscall.Closesocket(fd))
}
