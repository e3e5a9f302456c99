//go:build linux

package netutil

import (
	"net"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// acceptConn accepts one connection: non-blocking and close-on-exec from
// birth (accept4). The peer's address is read into a buffer on the stack
// and converted in one allocation, where golang.org/x/sys's Accept4 makes
// three (its sockaddr buffer escapes, then a Sockaddr, then the
// net.TCPAddr and its IP): per connection, that garbage is a visible share
// of a busy server's memory. With peer false, the kernel is not even asked
// for the address, and nothing is allocated.
func acceptConn(fd int, peer bool) (int, net.Addr, error) {
	var rsa unix.RawSockaddrAny
	n := uint32(unix.SizeofSockaddrAny)
	rp, np := uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&n))
	if !peer {
		rp, np = 0, 0
	}
	for {
		nfd, _, e := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(fd), rp, np, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
		switch e {
		case 0:
			if !peer {
				return int(nfd), nil, nil
			}
			return int(nfd), peerAddr(&rsa, int(n)), nil
		case unix.EINTR:
			continue
		}
		return -1, nil, e
	}
}

// tcpAddrBox holds a net.TCPAddr and the bytes of its IP in one object.
type tcpAddrBox struct {
	addr net.TCPAddr
	ip   [16]byte
}

// netPort reads a sockaddr's port, which is in network byte order whatever
// the machine's order is.
func netPort(p *uint16) int {
	b := (*[2]byte)(unsafe.Pointer(p))
	return int(b[0])<<8 | int(b[1])
}

// peerAddr converts an accepted peer's raw address, n bytes long.
func peerAddr(rsa *unix.RawSockaddrAny, n int) net.Addr {
	switch rsa.Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		b := new(tcpAddrBox)
		copy(b.ip[:4], sa.Addr[:])
		b.addr.IP = b.ip[:4]
		b.addr.Port = netPort(&sa.Port)
		return &b.addr
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
		port := netPort(&sa.Port)
		if sa.Scope_id != 0 {
			a := netip.AddrFrom16(sa.Addr).WithZone(zoneName(sa.Scope_id))
			return net.TCPAddrFromAddrPort(netip.AddrPortFrom(a, uint16(port)))
		}
		b := new(tcpAddrBox)
		b.ip = sa.Addr
		b.addr.IP = b.ip[:]
		b.addr.Port = port
		return &b.addr
	case unix.AF_UNIX:
		sa := (*unix.RawSockaddrUnix)(unsafe.Pointer(rsa))
		// The length tells an unnamed peer (no path at all) from one
		// bound to an abstract name (a NUL, then the name), which is
		// written with a leading '@', as Go's net package and
		// BindUnixSocket write it.
		path := sa.Path[:min(max(n-2, 0), len(sa.Path))]
		var name []byte
		for i, c := range path {
			if c == 0 {
				if i > 0 {
					break
				}
				c = '@'
			}
			name = append(name, byte(c))
		}
		return &net.UnixAddr{Name: string(name), Net: "unix"}
	}
	return nil
}
