package peer

import (
	"errors"
	"net"
	"sync/atomic"
	"time"
)

// Backoff paces an accept loop that keeps failing (EMFILE and friends) the
// way net/http does: 5 ms, doubling up to 1 s, back to zero once a
// connection is accepted. It is safe for concurrent use.
type Backoff struct {
	d atomic.Int64 // time.Duration
}

// Accepted resets the backoff.
func (b *Backoff) Accepted() { b.d.Store(0) }

// Failed sleeps after an accept error, except for a closed listener (the
// server is stopping), and reports whether accepting should go on.
func (b *Backoff) Failed(err error) bool {
	if errors.Is(err, net.ErrClosed) {
		return false
	}
	d := min(max(2*time.Duration(b.d.Load()), 5*time.Millisecond), time.Second)
	b.d.Store(int64(d))
	time.Sleep(d)
	return true
}
