//go:build unix

package stream

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

func wouldBlock(err error) bool { return err == unix.EAGAIN || err == unix.EWOULDBLOCK }

// notSocket reports a socket call on a descriptor that is not a socket.
func notSocket(err error) bool { return err == unix.ENOTSOCK }

func sysClose(fd int) error { return unix.Close(fd) }

func sysShutdownWrite(fd int) error { return unix.Shutdown(fd, unix.SHUT_WR) }

func sysSetNonblock(fd int) error { return unix.SetNonblock(fd, true) }

func sysSocketError(fd int) error {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return err
	}
	if v != 0 {
		return unix.Errno(v)
	}
	return nil
}

// quietErr reports errors that mean the peer went away, which close a
// stream without a log line (Tornado's list: ECONNRESET, ECONNABORTED,
// EPIPE, ETIMEDOUT; plus EPROTOTYPE, which macOS returns in a send race).
func quietErr(err error) bool {
	for _, e := range []error{unix.ECONNRESET, unix.ECONNABORTED, unix.EPIPE, unix.ETIMEDOUT, unix.EPROTOTYPE, unix.ENOTCONN} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func sysSetNoDelay(fd int, on bool) error {
	v := 0
	if on {
		v = 1
	}
	return os.NewSyscallError("setsockopt", unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, v))
}

func sysSetKeepAlive(fd int, on bool, idle time.Duration) error {
	v := 0
	if on {
		v = 1
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, v); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
	if on && idle > 0 {
		return setKeepAliveIdle(fd, int((idle+time.Second-1)/time.Second))
	}
	return nil
}

func isInProgress(err error) bool { return err == unix.EINPROGRESS }

// isNotTCP reports the errors setting a TCP option gives on other sockets.
func isNotTCP(err error) bool {
	return errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOPROTOOPT) || errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOTSOCK)
}

func sysConnect(fd int, addr netip.AddrPort) error {
	var sa unix.Sockaddr
	if a := addr.Addr(); a.Is4() || a.Is4In6() {
		sa = &unix.SockaddrInet4{Port: int(addr.Port()), Addr: a.Unmap().As4()}
	} else {
		sa = &unix.SockaddrInet6{Port: int(addr.Port()), Addr: a.As16(), ZoneId: zoneIndex(a.Zone())}
	}
	for {
		err := unix.Connect(fd, sa)
		if err == unix.EINTR {
			// The connect goes on in the background; wait for it.
			return unix.EINPROGRESS
		}
		return err
	}
}

func sysLocalAddr(fd int) net.Addr {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil
	}
	return sockaddrToAddr(sa)
}

func sysRemoteAddr(fd int) net.Addr {
	sa, err := unix.Getpeername(fd)
	if err != nil {
		return nil
	}
	return sockaddrToAddr(sa)
}

func sockaddrToAddr(sa unix.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port)))
	case *unix.SockaddrInet6:
		ip := netip.AddrFrom16(a.Addr)
		if a.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(a.ZoneId)); err == nil {
				ip = ip.WithZone(ifi.Name)
			}
		}
		return net.TCPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(a.Port)))
	case *unix.SockaddrUnix:
		return &net.UnixAddr{Name: a.Name, Net: "unix"}
	}
	return nil
}

var errAgain error = unix.EAGAIN
