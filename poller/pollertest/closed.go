package pollertest

import (
	"sync"
	"testing"

	"github.com/gale-io/gale/poller"
)

// The descriptors a test opened, so that each is closed exactly once even
// when a test closes one early and the number is reused before cleanup.
var (
	closedMu sync.Mutex
	closed   = map[poller.FD]bool{}
)

// opened records a new descriptor and closes it at the test's cleanup.
func opened(t testing.TB, fd poller.FD) {
	closedMu.Lock()
	delete(closed, fd)
	closedMu.Unlock()
	t.Cleanup(func() { closeFD(fd) })
}

// closeFD closes fd once; a second close of the same number (which may
// belong to something else by then) is skipped.
func closeFD(fd poller.FD) {
	closedMu.Lock()
	defer closedMu.Unlock()
	if closed[fd] {
		return
	}
	closed[fd] = true
	closeRaw(fd)
}
