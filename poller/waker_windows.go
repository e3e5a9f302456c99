//go:build windows

package poller

import (
	"errors"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Windows has no pipe or eventfd that WSAPoll can watch, so the waker is a
// connected loopback TCP pair: Wake sends a byte on wfd, which makes rfd
// readable.

// procAccept is ws2_32's accept, which x/sys/windows does not wrap.
var procAccept = ws2_32.NewProc("accept")

// fionbio is ioctlsocket's FIONBIO, _IOW('f', 126, u_long) in winsock2.h.
const fionbio = 0x8004667e

// newWaker connects a socket to a listener on 127.0.0.1, accepts it, and
// closes the listener. The accepted end is rfd, the connecting end wfd.
func newWaker() (w *waker, err error) {
	if err := wsaStartup(); err != nil {
		return nil, err
	}
	ln, err := windows.Socket(windows.AF_INET, windows.SOCK_STREAM, windows.IPPROTO_TCP)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	defer windows.Closesocket(ln)
	if err := windows.Bind(ln, &windows.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return nil, os.NewSyscallError("bind", err)
	}
	if err := windows.Listen(ln, 1); err != nil {
		return nil, os.NewSyscallError("listen", err)
	}
	sa, err := windows.Getsockname(ln)
	if err != nil {
		return nil, os.NewSyscallError("getsockname", err)
	}
	wfd, err := windows.Socket(windows.AF_INET, windows.SOCK_STREAM, windows.IPPROTO_TCP)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	defer func() {
		if err != nil {
			windows.Closesocket(wfd)
		}
	}()
	// A blocking connect to a listening loopback socket completes as soon
	// as the connection is queued, before the accept.
	if err := windows.Connect(wfd, sa); err != nil {
		return nil, os.NewSyscallError("connect", err)
	}
	rfd, err := accept(ln)
	if err != nil {
		return nil, os.NewSyscallError("accept", err)
	}
	defer func() {
		if err != nil {
			windows.Closesocket(rfd)
		}
	}()
	// Another local process could have connected to the listener first;
	// make sure the accepted socket is the other end of wfd.
	if err := checkPeer(rfd, wfd); err != nil {
		return nil, err
	}
	for _, fd := range [...]windows.Handle{rfd, wfd} {
		if err := setNonblock(fd); err != nil {
			return nil, os.NewSyscallError("ioctlsocket", err)
		}
	}
	// Send each wake byte at once rather than waiting for Nagle's timer.
	if err := windows.SetsockoptInt(wfd, windows.IPPROTO_TCP, windows.TCP_NODELAY, 1); err != nil {
		return nil, os.NewSyscallError("setsockopt", err)
	}
	return &waker{rfd: FD(rfd), wfd: FD(wfd)}, nil
}

// accept accepts one connection on ln, discarding the peer's address.
func accept(ln windows.Handle) (windows.Handle, error) {
	r, _, errno := syscall.SyscallN(procAccept.Addr(), uintptr(ln), 0, 0)
	if windows.Handle(r) == windows.InvalidHandle {
		return 0, errno
	}
	return windows.Handle(r), nil
}

// checkPeer checks that r's peer is w's own address.
func checkPeer(r, w windows.Handle) error {
	peer, err := windows.Getpeername(r)
	if err != nil {
		return os.NewSyscallError("getpeername", err)
	}
	local, err := windows.Getsockname(w)
	if err != nil {
		return os.NewSyscallError("getsockname", err)
	}
	p, ok1 := peer.(*windows.SockaddrInet4)
	l, ok2 := local.(*windows.SockaddrInet4)
	if !ok1 || !ok2 || p.Port != l.Port || p.Addr != l.Addr {
		return errors.New("poller: waker: accepted a connection from another socket")
	}
	return nil
}

// setNonblock puts fd in non-blocking mode (FIONBIO through WSAIoctl,
// which is ioctlsocket's documented equivalent).
func setNonblock(fd windows.Handle) error {
	on := uint32(1)
	var n uint32
	return windows.WSAIoctl(fd, fionbio, (*byte)(unsafe.Pointer(&on)), uint32(unsafe.Sizeof(on)), nil, 0, &n, nil, 0)
}

// Wake and Wait call send and recv directly rather than x/sys/windows's
// WSASend and WSARecv, which box every error in an interface: a drain ends
// with WSAEWOULDBLOCK each time, and that would cost an allocation per
// wakeup.
var (
	procSend = ws2_32.NewProc("send")
	procRecv = ws2_32.NewProc("recv")
)

var wakeByte = [1]byte{1}

// wakeWouldBlockTries bounds how often wakeWrite retries a send that
// would block while the read end holds nothing; each retry yields the
// thread first.
const wakeWouldBlockTries = 1000

// wakeWrite sends one wake byte on w.wfd.
//
// A send that would block normally means the buffers are full of wake
// bytes, so rfd is readable already. But wine (8.0) also fails a
// non-blocking send with WSAEWOULDBLOCK now and then while both buffers are
// empty (seen under load: every byte written had been drained); taking that
// for success loses the wakeup, and since the waker then stays pending, every
// later one too. So a would-block counts as done only when rfd has bytes to
// read (FIONREAD); otherwise the send is retried after yielding the thread.
func (w *waker) wakeWrite() error {
	for tries := 0; ; {
		r, _, errno := syscall.SyscallN(procSend.Addr(), uintptr(w.wfd),
			uintptr(unsafe.Pointer(&wakeByte[0])), 1, 0)
		if int32(r) != -1 {
			return nil
		}
		switch errno {
		case windows.WSAEINTR:
			continue
		case windows.WSAEWOULDBLOCK:
			if n, err := readable(w.rfd); err != nil || n > 0 {
				return err
			}
			if tries++; tries == wakeWouldBlockTries {
				return errno
			}
			windows.SleepEx(0, false)
			continue
		}
		return errno
	}
}

// fionread is ioctlsocket's FIONREAD, _IOR('f', 127, u_long) in winsock2.h.
const fionread = 0x4004667f

// readable returns how many bytes fd has ready to read.
func readable(fd FD) (uint32, error) {
	var n, ret uint32
	err := windows.WSAIoctl(windows.Handle(fd), fionread, nil, 0,
		(*byte)(unsafe.Pointer(&n)), uint32(unsafe.Sizeof(n)), &ret, nil, 0)
	if err != nil {
		return 0, os.NewSyscallError("ioctlsocket", err)
	}
	return n, nil
}

func wakeDrain(fd FD) {
	var buf [64]byte
	for {
		r, _, errno := syscall.SyscallN(procRecv.Addr(), uintptr(fd),
			uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0)
		n := int32(r)
		if n == -1 && errno == windows.WSAEINTR {
			continue
		}
		// WSAEWOULDBLOCK is the normal way out; any other error, or end of
		// file, cannot be drained further either.
		if n <= 0 {
			return
		}
	}
}

func closeWakerFDs(r, w FD) error {
	err := windows.Closesocket(windows.Handle(r))
	if err2 := windows.Closesocket(windows.Handle(w)); err == nil {
		err = err2
	}
	if err != nil {
		return os.NewSyscallError("closesocket", err)
	}
	return nil
}
