//go:build unix

package netutil

import (
	"syscall"

	"github.com/gale-io/gale/poller"
	"golang.org/x/sys/unix"
)

// acceptLegacy accepts where accept4 is missing: close-on-exec is set under
// syscall.ForkLock, so a concurrent fork+exec cannot inherit the socket.
func acceptLegacy(fd int) (int, unix.Sockaddr, error) {
	syscall.ForkLock.RLock()
	nfd, sa, err := unix.Accept(fd)
	if err == nil {
		unix.CloseOnExec(nfd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, nil, err
	}
	if err := unix.SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		return -1, nil, err
	}
	return nfd, sa, nil
}

func classifyAccept(err error) acceptClass {
	switch err {
	case unix.EAGAIN:
		return acceptAgain
	case unix.ECONNABORTED, unix.EINTR, unix.ECONNRESET, unix.EPROTO, unix.EPERM,
		// Linux passes on the new socket's pending network errors (accept(2)).
		unix.ENETDOWN, unix.ENETUNREACH, unix.EHOSTDOWN, unix.EHOSTUNREACH, unix.ENOPROTOOPT:
		return acceptSkip
	case unix.EMFILE, unix.ENFILE:
		return acceptExhausted
	}
	return acceptPause
}

// openReserve opens the spare descriptor an acceptor keeps for EMFILE.
func openReserve() (poller.FD, error) {
	return unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
}

func closeReserve(fd poller.FD) { unix.Close(fd) }
