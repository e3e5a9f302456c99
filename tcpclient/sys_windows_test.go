//go:build windows

package tcpclient_test

import (
	"testing"

	"github.com/gale-io/gale/stream"
	"golang.org/x/sys/windows"
)

var (
	errRefused      error = windows.WSAECONNREFUSED
	errAddrNotAvail error = windows.WSAEADDRNOTAVAIL
	errAddrInUse    error = windows.WSAEADDRINUSE
)

func noDelay(t testing.TB, s *stream.Stream) bool {
	t.Helper()
	v, err := windows.GetsockoptInt(windows.Handle(s.FD()), windows.IPPROTO_TCP, windows.TCP_NODELAY)
	if err != nil {
		t.Fatal(err)
	}
	return v != 0
}
