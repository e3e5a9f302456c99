//go:build windows

package stream_test

import (
	"syscall"
	"testing"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream"
	"golang.org/x/sys/windows"
)

// dialStream returns an unconnected TCP stream, closed at cleanup.
func dialStream(t *testing.T, l *loop.Loop) *stream.Stream {
	t.Helper()
	fd, err := windows.Socket(windows.AF_INET, windows.SOCK_STREAM, windows.IPPROTO_TCP)
	if err != nil {
		t.Fatal(err)
	}
	s, err := stream.New(l, syscall.Handle(fd), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}
