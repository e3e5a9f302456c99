package netutil

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"github.com/gale-io/gale/poller"
	"golang.org/x/sys/windows"
)

// fionbio is winsock2.h's FIONBIO (_IOW('f', 126, u_long)), which
// golang.org/x/sys/windows does not define.
const fionbio = 0x8004667e

// Windows has SO_REUSEADDR, but it lets another socket steal a bound port;
// nothing there balances like SO_REUSEPORT.
const reusePortSupported = false

func setReusePort(windows.Handle) error { return unsupported("SO_REUSEPORT") }

// wsaStartup initialises Winsock once; the os package has usually done it
// already, and WSAStartup counts its callers.
var wsaStartup = sync.OnceValue(func() error {
	var d windows.WSAData
	return os.NewSyscallError("WSAStartup", windows.WSAStartup(uint32(0x202), &d))
})

func setNonblock(s windows.Handle) error {
	on := uint32(1)
	var n uint32
	err := windows.WSAIoctl(s, fionbio, (*byte)(unsafe.Pointer(&on)), uint32(unsafe.Sizeof(on)), nil, 0, &n, nil, 0)
	return os.NewSyscallError("ioctlsocket FIONBIO", err)
}

func closeSocket(fd poller.FD) error {
	return os.NewSyscallError("closesocket", windows.Closesocket(windows.Handle(fd)))
}

func isAddrInUse(err error) bool    { return errors.Is(err, windows.WSAEADDRINUSE) }
func isAddrNotAvail(err error) bool { return errors.Is(err, windows.WSAEADDRNOTAVAIL) }
func isAFNoSupport(err error) bool  { return errors.Is(err, windows.WSAEAFNOSUPPORT) }

// listenTCP opens a listening TCP socket on ap, not inheritable by child
// processes, and returns it with the address it got.
func listenTCP(ap netip.AddrPort, reusePort bool, backlog int) (poller.FD, netip.AddrPort, error) {
	invalid := poller.FD(windows.InvalidHandle)
	if err := wsaStartup(); err != nil {
		return invalid, netip.AddrPort{}, err
	}
	if reusePort {
		return invalid, netip.AddrPort{}, setReusePort(0)
	}
	family := windows.AF_INET
	var sa windows.Sockaddr
	if ap.Addr().Is4() {
		sa = &windows.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	} else {
		zone, err := zoneIndex(ap.Addr().Zone())
		if err != nil {
			return invalid, netip.AddrPort{}, err
		}
		family = windows.AF_INET6
		sa = &windows.SockaddrInet6{Port: int(ap.Port()), ZoneId: zone, Addr: ap.Addr().As16()}
	}
	s, err := windows.WSASocket(int32(family), windows.SOCK_STREAM, windows.IPPROTO_TCP, nil, 0,
		windows.WSA_FLAG_OVERLAPPED|windows.WSA_FLAG_NO_HANDLE_INHERIT)
	if err != nil {
		return invalid, netip.AddrPort{}, os.NewSyscallError("socket", err)
	}
	bound, err := setupListener(s, family, sa, backlog)
	if err != nil {
		windows.Closesocket(s)
		return invalid, netip.AddrPort{}, err
	}
	return poller.FD(s), bound, nil
}

func setupListener(s windows.Handle, family int, sa windows.Sockaddr, backlog int) (netip.AddrPort, error) {
	if err := setNonblock(s); err != nil {
		return netip.AddrPort{}, err
	}
	if family == windows.AF_INET6 {
		if err := windows.SetsockoptInt(s, windows.IPPROTO_IPV6, windows.IPV6_V6ONLY, 1); err != nil {
			return netip.AddrPort{}, os.NewSyscallError("setsockopt IPV6_V6ONLY", err)
		}
	}
	if err := windows.Bind(s, sa); err != nil {
		return netip.AddrPort{}, os.NewSyscallError("bind", err)
	}
	if err := windows.Listen(s, backlog); err != nil {
		return netip.AddrPort{}, os.NewSyscallError("listen", err)
	}
	got, err := windows.Getsockname(s)
	if err != nil {
		return netip.AddrPort{}, os.NewSyscallError("getsockname", err)
	}
	return addrPortOf(got), nil
}

func addrPortOf(sa windows.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *windows.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *windows.SockaddrInet6:
		a := netip.AddrFrom16(sa.Addr)
		if sa.ZoneId != 0 {
			a = a.WithZone(zoneName(sa.ZoneId))
		}
		return netip.AddrPortFrom(a, uint16(sa.Port))
	}
	return netip.AddrPort{}
}

var procAccept = windows.NewLazySystemDLL("ws2_32.dll").NewProc("accept")

// acceptConn accepts one connection and makes it non-blocking. (Winsock's
// accept has no flags; the socket inherits the listener's properties.)
func acceptConn(fd poller.FD, _ bool) (poller.FD, net.Addr, error) {
	invalid := poller.FD(windows.InvalidHandle)
	var rsa windows.RawSockaddrAny
	n := int32(unsafe.Sizeof(rsa))
	r, _, errno := syscall.SyscallN(procAccept.Addr(), uintptr(fd), uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&n)))
	s := windows.Handle(r)
	if s == windows.InvalidHandle {
		if errno == 0 {
			errno = syscall.EINVAL
		}
		return invalid, nil, errno
	}
	if err := setNonblock(s); err != nil {
		windows.Closesocket(s)
		return invalid, nil, err
	}
	var peer net.Addr
	if sa, err := rsa.Sockaddr(); err == nil {
		peer = net.TCPAddrFromAddrPort(addrPortOf(sa))
	}
	return poller.FD(s), peer, nil
}

func classifyAccept(err error) acceptClass {
	switch err {
	case windows.WSAEWOULDBLOCK:
		return acceptAgain
	case windows.WSAECONNRESET, windows.WSAECONNABORTED, windows.WSAEINTR:
		return acceptSkip
	case windows.WSAEMFILE, windows.WSAENOBUFS:
		return acceptExhausted
	}
	return acceptPause
}

// Windows keeps no spare: sockets are not bounded by a descriptor table.
func openReserve() (poller.FD, error) { return 0, ErrUnsupported }

func closeReserve(poller.FD) {}
