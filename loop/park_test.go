//go:build unix

package loop_test

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/poller"
)

// TestIdleWaitWakeups drives an idle loop awake many times, the three ways
// a loop wakes: a post from another goroutine, a descriptor made readable
// by another goroutine, and a timer. Every wakeup must arrive, in both wait
// modes (parked on Go's scheduler, and blocking the thread) and with one
// processor or two: a wakeup lost between the loop's last poll and its
// park would hang a round trip (await fails after 10 s).
func TestIdleWaitWakeups(t *testing.T) {
	const rounds = 3000
	for _, procs := range []int{1, 2} {
		for _, m := range []struct {
			name string
			opts *loop.Options
		}{{"park", nil}, {"hold", &loop.Options{HoldThread: true}}} {
			t.Run(m.name+"/procs="+string(rune('0'+procs)), func(t *testing.T) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				l := newLoop(t, m.opts)
				var p [2]int
				if err := unix.Pipe(p[:]); err != nil {
					t.Fatal(err)
				}
				for _, fd := range p {
					if err := unix.SetNonblock(fd, true); err != nil {
						t.Fatal(err)
					}
				}
				r, w := p[0], p[1]
				defer unix.Close(r)
				defer unix.Close(w)
				got := make(chan struct{}, 1)
				buf := make([]byte, 16)
				if err := l.AddHandler(r, loop.Readable, loop.HandlerFunc(func(fd poller.FD, ev poller.Events) {
					if n, _ := unix.Read(fd, buf); n > 0 {
						got <- struct{}{}
					}
				})); err != nil {
					t.Fatal(err)
				}
				stop := start(t, l)
				defer stop()
				reply := func() { got <- struct{}{} }
				for i := range rounds {
					switch i % 3 {
					case 0:
						if err := l.Post(reply); err != nil {
							t.Fatal(err)
						}
					case 1:
						if _, err := unix.Write(w, []byte{'x'}); err != nil {
							t.Fatal(err)
						}
					case 2:
						// A timer armed from the loop while it is idle:
						// the parked wait must end at its deadline.
						l.Post(func() { l.CallLater(50*time.Microsecond, reply) })
					}
					await(t, got, "wakeup")
				}
			})
		}
	}
}
