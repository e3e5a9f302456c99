package poller_test

import (
	"testing"

	"github.com/gale-io/gale/poller"
	"github.com/gale-io/gale/poller/pollertest"
)

// BenchmarkWakeRoundTrip is the floor under the loop's idle wakeup latency:
// a goroutine blocked in Wait, woken by Wake from another goroutine, answers
// over a channel. Most of it is the operating system waking a sleeping
// thread.
func BenchmarkWakeRoundTrip(b *testing.B) {
	p, err := poller.New()
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	answer := make(chan struct{})
	quit := make(chan struct{})
	go func() {
		evs := make([]poller.Event, 4)
		defer close(answer)
		for {
			p.Wait(evs, -1)
			select {
			case <-quit:
				return
			default:
			}
			answer <- struct{}{}
		}
	}()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		p.Wake()
		<-answer
	}
	b.StopTimer()
	close(quit)
	p.Wake()
	<-answer // closed when the goroutine has seen quit

}

// BenchmarkReadyWait: one Wait that reports one ready descriptor among 100
// registered ones, the poller's cost per readiness batch.
func BenchmarkReadyWait(b *testing.B) {
	p, err := poller.New()
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	for i := range 100 {
		a, c := pollertest.SocketPair(b)
		p.Add(a, poller.Readable, uint64(i))
		defer p.Delete(a)
		if i == 50 {
			pollertest.Write(c, []byte("x")) // stays readable: never drained
		}
	}
	evs := make([]poller.Event, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if n, err := p.Wait(evs, 0); n != 1 || err != nil {
			b.Fatalf("Wait: %d, %v", n, err)
		}
	}
}
