package loop_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gale-io/gale/loop"
)

func TestPostRunsInOrderOnNextIteration(t *testing.T) {
	l := newLoop(t, nil)
	var got []string
	runFor(t, l, func(done func()) {
		for i := range 5 {
			l.Post(func() {
				got = append(got, fmt.Sprint("a", i))
				if i == 0 {
					// Posted while callbacks run: waits for the next batch,
					// behind a1..a4 which were queued before.
					l.Post(func() { got = append(got, "b"); done() })
				}
			})
		}
		got = append(got, "inline") // Post never runs the callback inline
	})
	want := "inline a0 a1 a2 a3 a4 b"
	if s := strings.Join(got, " "); s != want {
		t.Fatalf("order %q, want %q", s, want)
	}
}

func TestPostFromManyGoroutines(t *testing.T) {
	const goroutines, each = 100, 1000
	l := newLoop(t, nil)
	last := make([]int, goroutines) // per goroutine, the last sequence number seen
	for i := range last {
		last[i] = -1
	}
	var count int
	var bad atomic.Value
	allDone := make(chan struct{})
	stop := start(t, l)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				err := l.Post(func() {
					if last[g] != i-1 {
						bad.Store(fmt.Sprintf("goroutine %d: callback %d ran after %d", g, i, last[g]))
					}
					last[g] = i
					if count++; count == goroutines*each {
						close(allDone)
					}
				})
				if err != nil {
					bad.Store(err.Error())
				}
			}
		}()
	}
	wg.Wait()
	await(t, allDone, "all posted callbacks to run")
	stop()
	if msg := bad.Load(); msg != nil {
		t.Fatal(msg)
	}
}

func TestPostWakesIdleLoop(t *testing.T) {
	l := newLoop(t, nil)
	start(t, l)
	for range 100 {
		ran := make(chan struct{})
		if err := l.Post(func() { close(ran) }); err != nil {
			t.Fatal(err)
		}
		await(t, ran, "a posted callback on an idle loop")
	}
}

func TestStop(t *testing.T) {
	t.Run("FromAnotherGoroutine", func(t *testing.T) {
		l := newLoop(t, nil)
		running := make(chan struct{})
		l.Post(func() { close(running) })
		stop := start(t, l)
		await(t, running, "the loop to start")
		stop() // fails the test if Run does not return
	})
	t.Run("FromCallback", func(t *testing.T) {
		l := newLoop(t, nil)
		ranAfter := false
		l.Post(func() { l.Stop() })
		l.Post(func() { ranAfter = true }) // same batch: still runs
		if err := l.Run(); err != nil {
			t.Fatal(err)
		}
		if !ranAfter {
			t.Fatal("Stop cut the current batch of callbacks short")
		}
		// The loop can run again; pending work is kept.
		again := false
		l.Post(func() { again = true; l.Stop() })
		if err := l.Run(); err != nil {
			t.Fatal(err)
		}
		if !again {
			t.Fatal("second Run did not run a callback")
		}
	})
	t.Run("BeforeRun", func(t *testing.T) {
		l := newLoop(t, nil)
		l.Stop()
		ran := false
		l.Post(func() { ran = true })
		if err := l.Run(); err != nil {
			t.Fatal(err)
		}
		if ran {
			t.Fatal("Run after Stop ran an iteration; Tornado returns at once")
		}
	})
}

func TestRunTwiceAndCloseWhileRunning(t *testing.T) {
	l := newLoop(t, nil)
	running := make(chan struct{})
	l.Post(func() { close(running) })
	start(t, l)
	await(t, running, "the loop to start")
	if err := l.Run(); !errors.Is(err, loop.ErrRunning) {
		t.Fatalf("second Run: %v, want ErrRunning", err)
	}
	if err := l.Close(); !errors.Is(err, loop.ErrRunning) {
		t.Fatalf("Close while running: %v, want ErrRunning", err)
	}
}

