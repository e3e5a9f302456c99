//go:build windows

package stream

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Winsock calls made directly (send, recv, connect, ioctlsocket's FIONBIO)
// rather than through x/sys/windows's WSASend and WSARecv, which box every
// error: a non-blocking socket ends most reads with WSAEWOULDBLOCK.
var (
	ws2         = windows.NewLazySystemDLL("ws2_32.dll")
	procSend    = ws2.NewProc("send")
	procRecv    = ws2.NewProc("recv")
	procConnect = ws2.NewProc("connect")
)

const (
	fionbio = 0x8004667e // _IOW('f', 126, u_long)
	soError = 0x1007     // SO_ERROR, which x/sys/windows lacks
)

// maxIovecs: one buffer per send; the queue coalesces small writes.
const maxIovecs = 1

func sysRead(fd syscall.Handle, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		r, _, errno := syscall.SyscallN(procRecv.Addr(), uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(min(len(p), 1<<30)), 0)
		if n := int32(r); n >= 0 {
			return int(n), nil
		}
		if errno == windows.WSAEINTR {
			continue
		}
		return 0, errno
	}
}

func sysWrite(fd syscall.Handle, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		r, _, errno := syscall.SyscallN(procSend.Addr(), uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(min(len(p), 128<<10)), 0)
		if n := int32(r); n >= 0 {
			return int(n), nil
		}
		if errno == windows.WSAEINTR {
			continue
		}
		return 0, errno
	}
}

func sysWritev(fd syscall.Handle, bufs [][]byte) (int, error) { return sysWrite(fd, bufs[0]) }

// Streams on Windows are sockets, read and written with recv and send.
func sysRecv(fd syscall.Handle, p []byte) (int, error) { return sysRead(fd, p) }

func sysSend(fd syscall.Handle, p []byte) (int, error) { return sysWrite(fd, p) }

func wouldBlock(err error) bool { return err == windows.WSAEWOULDBLOCK }

// notSocket is false: streams on Windows are sockets.
func notSocket(error) bool { return false }

func isInProgress(err error) bool {
	return err == windows.WSAEWOULDBLOCK || err == windows.WSAEINPROGRESS
}

func sysClose(fd syscall.Handle) error { return windows.Closesocket(windows.Handle(fd)) }

func sysShutdownWrite(fd syscall.Handle) error {
	return windows.Shutdown(windows.Handle(fd), windows.SHUT_WR)
}

func sysSetNonblock(fd syscall.Handle) error {
	on := uint32(1)
	var n uint32
	return os.NewSyscallError("ioctlsocket", windows.WSAIoctl(windows.Handle(fd), fionbio, (*byte)(unsafe.Pointer(&on)), uint32(unsafe.Sizeof(on)), nil, 0, &n, nil, 0))
}

func sysSocketError(fd syscall.Handle) error {
	v, err := windows.GetsockoptInt(windows.Handle(fd), windows.SOL_SOCKET, soError)
	if err != nil {
		return err
	}
	if v != 0 {
		return syscall.Errno(v)
	}
	return nil
}

func quietErr(err error) bool {
	for _, e := range []error{windows.WSAECONNRESET, windows.WSAECONNABORTED, windows.WSAESHUTDOWN, windows.WSAETIMEDOUT, windows.WSAENOTCONN, syscall.EPIPE} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func isNotTCP(err error) bool {
	return errors.Is(err, windows.WSAEINVAL) || errors.Is(err, windows.WSAENOPROTOOPT) || errors.Is(err, windows.WSAENOTSOCK)
}

func sysSetNoDelay(fd syscall.Handle, on bool) error {
	v := 0
	if on {
		v = 1
	}
	return os.NewSyscallError("setsockopt", windows.SetsockoptInt(windows.Handle(fd), windows.IPPROTO_TCP, windows.TCP_NODELAY, v))
}

func sysSetKeepAlive(fd syscall.Handle, on bool, idle time.Duration) error {
	v := 0
	if on {
		v = 1
	}
	// The idle time needs SIO_KEEPALIVE_VALS; the system default applies.
	return os.NewSyscallError("setsockopt", windows.SetsockoptInt(windows.Handle(fd), windows.SOL_SOCKET, windows.SO_KEEPALIVE, v))
}

func sysConnect(fd syscall.Handle, addr netip.AddrPort) error {
	var sa windows.Sockaddr
	if a := addr.Addr(); a.Is4() || a.Is4In6() {
		sa = &windows.SockaddrInet4{Port: int(addr.Port()), Addr: a.Unmap().As4()}
	} else {
		sa = &windows.SockaddrInet6{Port: int(addr.Port()), Addr: a.As16(), ZoneId: zoneIndex(a.Zone())}
	}
	return windows.Connect(windows.Handle(fd), sa)
}

func sysLocalAddr(fd syscall.Handle) net.Addr {
	sa, err := windows.Getsockname(windows.Handle(fd))
	if err != nil {
		return nil
	}
	return sockaddrToAddr(sa)
}

func sysRemoteAddr(fd syscall.Handle) net.Addr {
	sa, err := windows.Getpeername(windows.Handle(fd))
	if err != nil {
		return nil
	}
	return sockaddrToAddr(sa)
}

func sysRemoteAddrPort(fd syscall.Handle) netip.AddrPort {
	return addrPortOf(sysRemoteAddr(fd))
}

func sockaddrToAddr(sa windows.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *windows.SockaddrInet4:
		return net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port)))
	case *windows.SockaddrInet6:
		return net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port)))
	}
	return nil
}

var errAgain error = windows.WSAEWOULDBLOCK
