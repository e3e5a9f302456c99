package stream_test

import (
	"os"
	"testing"

	"github.com/gale-io/gale/internal/leakcheck"
	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/poller/pollertest"
	"github.com/gale-io/gale/stream"
)

func TestMain(m *testing.M) { os.Exit(leakcheck.Main(m)) }

// pair returns two connected streams on one loop, closed at cleanup.
func pair(t testing.TB, l *loop.Loop, opts *stream.Options) (*stream.Stream, *stream.Stream) {
	t.Helper()
	a, b := pollertest.SocketPair(t)
	return wrap(t, l, a, opts), wrap(t, l, b, opts)
}

func wrap(t testing.TB, l *loop.Loop, fd uintptrOrInt, opts *stream.Options) *stream.Stream {
	t.Helper()
	pollertest.Forget(fd) // the stream owns it now
	s, err := stream.New(l, fd, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func newLoop(t testing.TB) *loop.Loop { return testloop.New(t, nil) }

// mustWrite writes and fails the test on error.
func mustWrite(t testing.TB, s *stream.Stream, data string) {
	t.Helper()
	if err := s.Write([]byte(data), nil); err != nil {
		t.Fatalf("Write: %v", err)
	}
}
