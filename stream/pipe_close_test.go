//go:build unix

package stream_test

import (
	"errors"
	"syscall"
	"testing"

	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/stream"
)

// The write end of a pipe (a child's stdin) watched with a close callback
// closes when the reader goes away, with the cause a write would have got
// (EPIPE, which is not logged), not the EBADF of reading a write-only
// descriptor, logged as an I/O error.
func TestPipeWriterClosesWithEPIPEWhenReaderGoes(t *testing.T) {
	l := newLoop(t)
	r, w := pipeStreams(t, l, stream.NewPipe)
	var got error
	testloop.Run(t, l, func(done func()) {
		w.SetCloseCallback(func(err error) { got = err; done() })
		l.Post(func() { r.Close() })
	})
	if !errors.Is(got, syscall.EPIPE) {
		t.Errorf("close cause %v, want EPIPE", got)
	}
}
