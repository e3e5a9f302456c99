//go:build unix

package netutil

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"

	"github.com/gale-io/gale/poller"
	"golang.org/x/sys/unix"
)

// newSocketLegacy makes a non-blocking, close-on-exec socket where socket(2)
// cannot do it in one call: under syscall.ForkLock, so a concurrent
// fork+exec does not inherit the descriptor before close-on-exec is set.
func newSocketLegacy(family int) (int, error) {
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(family, unix.SOCK_STREAM, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func closeSocket(fd poller.FD) error { return os.NewSyscallError("close", unix.Close(fd)) }

func isAddrInUse(err error) bool    { return errors.Is(err, unix.EADDRINUSE) }
func isAddrNotAvail(err error) bool { return errors.Is(err, unix.EADDRNOTAVAIL) }
func isAFNoSupport(err error) bool  { return errors.Is(err, unix.EAFNOSUPPORT) }

// listenTCP opens a listening TCP socket on ap and returns it with the
// address it got.
func listenTCP(ap netip.AddrPort, reusePort bool, backlog int) (poller.FD, netip.AddrPort, error) {
	family := unix.AF_INET
	if ap.Addr().Is6() {
		family = unix.AF_INET6
	}
	sa, err := sockaddrOf(ap)
	if err != nil {
		return -1, netip.AddrPort{}, err
	}
	fd, err := newSocket(family)
	if err != nil {
		return -1, netip.AddrPort{}, os.NewSyscallError("socket", err)
	}
	bound, err := setupListener(fd, family, sa, reusePort, backlog)
	if err != nil {
		unix.Close(fd)
		return -1, netip.AddrPort{}, err
	}
	return fd, bound, nil
}

func setupListener(fd, family int, sa unix.Sockaddr, reusePort bool, backlog int) (netip.AddrPort, error) {
	// ENOPROTOOPT is ignored, as Tornado does, for systems without it.
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil && err != unix.ENOPROTOOPT {
		return netip.AddrPort{}, os.NewSyscallError("setsockopt SO_REUSEADDR", err)
	}
	if reusePort {
		if err := setReusePort(fd); err != nil {
			return netip.AddrPort{}, err
		}
	}
	if family == unix.AF_INET6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			return netip.AddrPort{}, os.NewSyscallError("setsockopt IPV6_V6ONLY", err)
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return netip.AddrPort{}, os.NewSyscallError("bind", err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		return netip.AddrPort{}, os.NewSyscallError("listen", err)
	}
	got, err := unix.Getsockname(fd)
	if err != nil {
		return netip.AddrPort{}, os.NewSyscallError("getsockname", err)
	}
	return addrPortOf(got), nil
}

func sockaddrOf(ap netip.AddrPort) (unix.Sockaddr, error) {
	a := ap.Addr()
	if a.Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: a.As4()}, nil
	}
	zone, err := zoneIndex(a.Zone())
	if err != nil {
		return nil, err
	}
	return &unix.SockaddrInet6{Port: int(ap.Port()), ZoneId: zone, Addr: a.As16()}, nil
}

func addrPortOf(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		a := netip.AddrFrom16(sa.Addr)
		if sa.ZoneId != 0 {
			a = a.WithZone(zoneName(sa.ZoneId))
		}
		return netip.AddrPortFrom(a, uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// netAddrOf converts an accepted peer's address.
func netAddrOf(sa unix.Sockaddr) net.Addr {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4, *unix.SockaddrInet6:
		return net.TCPAddrFromAddrPort(addrPortOf(sa))
	case *unix.SockaddrUnix:
		return &net.UnixAddr{Name: sa.Name, Net: "unix"}
	}
	return nil
}
