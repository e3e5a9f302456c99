//go:build windows

package tcpclient

import (
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"

	"github.com/gale-io/gale/poller"
	"golang.org/x/sys/windows"
)

// wsaStartup initialises Winsock once (the os package has usually done it;
// WSAStartup counts its callers).
var wsaStartup = sync.OnceValue(func() error {
	var d windows.WSAData
	return os.NewSyscallError("WSAStartup", windows.WSAStartup(uint32(0x202), &d))
})

// openSocket returns a TCP socket of a's family that child processes do
// not inherit, bound to the local address and port if either is set;
// stream.New makes it non-blocking. SO_REUSEADDR is never set: on Windows
// it lets a socket steal a port in use.
func openSocket(a netip.Addr, local netip.Addr, port int) (poller.FD, error) {
	invalid := poller.FD(windows.InvalidHandle)
	if err := wsaStartup(); err != nil {
		return invalid, err
	}
	family := windows.AF_INET
	if !a.Is4() {
		family = windows.AF_INET6
	}
	s, err := windows.WSASocket(int32(family), windows.SOCK_STREAM, windows.IPPROTO_TCP, nil, 0,
		windows.WSA_FLAG_OVERLAPPED|windows.WSA_FLAG_NO_HANDLE_INHERIT)
	if err != nil {
		return invalid, os.NewSyscallError("socket", err)
	}
	if local.IsValid() || port != 0 {
		var sa windows.Sockaddr
		if family == windows.AF_INET {
			if !local.IsValid() {
				local = netip.IPv4Unspecified()
			}
			sa = &windows.SockaddrInet4{Port: port, Addr: local.As4()}
		} else {
			if !local.IsValid() {
				local = netip.IPv6Unspecified()
			}
			sa = &windows.SockaddrInet6{Port: port, Addr: local.As16(), ZoneId: zoneID(local.Zone())}
		}
		if err := windows.Bind(s, sa); err != nil {
			windows.Closesocket(s)
			return invalid, os.NewSyscallError("bind", err)
		}
	}
	return poller.FD(s), nil
}

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

func closeSocket(fd poller.FD) { windows.Closesocket(windows.Handle(fd)) }
