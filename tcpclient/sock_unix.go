//go:build unix

package tcpclient

import (
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"

	"github.com/gale-io/gale/poller"
	"golang.org/x/sys/unix"
)

// openSocket returns a non-blocking, close-on-exec TCP socket of a's
// family, bound to the local address and port if either is set.
func openSocket(a netip.Addr, local netip.Addr, port int) (poller.FD, error) {
	family := unix.AF_INET
	if !a.Is4() {
		family = unix.AF_INET6
	}
	fd, err := newSocket(family)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if local.IsValid() || port != 0 {
		if err := bindSocket(fd, family, local, port); err != nil {
			unix.Close(fd)
			return -1, err
		}
	}
	return fd, nil
}

// newSocketLegacy makes the socket where socket(2) takes no flags: under
// syscall.ForkLock, so that a concurrent fork+exec cannot inherit it
// before close-on-exec is set.
func newSocketLegacy(family int) (int, error) {
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(family, unix.SOCK_STREAM, unix.IPPROTO_TCP)
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

func bindSocket(fd, family int, local netip.Addr, port int) error {
	if port != 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return os.NewSyscallError("setsockopt SO_REUSEADDR", err)
		}
	}
	var sa unix.Sockaddr
	if family == unix.AF_INET {
		if !local.IsValid() {
			local = netip.IPv4Unspecified()
		}
		sa = &unix.SockaddrInet4{Port: port, Addr: local.As4()}
	} else {
		if !local.IsValid() {
			local = netip.IPv6Unspecified()
		}
		sa = &unix.SockaddrInet6{Port: port, Addr: local.As16(), ZoneId: zoneID(local.Zone())}
	}
	return os.NewSyscallError("bind", unix.Bind(fd, sa))
}

// zoneID is the interface index an IPv6 zone names (a name or a number).
func zoneID(zone string) uint32 {
	if zone == "" {
		return 0
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index)
	}
	n, _ := strconv.ParseUint(zone, 10, 32)
	return uint32(n)
}

func closeSocket(fd poller.FD) { unix.Close(fd) }
