package loop

import (
	"fmt"
	"runtime"
	"sync"
)

// PanicError is the error Offload delivers when the blocking function
// panics.
type PanicError struct {
	Value any    // what was passed to panic
	Stack string // the stack of the panicking goroutine
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("loop: blocking function panicked: %v", e.Value)
}

// Offload runs work on another goroutine, so that it may block, and then
// delivers its result to done on l's goroutine. At most
// Options.MaxBlocking functions of one loop run at once; the others wait
// their turn in FIFO order. A panic in work reaches done as a *PanicError.
// If the loop is closed before the result can be posted, done is not
// called. Offload itself is safe from any goroutine.
func Offload[T any](l *Loop, work func() (T, error), done func(T, error)) {
	l.exec.submit(func() {
		v, err := protect(work)
		if l.Post(func() { done(v, err) }) != nil {
			l.log().Debug("gale/loop: result of blocking work dropped: loop closed")
		}
	})
}

func protect[T any](work func() (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: stack()}
		}
	}()
	return work()
}

// executor runs functions on at most max goroutines, started on demand and
// ended when the queue is empty, so an idle loop holds none.
type executor struct {
	mu      sync.Mutex
	queue   []func()
	workers int
	max     int
}

func (e *executor) init(n int) {
	if n <= 0 {
		n = 5 * runtime.GOMAXPROCS(0)
	}
	e.max = n
}

func (e *executor) submit(f func()) {
	e.mu.Lock()
	if e.workers < e.max {
		e.workers++
		e.mu.Unlock()
		go e.work(f)
		return
	}
	e.queue = append(e.queue, f)
	e.mu.Unlock()
}

func (e *executor) work(f func()) {
	for {
		f()
		e.mu.Lock()
		if len(e.queue) == 0 {
			e.workers--
			e.queue = nil
			e.mu.Unlock()
			return
		}
		f = e.queue[0]
		e.queue[0] = nil
		e.queue = e.queue[1:]
		e.mu.Unlock()
	}
}
