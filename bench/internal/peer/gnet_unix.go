//go:build unix

package peer

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// GnetAddr asks the kernel which address gnet's listener is bound to,
// which is how port 0 becomes a real port.
func GnetAddr(eng gnet.Engine) (net.Addr, error) {
	fd, err := eng.Dup()
	if err != nil {
		return nil, fmt.Errorf("dup listener: %w", err)
	}
	defer unix.Close(fd)
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil, fmt.Errorf("getsockname: %w", err)
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))), nil
	case *unix.SockaddrInet6:
		return net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))), nil
	}
	return nil, fmt.Errorf("listener bound to unexpected address %v", sa)
}

// ReservePort turns port 0 into a concrete free port when gnet will bind
// several SO_REUSEPORT listeners (one per loop), since each of them would
// otherwise get a port of its own. It binds, without listening, a
// SO_REUSEPORT socket to host:0 and keeps it until release, so nobody else
// takes the port while gnet binds its listeners to it; a socket that does
// not listen receives no connections.
func ReservePort(addr string, loops int) (string, func(), error) {
	nop := func() {}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", nop, err
	}
	if port != "0" || loops <= 1 {
		return addr, nop, nil
	}
	ap, err := netip.ParseAddr(host)
	if err != nil {
		return "", nop, fmt.Errorf("with -loops > 1 and port 0, the host must be an IP address: %w", err)
	}
	family := unix.AF_INET
	var sa unix.Sockaddr = &unix.SockaddrInet4{Addr: ap.As4()}
	if ap.Is6() && !ap.Is4In6() {
		family = unix.AF_INET6
		sa = &unix.SockaddrInet6{Addr: ap.As16()}
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM, 0)
	if err != nil {
		return "", nop, fmt.Errorf("reserve port: %w", err)
	}
	unix.CloseOnExec(fd)
	release := func() { unix.Close(fd) }
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
		release()
		return "", nop, fmt.Errorf("reserve port: SO_REUSEPORT: %w", err)
	}
	if err := unix.Bind(fd, sa); err != nil {
		release()
		return "", nop, fmt.Errorf("reserve port: bind: %w", err)
	}
	got, err := unix.Getsockname(fd)
	if err != nil {
		release()
		return "", nop, fmt.Errorf("reserve port: %w", err)
	}
	var p int
	switch got := got.(type) {
	case *unix.SockaddrInet4:
		p = got.Port
	case *unix.SockaddrInet6:
		p = got.Port
	}
	return net.JoinHostPort(host, strconv.Itoa(p)), release, nil
}