func TestPostAfterClose(t *testing.T) {
	l := newLoop(t, nil)
	ran := false
	l.Post(func() { ran = true }) // dropped by Close
	select {
	case <-l.Done():
		t.Fatal("Done closed before Close")
	default:
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.Done():
	default:
		t.Fatal("Done not closed after Close")
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := l.Post(func() {}); !errors.Is(err, loop.ErrClosed) {
		t.Fatalf("Post after Close: %v, want ErrClosed", err)
	}
	if err := l.Run(); !errors.Is(err, loop.ErrClosed) {
		t.Fatalf("Run after Close: %v, want ErrClosed", err)
	}
	l.Stop() // harmless
	if ran {
		t.Fatal("a callback pending at Close ran")
	}
}

func TestPanicsAreLoggedAndLoopLives(t *testing.T) {
	var logs logBuffer
	l := newLoop(t, &loop.Options{Logger: logs.Logger()})
	var after, timerAfter bool
	runFor(t, l, func(done func()) {
		l.Post(func() { panic("boom-callback") })
		l.Post(func() { after = true })
		l.CallLater(0, func() { panic("boom-timer") })
		l.CallLater(0, func() { timerAfter = true })
		l.CallLater(time.Millisecond, done)
	})
	if !after || !timerAfter {
		t.Fatalf("work after a panic did not run: callback %v, timer %v", after, timerAfter)
	}
	out := logs.String()
	for _, want := range []string{"boom-callback", "boom-timer", "panic recovered", "in=callback", "in=timer"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestRunSync(t *testing.T) {
	t.Run("Result", func(t *testing.T) {
		l := newLoop(t, nil)
		v, err := loop.RunSync(l, time.Second, func(done func(int, error)) {
			l.CallLater(time.Millisecond, func() { done(42, nil) })
		})
		if v != 42 || err != nil {
			t.Fatalf("got %d, %v", v, err)
		}
	})
	t.Run("Error", func(t *testing.T) {
		l := newLoop(t, nil)
		boom := errors.New("boom")
		_, err := loop.RunSync(l, time.Second, func(done func(int, error)) { done(0, boom) })
		if !errors.Is(err, boom) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("Timeout", func(t *testing.T) {
		l := newLoop(t, nil)
		_, err := loop.RunSync(l, 10*time.Millisecond, func(done func(int, error)) {})
		if !errors.Is(err, loop.ErrTimeout) {
			t.Fatalf("got %v, want ErrTimeout", err)
		}
	})
	t.Run("StoppedEarly", func(t *testing.T) {
		l := newLoop(t, nil)
		_, err := loop.RunSync(l, time.Second, func(done func(int, error)) { l.Stop() })
		if !errors.Is(err, loop.ErrStopped) {
			t.Fatalf("got %v, want ErrStopped", err)
		}
	})
	t.Run("Panic", func(t *testing.T) {
		l := newLoop(t, nil)
		_, err := loop.RunSync(l, time.Second, func(done func(int, error)) { panic("oops") })
		var pe *loop.PanicError
		if !errors.As(err, &pe) || pe.Value != "oops" {
			t.Fatalf("got %v, want a PanicError", err)
		}
	})
}

func TestCall(t *testing.T) {
	l := newLoop(t, nil)
	stop := start(t, l)
	v, err := loop.Call(context.Background(), l, func() (string, error) { return "on loop", nil })
	if v != "on loop" || err != nil {
		t.Fatalf("Call: %q, %v", v, err)
	}
	// A context that ends first.
	ctx, cancel := context.WithCancel(context.Background())
	release := make(chan struct{})
	l.Post(func() { <-release }) // keep the loop busy
	cancel()
	if _, err := loop.Call(ctx, l, func() (int, error) { return 1, nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Call with a cancelled context: %v", err)
	}
	close(release)
	stop()
	l.Close()
	if _, err := loop.Call(context.Background(), l, func() (int, error) { return 1, nil }); !errors.Is(err, loop.ErrClosed) {
		t.Fatalf("Call on a closed loop: %v", err)
	}
}

func TestOffload(t *testing.T) {
	l := newLoop(t, &loop.Options{MaxBlocking: 2})
	var running, peak atomic.Int32
	release := make(chan struct{})
	const jobs = 10
	var results []int
	runFor(t, l, func(done func()) {
		for i := range jobs {
			loop.Offload(l, func() (int, error) {
				n := running.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				<-release
				running.Add(-1)
				return i, nil
			}, func(v int, err error) {
				if err != nil {
					t.Error(err)
				}
				results = append(results, v) // on the loop goroutine: no lock
				if len(results) == jobs {
					done()
				}
			})
		}
		close(release)
	})
	if p := peak.Load(); p > 2 {
		t.Fatalf("%d blocking functions ran at once, limit 2", p)
	}
	if len(results) != jobs {
		t.Fatalf("%d results, want %d", len(results), jobs)
	}
	// Panics come back as errors.
	_, err := loop.RunSync(l, 5*time.Second, func(done func(int, error)) {
		loop.Offload(l, func() (int, error) { panic("in work") }, done)
	})
	var pe *loop.PanicError
	if !errors.As(err, &pe) || pe.Value != "in work" || pe.Stack == "" {
		t.Fatalf("panicking work: %v", err)
	}
}

// A panic in RunSync's function after it called done has no result to go
// to; it is logged, as the loop logs any other panic, not swallowed.
func TestRunSyncPanicAfterDoneIsLogged(t *testing.T) {
	var logs logBuffer
	l := newLoop(t, &loop.Options{Logger: logs.Logger()})
	v, err := loop.RunSync(l, time.Second, func(done func(int, error)) {
		done(1, nil)
		panic("boom-after-done")
	})
	if v != 1 || err != nil {
		t.Fatalf("RunSync: %d, %v; want 1, nil", v, err)
	}
	out := logs.String()
	for _, want := range []string{"panic recovered", "boom-after-done"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
