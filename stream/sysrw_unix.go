//go:build unix && !linux

package stream

import (
	"net/netip"

	"golang.org/x/sys/unix"
)

func sysRead(fd int, p []byte) (int, error) {
	for {
		n, err := unix.Read(fd, p)
		if err == unix.EINTR {
			continue
		}
		return n, err
	}
}

func sysWrite(fd int, p []byte) (int, error) {
	for {
		n, err := unix.Write(fd, p)
		if err == unix.EINTR {
			continue
		}
		return n, err
	}
}

// Elsewhere a socket is read and written as any descriptor.
func sysRecv(fd int, p []byte) (int, error) { return sysRead(fd, p) }

func sysSend(fd int, p []byte) (int, error) { return sysWrite(fd, p) }

func sysRemoteAddrPort(fd int) netip.AddrPort { return addrPortOf(sysRemoteAddr(fd)) }
