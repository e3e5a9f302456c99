//go:build windows

package poller

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// NewWSAPoll returns a WSAPoll poller, the Windows backend. It is the poll
// backend of poll.go over ws2_32's WSAPoll, with a loopback TCP socket pair
// as its waker.
//
// WSAPoll's known limits, which this backend inherits:
//
//   - Sockets only. WSAPoll watches Winsock sockets and nothing else: not
//     pipes, files, consoles or other handles. Add checks and rejects them
//     with an error wrapping WSAENOTSOCK rather than letting every later
//     Wait fail.
//   - Before Windows 10 version 2004 (build 19041), WSAPoll does not report
//     a failed non-blocking connect at all: the socket gets neither
//     POLLERR, POLLHUP nor POLLWRNORM, and a Wait for it blocks until its
//     timeout. On those versions a caller must bound connects with its own
//     timer and then read SO_ERROR. Newer versions report POLLHUP|POLLERR,
//     which this backend turns into Error|Hangup plus the registered
//     interests, as the contract asks.
//   - O(n) per call, like poll(2): the whole array is copied into the kernel
//     and scanned on every Wait, so Wait costs O(registered sockets).
//   - An empty interest set is passed to WSAPoll as events == 0, which it
//     accepts (only unknown flags such as POLLPRI make it fail with
//     WSAEINVAL, which is why this backend asks for POLLRDNORM and
//     POLLWRNORM rather than POLLIN's POLLRDBAND). For such an entry it
//     reports only what it always reports whatever was asked: POLLERR,
//     POLLHUP and POLLNVAL. It never reports readability or writability
//     for it, which is exactly the contract's None.
//
// Like every backend, it honours the contract in the package doc; Wait
// rounds its timeout up to whole milliseconds.
func NewWSAPoll() (Poller, error) {
	if err := wsaStartup(); err != nil {
		return nil, err
	}
	p, err := newPollPoller("wsapoll")
	if err != nil {
		return nil, err
	}
	return p, nil
}

func newDefault() (Poller, error) { return NewWSAPoll() }

var (
	ws2_32      = windows.NewLazySystemDLL("ws2_32.dll")
	procWSAPoll = ws2_32.NewProc("WSAPoll")
)

// wsaStartup initialises Winsock once per process. The os package usually
// has done it already (through internal/poll); WSAStartup counts its
// callers, so doing it again is harmless, and this keeps the backend
// correct without relying on that.
var wsaStartup = sync.OnceValue(func() error {
	var d windows.WSAData
	if err := windows.WSAStartup(uint32(0x202), &d); err != nil {
		return os.NewSyscallError("WSAStartup", err)
	}
	return nil
})

// WSAPoll's flags (winsock2.h). POLLIN would be POLLRDNORM|POLLRDBAND;
// only the normal-data flags are asked for, and POLLPRI is never passed
// (WSAPoll rejects it with WSAEINVAL).
const (
	pollRDNORM = 0x0100
	pollRDBAND = 0x0200
	pollWRNORM = 0x0010
	pollERR    = 0x0001
	pollHUP    = 0x0002
	pollNVAL   = 0x0004
)

// pollFD is WSAPOLLFD: a SOCKET and two SHORTs, 16 bytes on 64-bit Windows.
type pollFD struct {
	fd      uintptr
	events  int16
	revents int16
}

func makePollFD(fd FD, ev Events) pollFD {
	var e int16
	if ev&Readable != 0 {
		e |= pollRDNORM
	}
	if ev&Writable != 0 {
		e |= pollWRNORM
	}
	return pollFD{fd: uintptr(fd), events: e}
}

// pollDesc returns the socket a pollFD watches.
func pollDesc(p *pollFD) FD { return FD(p.fd) }

// pollReady translates WSAPoll's revents. POLLNVAL (the socket was closed
// behind the poller's back) is reported as an error.
func pollReady(p *pollFD) Events {
	r := p.revents
	var got Events
	if r&(pollRDNORM|pollRDBAND) != 0 {
		got |= Readable
	}
	if r&pollWRNORM != 0 {
		got |= Writable
	}
	if r&(pollERR|pollNVAL) != 0 {
		got |= Error
	}
	if r&pollHUP != 0 {
		got |= Hangup
	}
	return got
}

// sysPoll calls WSAPoll. The array is never empty: slot 0 is the waker.
func sysPoll(fds []pollFD, ms int) (int, error) {
	r, _, errno := syscall.SyscallN(procWSAPoll.Addr(),
		uintptr(unsafe.Pointer(&fds[0])), uintptr(len(fds)), uintptr(ms))
	// WSAPoll returns an int; only the low 32 bits of the register count.
	n := int(int32(r))
	if n < 0 { // SOCKET_ERROR; WSAGetLastError is GetLastError
		if errno == 0 {
			return 0, syscall.EINVAL
		}
		return 0, errno
	}
	return n, nil
}

func isEINTR(err error) bool { return err == windows.WSAEINTR }

// errNotSocket is wrapped by Add's error for a handle that is not a socket.
var errNotSocket = errors.New("poller: WSAPoll watches sockets only")

// soType is getsockopt's SO_TYPE (winsock2.h), which x/sys/windows lacks.
const soType = 0x1008

// checkPollable accepts sockets only: anything else would make every
// WSAPoll fail (or be silently ignored), so it is refused up front.
func checkPollable(fd FD) error {
	if _, err := windows.GetsockoptInt(windows.Handle(fd), windows.SOL_SOCKET, soType); err != nil {
		return fmt.Errorf("%w: handle %#x: %w", errNotSocket, uintptr(fd), os.NewSyscallError("getsockopt", err))
	}
	return nil
}
