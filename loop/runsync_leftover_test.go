package loop_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/poller"
)

// A RunSync that ends without a result (ErrStopped, ErrRunning) leaves
// nothing behind: its timeout timer must not stop a later run of the loop,
// and a function that never got to run (the loop was stopped before, or
// was running already) must not run later, where its done would stop that
// run.
func TestRunSyncWithoutResultLeavesNothingBehind(t *testing.T) {
	t.Run("TimeoutTimer", func(t *testing.T) {
		l := newLoop(t, nil)
		_, err := loop.RunSync(l, 5*time.Millisecond, func(done func(int, error)) { l.Stop() })
		if !errors.Is(err, loop.ErrStopped) {
			t.Fatalf("first RunSync: %v, want ErrStopped", err)
		}
		// The first call's 5 ms timeout comes due while this one waits
		// for its own 50 ms timer.
		v, err := loop.RunSync(l, 0, func(done func(int, error)) {
			l.CallLater(50*time.Millisecond, func() { done(7, nil) })
		})
		if v != 7 || err != nil {
			t.Fatalf("second RunSync: %d, %v; want 7, nil (stopped by the first one's timer?)", v, err)
		}
	})
	t.Run("UnrunFunction", func(t *testing.T) {
		l := newLoop(t, nil)
		l.Stop() // the next Run returns at once, before f runs
		ran := false
		_, err := loop.RunSync(l, time.Second, func(done func(int, error)) {
			ran = true
			done(1, nil)
		})
		if !errors.Is(err, loop.ErrStopped) {
			t.Fatalf("first RunSync: %v, want ErrStopped", err)
		}
		v, err := loop.RunSync(l, 0, func(done func(int, error)) {
			l.CallLater(20*time.Millisecond, func() { done(7, nil) })
		})
		if v != 7 || err != nil {
			t.Fatalf("second RunSync: %d, %v; want 7, nil", v, err)
		}
		if ran {
			t.Fatal("the function of a RunSync that returned ErrStopped ran in a later run")
		}
	})
	t.Run("CalledOnTheRunningLoop", func(t *testing.T) {
		// From the loop's own goroutine RunSync cannot run the loop
		// (ErrRunning); its function must not run later on the loop that
		// is running and stop it with its done.
		l := newLoop(t, nil)
		ran := false
		var inner error
		v, err := loop.RunSync(l, 0, func(done func(int, error)) {
			_, inner = loop.RunSync(l, time.Second, func(d func(int, error)) {
				ran = true
				d(1, nil)
			})
			l.CallLater(20*time.Millisecond, func() { done(7, nil) })
		})
		if !errors.Is(inner, loop.ErrRunning) {
			t.Fatalf("nested RunSync: %v, want ErrRunning", inner)
		}
		if v != 7 || err != nil || ran {
			t.Fatalf("outer RunSync: %d, %v (nested function ran: %v); want 7, nil, false", v, err, ran)
		}
	})
}

// wakeHookPoller wraps a poller: while hook is set, Wake runs it after
// waking the real poller; idle is told of every blocking Wait.
type wakeHookPoller struct {
	poller.Poller
	hook atomic.Pointer[func()]
	idle chan struct{}
}

func (p *wakeHookPoller) Wait(ev []poller.Event, timeout time.Duration) (int, error) {
	if timeout != 0 {
		select {
		case p.idle <- struct{}{}:
		default:
		}
	}
	return p.Poller.Wait(ev, timeout)
}

func (p *wakeHookPoller) Wake() error {
	err := p.Poller.Wake()
	if h := p.hook.Load(); h != nil {
		(*h)()
	}
	return err
}

// RunSync on a loop another goroutine runs returns ErrRunning, and its
// function must not run on that loop, where its done would stop the other
// goroutine's Run. Here the loop gets to the function between RunSync's
// post and its own attempt to run the loop.
func TestRunSyncOnLoopRunningElsewhere(t *testing.T) {
	wp := &wakeHookPoller{idle: make(chan struct{}, 1)}
	l := newLoop(t, &loop.Options{NewPoller: func() (poller.Poller, error) {
		p, err := poller.New()
		wp.Poller = p
		return wp, err
	}})
	runErr := make(chan error, 1)
	go func() { runErr <- l.Run() }()
	await(t, wp.idle, "the loop to go idle")

	ran, release := make(chan struct{}), make(chan struct{})
	hook := func() {
		// Let the loop reach the function before RunSync goes on.
		select {
		case <-ran:
		case <-time.After(2 * time.Second):
		}
	}
	wp.hook.Store(&hook)
	_, err := loop.RunSync(l, time.Second, func(done func(int, error)) {
		close(ran)
		done(1, nil)
		<-release // keep the loop in this iteration until RunSync returned
	})
	wp.hook.Store(nil)
	close(release)
	if !errors.Is(err, loop.ErrRunning) {
		t.Fatalf("RunSync on a loop running elsewhere: %v, want ErrRunning", err)
	}
	select {
	case <-ran:
		t.Error("RunSync's function ran on the loop another goroutine runs")
	default:
	}
	// The other goroutine's Run goes on: a callback posted now runs.
	alive := make(chan struct{})
	l.Post(func() { close(alive) })
	select {
	case err := <-runErr:
		t.Fatalf("the other goroutine's Run returned (%v): stopped by RunSync's done", err)
	case <-alive:
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for the loop to run a callback")
	}
	l.Stop()
	if err := await(t, runErr, "Run to return after Stop"); err != nil {
		t.Fatal(err)
	}
}
