//go:build windows

package tcpserver

import "syscall"

func closeFD(fd syscall.Handle) { syscall.Closesocket(fd) }
