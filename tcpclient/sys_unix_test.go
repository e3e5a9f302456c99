//go:build unix

package tcpclient_test

import (
	"syscall"
	"testing"

	"github.com/gale-io/gale/stream"
	"golang.org/x/sys/unix"
)

var (
	errRefused      error = syscall.ECONNREFUSED
	errAddrNotAvail error = syscall.EADDRNOTAVAIL
	errAddrInUse    error = syscall.EADDRINUSE
)

func noDelay(t testing.TB, s *stream.Stream) bool {
	t.Helper()
	v, err := unix.GetsockoptInt(s.FD(), unix.IPPROTO_TCP, unix.TCP_NODELAY)
	if err != nil {
		t.Fatal(err)
	}
	return v != 0
}
