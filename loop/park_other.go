//go:build !linux

package loop

import (
	"sync/atomic"
	"time"

	"github.com/gale-io/gale/poller"
)

// parker parks an idle loop on Go's scheduler where the poller allows it:
// only epoll does (park_linux.go). Elsewhere a loop blocks its thread in
// Wait, as with Options.HoldThread.
type parker struct{}

func newParker(poller.Poller, *atomic.Bool) *parker { return nil }

func (*parker) wait([]poller.Event, time.Duration) (int, error) { return 0, nil }

func (*parker) close() {}
