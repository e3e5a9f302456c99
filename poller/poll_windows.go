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

// NewWSAPoll returns a WSAPoll poller, the Windows backend: the portable
// poll backend over ws2_32's WSAPoll, with a connected loopback TCP pair as
// its waker. It honours the contract in the package doc, within WSAPoll's
// known limits:
//
//   - Sockets only. WSAPoll watches Winsock sockets and nothing else: not
//     pipes, files, consoles or other handles. One in the array is reported
//     as POLLNVAL or fails the whole call, so Add refuses anything that is
//     not a socket with an error wrapping WSAENOTSOCK.
//   - A failed connect goes unreported before Windows 10 version 2004
//     (build 19041): a non-blocking connect that is refused or times out
//     gets no POLLERR, POLLHUP or POLLWRNORM, so Wait never reports the
//     socket and the caller learns of the failure only from its own
//     timer and SO_ERROR. From version 2004 on, the failure is reported as
//     POLLHUP|POLLERR|POLLWRNORM, which becomes Error|Hangup|Writable.
//   - O(n) per call, like poll(2): the whole array goes to the kernel and
//     is scanned on every Wait, so Wait costs O(registered sockets).
//   - Only POLLRDNORM, POLLRDBAND and POLLWRNORM may be asked for; any
//     other flag (POLLPRI, for one) fails the whole call with WSAEINVAL.
//     Readable is POLLRDNORM and Writable POLLWRNORM.
//   - An empty interest set is events == 0, which WSAPoll accepts. For such
//     a socket it reports only what it reports unasked: POLLERR, POLLHUP
//     and POLLNVAL, never readability or writability, which is the
//     contract's None (Error and Hangup only).
//
// Wait's timeout is rounded up to whole milliseconds.
func NewWSAPoll() (Poller, error) {
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

// wsaStartup initialises Winsock once per process; newWaker calls it before
// the backend touches its first socket. The os package has usually done it
// already (through internal/poll), and WSAStartup counts its callers, so
// doing it again is harmless and keeps the backend from relying on that.
var wsaStartup = sync.OnceValue(func() error {
	var d windows.WSAData
	if err := windows.WSAStartup(uint32(0x202), &d); err != nil {
		return os.NewSyscallError("WSAStartup", err)
	}
	return nil
})

// WSAPoll's flags (winsock2.h). POLLIN would be POLLRDNORM|POLLRDBAND;
// only normal data is asked for, since urgent (out-of-band) data is not
// what a plain recv reads.
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
//
// Under wine (8.0) WSAPoll differs from Windows: a peer's close shows as
// POLLRDNORM alone, with no POLLHUP, and not at all for an empty interest
// set; a refused connect is POLLERR alone; POLLPRI is accepted; and a
// non-socket fails the call with WSAENOTSOCK. The conformance suite passes
// either way, since it asks for Readable or Writable and poll.go adds the
// registered interests to Error and Hangup.
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
