//go:build unix

package loop_test

import (
	"os"
	"testing"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/poller"
	"golang.org/x/sys/unix"
)

// Readiness on a pipe: the write end is writable at once, the read end
// becomes readable with data and again at end of file.
func TestHandlerOnPipe(t *testing.T) {
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	r, w := p[0], p[1]
	for _, fd := range p {
		if err := unix.SetNonblock(fd, true); err != nil {
			t.Fatal(err)
		}
	}
	defer unix.Close(r)
	l := newLoop(t, nil)
	var got []byte
	sawEOF := false
	runFor(t, l, func(done func()) {
		l.AddHandler(w, loop.Writable, loop.HandlerFunc(func(fd poller.FD, ev poller.Events) {
			unix.Write(fd, []byte("through the pipe"))
			l.RemoveHandler(fd)
			unix.Close(fd) // the reader sees end of file after the data
		}))
		l.AddHandler(r, loop.Readable, loop.HandlerFunc(func(fd poller.FD, ev poller.Events) {
			buf := make([]byte, 8) // small: several calls
			n, err := unix.Read(fd, buf)
			switch {
			case err == unix.EAGAIN:
			case err != nil:
				t.Error(os.NewSyscallError("read", err))
			case n == 0:
				sawEOF = true
				l.RemoveHandler(fd)
				done()
			default:
				got = append(got, buf[:n]...)
			}
		}))
	})
	if string(got) != "through the pipe" || !sawEOF {
		t.Fatalf("read %q, end of file %v", got, sawEOF)
	}
}
