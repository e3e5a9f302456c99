package loop_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gale-io/gale/loop"
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
