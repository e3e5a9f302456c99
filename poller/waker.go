//go:build unix || windows

package poller

import (
	"sync"
	"sync/atomic"
)

// waker is the self-wakeup every backend watches beside the caller's
// descriptors: an eventfd on Linux, a pipe on other Unixes, a loopback socket
// pair on Windows. rfd is watched for readability; wfd is written by Wake.
type waker struct {
	rfd, wfd FD
	mu       sync.RWMutex // Wake holds it shared, close exclusively
	closed   bool
	pending  atomic.Uint32 // 1 between a Wake's write and the drain
}

// wake makes rfd readable unless a previous wake is still undrained.
func (w *waker) wake() error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return ErrClosed
	}
	if w.pending.Swap(1) == 1 {
		return nil
	}
	if err := w.wakeWrite(); err != nil {
		// Nothing was written: leave the next wake free to try again
		// rather than wait for a drain that will not come.
		w.pending.Store(0)
		return err
	}
	return nil
}

// drain empties rfd and then re-arms wake. Draining first matters: a wake
// that lands between the two is absorbed by the Wait that is returning
// anyway, while the opposite order could leave pending set with nothing
// left to read, and lose every later wake.
func (w *waker) drain() {
	wakeDrain(w.rfd)
	w.pending.Store(0)
}

func (w *waker) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	return closeWakerFDs(w.rfd, w.wfd)
}
