//go:build unix

package netutil_test

import (
	"errors"
	"strconv"
	"testing"

	"github.com/gale-io/gale/poller"
	"golang.org/x/sys/unix"
)

func itoa(n int) string { return strconv.Itoa(n) }

func isAddrInUse(err error) bool { return errors.Is(err, unix.EADDRINUSE) }

// checkFlags fails the test unless fd is non-blocking and close-on-exec.
func checkFlags(t testing.TB, fd poller.FD) {
	t.Helper()
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		t.Fatalf("F_GETFL: %v", err)
	}
	if fl&unix.O_NONBLOCK == 0 {
		t.Errorf("fd %d is blocking", fd)
	}
	fdfl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err != nil {
		t.Fatalf("F_GETFD: %v", err)
	}
	if fdfl&unix.FD_CLOEXEC == 0 {
		t.Errorf("fd %d is not close-on-exec", fd)
	}
}

func closeFD(fd poller.FD) { unix.Close(fd) }
