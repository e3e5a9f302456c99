package loop

import (
	"context"
	"sync/atomic"
	"time"
)

// RunSync runs the loop on the calling goroutine until f reports its result
// through done, then stops the loop and returns that result, like
// Tornado's IOLoop.run_sync. f runs on the loop's goroutine and may start
// asynchronous work that calls done later (done must be called on the
// loop's goroutine; calls after the first are ignored). With a positive
// timeout, RunSync gives up after it and returns ErrTimeout; if the loop is
// stopped before done is called it returns ErrStopped; a panic in f is
// returned as a *PanicError (and logged if it comes after done). On a loop
// that runs already (ErrRunning) or is closed (ErrClosed) it returns at
// once and f never runs. When RunSync returns without a result (ErrStopped,
// or an error from Run) it leaves nothing behind: its timeout is cancelled,
// f does not run later if it had not run yet, and a later call to done is
// ignored, so none of them stops a later run of the loop.
func RunSync[T any](l *Loop, timeout time.Duration, f func(done func(T, error))) (T, error) {
	var (
		result   T
		err      error
		finished bool
		timer    Timer
		// abandoned is set once RunSync has returned; atomic because a
		// later Run on another goroutine may run the posted callback.
		abandoned atomic.Bool
	)
	// Claimed before posting: on a loop another goroutine runs, the post
	// would let f run there, and its done stop that goroutine's Run.
	if cerr := l.claim(); cerr != nil {
		return result, cerr
	}
	finish := func(v T, e error) {
		if finished || abandoned.Load() {
			return
		}
		finished = true
		result, err = v, e
		timer.Cancel()
		l.Stop()
	}
	if perr := l.Post(func() {
		if abandoned.Load() {
			return // RunSync returned before this ran
		}
		if timeout > 0 {
			timer = l.CallLater(timeout, func() {
				var zero T
				finish(zero, ErrTimeout)
			})
		}
		if _, p := protect(func() (struct{}, error) { f(finish); return struct{}{}, nil }); p != nil {
			if finished {
				// After done: no result left to carry it, so log it
				// as the loop does any other panic.
				pe := p.(*PanicError)
				l.log().Error("gale/loop: panic recovered", "in", "RunSync function", "panic", pe.Value, "stack", pe.Stack)
				return
			}
			var zero T
			finish(zero, p)
		}
	}); perr != nil {
		l.running.Store(false)
		return result, perr
	}
	rerr := l.run()
	abandoned.Store(true)
	timer.Cancel()
	if rerr != nil {
		var zero T
		return zero, rerr
	}
	if !finished {
		return result, ErrStopped
	}
	return result, err
}

// Call runs f on the running loop l and waits for its result. It is for
// code outside the loop's goroutine (calling it from the loop's goroutine
// deadlocks). It returns ctx.Err() if ctx ends first (f may still run
// later), and ErrClosed if the loop is closed before f runs.
func Call[T any](ctx context.Context, l *Loop, f func() (T, error)) (T, error) {
	type res struct {
		v   T
		err error
	}
	ch := make(chan res, 1)
	var zero T
	if err := l.Post(func() {
		v, err := protect(f)
		ch <- res{v, err}
	}); err != nil {
		return zero, err
	}
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-l.closedCh:
		select {
		case r := <-ch:
			return r.v, r.err
		default:
			return zero, ErrClosed
		}
	}
}
