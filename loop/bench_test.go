package loop_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/poller"
	"github.com/gale-io/gale/poller/pollertest"
)

func noop() {}

// BenchmarkPostLoopGoroutine: Post from the loop's own goroutine, plus running
// the callback. Callbacks are posted in batches of 1000 and run on the next
// iteration, as a busy server would.
func BenchmarkPostLoopGoroutine(b *testing.B) {
	l := newLoop(b, nil)
	const batch = 1000
	b.ReportAllocs()
	runFor(b, l, func(done func()) {
		left := b.N
		var round func()
		round = func() {
			if left <= 0 {
				b.StopTimer()
				done()
				return
			}
			n := min(batch, left)
			left -= n
			for range n {
				l.Post(noop)
			}
			l.Post(round)
		}
		b.ResetTimer()
		round()
	})
}

// BenchmarkPostCrossGoroutine: one goroutine posts, the loop runs the
// callbacks. Compare with BenchmarkChannelHandoff, the same hand-off over a
// buffered channel.
func BenchmarkPostCrossGoroutine(b *testing.B) {
	l := newLoop(b, nil)
	count := 0
	finished := make(chan struct{})
	inc := func() {
		if count++; count == b.N {
			close(finished)
		}
	}
	stop := start(b, l)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		l.Post(inc)
	}
	<-finished
	b.StopTimer()
	stop()
}

// BenchmarkChannelHandoff is the baseline for BenchmarkPostCrossGoroutine:
// function values sent over a buffered channel to a goroutine that runs them.
func BenchmarkChannelHandoff(b *testing.B) {
	ch := make(chan func(), 1024)
	count := 0
	finished := make(chan struct{})
	inc := func() {
		if count++; count == b.N {
			close(finished)
		}
	}
	go func() {
		for f := range ch {
			f()
		}
	}()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		ch <- inc
	}
	<-finished
	b.StopTimer()
	close(ch)
}

// BenchmarkTimerAddCancel: schedule a timer and cancel it, with the given
// number of other timers pending.
func BenchmarkTimerAddCancel(b *testing.B) {
	for _, pending := range []int{0, 10_000} {
		b.Run(map[int]string{0: "empty", 10_000: "10kPending"}[pending], func(b *testing.B) {
			l := newLoop(b, nil)
			for i := range pending {
				l.CallLater(time.Hour+time.Duration(i), noop)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				t := l.CallLater(time.Minute, noop)
				t.Cancel()
			}
		})
	}
}

// BenchmarkTimerFire: schedule a zero-delay timer and let the loop run it.
func BenchmarkTimerFire(b *testing.B) {
	l := newLoop(b, nil)
	b.ReportAllocs()
	runFor(b, l, func(done func()) {
		left := b.N
		var tick func()
		tick = func() {
			if left--; left <= 0 {
				done()
				return
			}
			l.CallLater(0, tick)
		}
		b.ResetTimer()
		l.CallLater(0, tick)
	})
}

// waitModes are the two ways an idle loop waits: parked on Go's scheduler
// (the default with epoll) and blocking its thread in the poller
// (Options.HoldThread).
var waitModes = []struct {
	name string
	opts *loop.Options
}{
	{"park", nil},
	{"hold", &loop.Options{HoldThread: true}},
}

// BenchmarkIdleWakeupLatency: the loop is idle in its poller; another
// goroutine posts a callback that answers over a channel. One op is the whole
// round trip: post, wake, run, answer.
// With /fds=N the loop also watches N idle descriptors (socket pair ends),
// as a server's loop with N quiet connections does: a park must not cost
// more with more of them.
func BenchmarkIdleWakeupLatency(b *testing.B) {
	for _, m := range waitModes {
		for _, fds := range []int{0, 4000} {
			name := m.name
			if fds > 0 {
				name += fmt.Sprintf("/fds=%d", fds)
			}
			b.Run(name, func(b *testing.B) { benchIdleWakeup(b, m.opts, fds) })
		}
	}
}

func benchIdleWakeup(b *testing.B, opts *loop.Options, fds int) {
	l := newLoop(b, opts)
	for range fds / 2 {
		x, y := pollertest.SocketPair(b)
		for _, fd := range []poller.FD{x, y} {
			if err := l.AddHandler(fd, loop.Readable, loop.HandlerFunc(func(poller.FD, poller.Events) {})); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { l.RemoveHandler(fd) })
		}
	}
	stop := start(b, l)
	answer := make(chan struct{})
	reply := func() { answer <- struct{}{} }
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		l.Post(reply)
		<-answer
	}
	b.StopTimer()
	stop()
}

// BenchmarkFDRoundTrip: a one-byte ping-pong between the two ends of a
// socket pair, both driven by the loop's handlers. One op is one round trip:
// two readiness events, two reads, two writes.
func BenchmarkFDRoundTrip(b *testing.B) {
	for _, m := range waitModes {
		b.Run(m.name, func(b *testing.B) { benchFDRoundTrip(b, m.opts) })
	}
}

func benchFDRoundTrip(b *testing.B, opts *loop.Options) {
	l := newLoop(b, opts)
	x, y := pollertest.SocketPair(b)
	buf := make([]byte, 1)
	msg := []byte{'p'}
	b.ReportAllocs()
	runFor(b, l, func(done func()) {
		left := b.N
		echo := loop.HandlerFunc(func(fd poller.FD, ev poller.Events) {
			if n, err := pollertest.Read(fd, buf); n != 1 || err != nil {
				return
			}
			if fd == x {
				if left--; left <= 0 {
					l.RemoveHandler(x)
					l.RemoveHandler(y)
					done()
					return
				}
			}
			pollertest.Write(fd, msg)
		})
		l.AddHandler(x, loop.Readable, echo)
		l.AddHandler(y, loop.Readable, echo)
		b.ResetTimer()
		pollertest.Write(x, msg)
	})
}
