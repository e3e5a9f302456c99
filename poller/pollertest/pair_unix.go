//go:build unix

package pollertest

import (
	"testing"

	"github.com/gale-io/gale/poller"
	"golang.org/x/sys/unix"
)

// socketPair returns a connected, non-blocking Unix-domain stream pair that
// the test closes at cleanup (closing twice is harmless).
func socketPair(t testing.TB) (poller.FD, poller.FD) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("socketpair: %v", err)
	}
	for _, fd := range fds {
		if err := unix.SetNonblock(fd, true); err != nil {
			t.Fatal(err)
		}
		opened(t, fd)
	}
	return fds[0], fds[1]
}

func writeFD(fd poller.FD, b []byte) (int, error) { return unix.Write(fd, b) }

// readFD reads once; it returns (0, nil) at end of file, and an error
// (EAGAIN) when nothing is there yet.
func readFD(fd poller.FD, b []byte) (int, error) { return unix.Read(fd, b) }

func closeRaw(fd poller.FD) { unix.Close(fd) }

// refusedConnect starts a non-blocking TCP connect to a loopback port
// that has no listener.
func refusedConnect(t testing.TB) poller.FD {
	t.Helper()
	// Bind a port, then close it, so nothing listens there.
	l, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(l, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(l)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(l)
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	opened(t, fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	if err := unix.Connect(fd, sa); err != nil && err != unix.EINPROGRESS && err != unix.ECONNREFUSED {
		t.Fatalf("connect: %v", err)
	}
	return fd
}

// socketError returns the socket's pending error (SO_ERROR).
func socketError(fd poller.FD) error {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return err
	}
	if v != 0 {
		return unix.Errno(v)
	}
	return nil
}
