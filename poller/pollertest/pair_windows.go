//go:build windows

package pollertest

import (
	"sync"
	"syscall"
	"testing"
	"unsafe"

	"github.com/gale-io/gale/poller"
	"golang.org/x/sys/windows"
)

// Winsock constants that x/sys/windows does not define (winsock2.h).
const (
	soError = 0x1007     // SO_ERROR
	fionbio = 0x8004667e // FIONBIO, _IOW('f', 126, u_long)
)

var procAccept = windows.NewLazySystemDLL("ws2_32.dll").NewProc("accept")

// wsaStartup initialises Winsock once; the os package has usually done it
// already, and WSAStartup counts its callers, so a second call is harmless.
var wsaStartup = sync.OnceValue(func() error {
	var d windows.WSAData
	return windows.WSAStartup(uint32(0x202), &d)
})

func newSocket(t testing.TB) windows.Handle {
	t.Helper()
	if err := wsaStartup(); err != nil {
		t.Fatalf("WSAStartup: %v", err)
	}
	s, err := windows.Socket(windows.AF_INET, windows.SOCK_STREAM, windows.IPPROTO_TCP)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	return s
}

func setNonblock(t testing.TB, fd windows.Handle) {
	t.Helper()
	on := uint32(1)
	var n uint32
	if err := windows.WSAIoctl(fd, fionbio, (*byte)(unsafe.Pointer(&on)), uint32(unsafe.Sizeof(on)), nil, 0, &n, nil, 0); err != nil {
		t.Fatalf("FIONBIO: %v", err)
	}
}

// listenLoopback returns a socket listening on an ephemeral port of
// 127.0.0.1 and that address.
func listenLoopback(t testing.TB) (windows.Handle, windows.Sockaddr) {
	t.Helper()
	ln := newSocket(t)
	if err := windows.Bind(ln, &windows.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		windows.Closesocket(ln)
		t.Fatalf("bind: %v", err)
	}
	sa, err := windows.Getsockname(ln)
	if err != nil {
		windows.Closesocket(ln)
		t.Fatalf("getsockname: %v", err)
	}
	return ln, sa
}

// socketPair returns a connected, non-blocking loopback TCP pair (Windows
// has no socketpair) that the test closes at cleanup (closing twice is
// harmless).
func socketPair(t testing.TB) (poller.FD, poller.FD) {
	t.Helper()
	ln, sa := listenLoopback(t)
	defer windows.Closesocket(ln)
	if err := windows.Listen(ln, 1); err != nil {
		t.Fatalf("listen: %v", err)
	}
	c := newSocket(t)
	opened(t, poller.FD(c))
	// A blocking connect to a listening loopback socket completes once the
	// connection is queued; the accept then takes it at once.
	if err := windows.Connect(c, sa); err != nil {
		t.Fatalf("connect: %v", err)
	}
	r, _, errno := syscall.SyscallN(procAccept.Addr(), uintptr(ln), 0, 0)
	s := windows.Handle(r)
	if s == windows.InvalidHandle {
		t.Fatalf("accept: %v", errno)
	}
	opened(t, poller.FD(s))
	for _, fd := range [...]windows.Handle{c, s} {
		setNonblock(t, fd)
		// Small test writes go out at once instead of waiting for Nagle.
		if err := windows.SetsockoptInt(fd, windows.IPPROTO_TCP, windows.TCP_NODELAY, 1); err != nil {
			t.Fatalf("TCP_NODELAY: %v", err)
		}
	}
	return poller.FD(c), poller.FD(s)
}

func writeFD(fd poller.FD, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	buf := windows.WSABuf{Len: uint32(len(b)), Buf: &b[0]}
	var sent uint32
	err := windows.WSASend(windows.Handle(fd), &buf, 1, &sent, 0, nil, nil)
	return int(sent), err
}

// readFD reads once; it returns (0, nil) at end of file, and an error
// (WSAEWOULDBLOCK) when nothing is there yet.
func readFD(fd poller.FD, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	buf := windows.WSABuf{Len: uint32(len(b)), Buf: &b[0]}
	var got, flags uint32
	if err := windows.WSARecv(windows.Handle(fd), &buf, 1, &got, &flags, nil, nil); err != nil {
		return 0, err
	}
	return int(got), nil
}

func closeRaw(fd poller.FD) { windows.Closesocket(windows.Handle(fd)) }

// refusedConnect starts a non-blocking TCP connect to a loopback port
// that has no listener.
func refusedConnect(t testing.TB) poller.FD {
	t.Helper()
	// Bind a port, then close it, so nothing listens there.
	l, sa := listenLoopback(t)
	windows.Closesocket(l)
	fd := newSocket(t)
	opened(t, poller.FD(fd))
	setNonblock(t, fd)
	if err := windows.Connect(fd, sa); err != nil && err != windows.WSAEWOULDBLOCK && err != windows.WSAECONNREFUSED {
		t.Fatalf("connect: %v", err)
	}
	return poller.FD(fd)
}

// socketError returns the socket's pending error (SO_ERROR).
func socketError(fd poller.FD) error {
	v, err := windows.GetsockoptInt(windows.Handle(fd), windows.SOL_SOCKET, soError)
	if err != nil {
		return err
	}
	if v != 0 {
		return syscall.Errno(v)
	}
	return nil
}
