//go:build unix

package stream_test

import (
	"testing"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream"
	"golang.org/x/sys/unix"
)

// dialStream returns an unconnected TCP stream, closed at cleanup.
func dialStream(t *testing.T, l *loop.Loop) *stream.Stream {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	s, err := stream.New(l, fd, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}
