package loop

import (
	"errors"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gale-io/gale/poller"
)

var (
	// ErrClosed is returned by Post, Run and the handler methods of a
	// closed loop.
	ErrClosed = errors.New("loop: closed")
	// ErrRunning is returned by Run when the loop is already running, and by
	// Close while it runs.
	ErrRunning = errors.New("loop: already running")
	// ErrTimeout is returned by RunSync when the function does not finish in
	// time.
	ErrTimeout = errors.New("loop: operation timed out")
	// ErrStopped is returned by RunSync when the loop is stopped before the
	// function finishes.
	ErrStopped = errors.New("loop: stopped before the operation completed")
)

// Options configure a Loop. The zero value (or a nil *Options) gives the
// defaults documented on each field.
type Options struct {
	// NewPoller builds the readiness backend. Default: poller.New, the best
	// one for the platform.
	NewPoller func() (poller.Poller, error)
	// MaxEvents is how many readiness events one Wait may return. The
	// buffer starts there and doubles, up to 16 times that, while Waits keep
	// filling it. Default 256.
	MaxEvents int
	// IOBudget is the number of bytes an fd handler should move per call
	// before it returns and lets the loop serve other descriptors; readiness
	// is level-triggered, so the handler is called again on the next
	// iteration. The loop only publishes it (IOBudget method): streams read
	// it. Default 64 KiB.
	IOBudget int
	// MaxBlocking bounds how many functions handed to Offload run at once;
	// the rest wait in FIFO order. Default 5 × GOMAXPROCS at New, as
	// Tornado's default executor does with the CPU count.
	MaxBlocking int
	// Logger receives panics recovered from callbacks and handlers, and
	// poller errors. Default slog.Default() at the time of logging.
	Logger *slog.Logger
	// HoldThread makes an idle loop block its thread in the poller's wait
	// system call, with the goroutine locked to that thread
	// (runtime.LockOSThread). By default, where the poller allows it
	// (epoll), an idle loop parks on Go's scheduler instead: Go's runtime
	// poller wakes it when the loop's poller has something to report, and
	// meanwhile its processor (P) runs other goroutines: net/http handlers
	// behind the httpserver adapter, Offload work, clients calling Do, the
	// program's own. A thread blocked in a system call keeps its processor
	// until the runtime takes it back, 20 µs or more later, so with
	// HoldThread goroutines wait whenever the loops occupy every processor
	// (GOMAXPROCS 1, or one loop per processor): a post from another
	// goroutine to an idle loop took 40 µs with two processors and 150 µs
	// with one, against 3 µs parked (BenchmarkIdleWakeupLatency). Parking
	// costs two system calls per idle wait, and nothing while the loop is
	// busy. HoldThread suits processes whose loops have the machine to
	// themselves.
	HoldThread bool
}

// Loop is a reactor: it waits for readiness on registered descriptors, runs
// their handlers, fires timers, and runs posted callbacks, all on the one
// goroutine that calls Run.
//
// Concurrency: Post and Stop are safe from any goroutine, as are the
// package functions built on them (Call, Offload's delivery). Every other
// method, and everything a loop runs (handlers, timers, callbacks, periodic
// calls), belongs to the loop's goroutine: call it from inside a callback,
// or before Run starts.
type Loop struct {
	p      poller.Poller
	events []poller.Event
	maxEv  int
	budget int
	logger *slog.Logger

	// Posted callbacks. queue takes posts; the loop swaps it with spare at
	// the start of each callback batch.
	mu       sync.Mutex
	queue    []func()
	spare    []func()
	closed   bool
	closedCh chan struct{}

	sleeping atomic.Bool // the loop is in (or about to enter) a blocking Wait
	woken    atomic.Bool // a Wake was sent since the loop last left Wait
	stopReq  atomic.Bool
	running  atomic.Bool

	base     time.Time // the zero of the loop's monotonic clock
	wallZero time.Time // the wall clock at base, as last measured (CallAt)
	timers   timerQueue

	fds handlerTable

	exec executor

	pk *parker // nil: Wait blocks the thread (Options.HoldThread, or no Parker)

	locals []any // Local's slots, by LocalKey
}

// New returns a loop with its poller open, ready to Run. Close it when done.
func New(opts *Options) (*Loop, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.NewPoller == nil {
		o.NewPoller = poller.New
	}
	if o.MaxEvents <= 0 {
		o.MaxEvents = 256
	}
	if o.IOBudget <= 0 {
		o.IOBudget = 64 << 10
	}
	p, err := o.NewPoller()
	if err != nil {
		return nil, err
	}
	l := &Loop{
		p:        p,
		events:   make([]poller.Event, o.MaxEvents),
		maxEv:    16 * o.MaxEvents,
		budget:   o.IOBudget,
		logger:   o.Logger,
		closedCh: make(chan struct{}),
		base:     time.Now(),
	}
	l.fds.init()
	l.exec.init(o.MaxBlocking)
	if !o.HoldThread {
		l.pk = newParker(p, &l.woken)
	}
	return l, nil
}

// Backend names the poller mechanism in use, such as "epoll" or "poll".
func (l *Loop) Backend() string { return l.p.Name() }

// IOBudget returns the number of bytes an fd handler should move per call
// (Options.IOBudget).
func (l *Loop) IOBudget() int { return l.budget }

func (l *Loop) log() *slog.Logger {
	if l.logger != nil {
		return l.logger
	}
	return slog.Default()
}

// Post schedules f to run on the loop's goroutine. It is safe from any
// goroutine and never runs f inline: callbacks run in the order posted, on
// the loop's next iteration (a callback posted while callbacks run waits
// for the iteration after, so I/O is never starved). Posting wakes a loop
// blocked in its poller; wakeups coalesce. After Close, Post drops f and
// returns ErrClosed.
func (l *Loop) Post(f func()) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.queue = append(l.queue, f)
	l.mu.Unlock()
	l.wake()
	return nil
}

// wake interrupts a blocking Wait unless a wakeup is already on its way.
func (l *Loop) wake() {
	if l.sleeping.Load() && !l.woken.Swap(true) {
		if err := l.p.Wake(); err != nil && !errors.Is(err, poller.ErrClosed) {
			l.woken.Store(false) // no wakeup is on its way after all
			l.log().Error("gale/loop: wake failed", "err", err)
		}
	}
}

// Stop makes Run return after the current iteration. It is safe from any
// goroutine and from inside a callback. As with Tornado's IOLoop.stop, a
// Stop while the loop is not running makes the next Run return at once.
// Pending callbacks, timers and handlers stay in place for the next Run.
func (l *Loop) Stop() {
	l.stopReq.Store(true)
	l.wake()
}

// Run runs the loop on the calling goroutine until Stop. It returns
// ErrRunning if the loop is running already, ErrClosed after Close, and the
// poller's error if waiting fails.
//
// A loop that waits blocking its thread (Options.HoldThread, and every
// backend but epoll) is locked to its OS thread while it runs
// (runtime.LockOSThread): without the lock the goroutine would often come
// back from that system call on another thread, a switch that costs about
// a tenth of the CPU per message of a busy echo server (measured in
// bench/). A loop that parks on Go's scheduler is not locked.
func (l *Loop) Run() error {
	if err := l.claim(); err != nil {
		return err
	}
	return l.run()
}

// claim marks the loop running, for run, or says why it cannot.
func (l *Loop) claim() error {
	// Under mu, as Close decides under mu: a Close racing this Run either
	// sees it running or closes first.
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	if !l.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	return nil
}

// run is Run on a loop claimed already.
func (l *Loop) run() error {
	defer l.running.Store(false)
	if l.pk == nil {
		// Blocking in the poller: stay on one thread (see Run's doc). A
		// parking loop must not be locked: a locked goroutine wakes
		// through a handoff to its own thread, several microseconds.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	for !l.stopReq.Swap(false) {
		if err := l.iterate(); err != nil {
			return err
		}
	}
	return nil
}

func (l *Loop) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// iterate is one turn: wait for readiness (no longer than the next timer,
// not at all if callbacks are queued), run the ready handlers, the due
// timers, then the callbacks posted before this turn's batch began.
func (l *Loop) iterate() error {
	timeout := time.Duration(-1)
	if l.timers.len() > 0 {
		// Compared before subtracting: a deadline centuries past (CallAt
		// of the zero Time saturates to math.MinInt64) would overflow.
		timeout = 0
		if next, now := l.timers.next(), l.clock(); next > now {
			timeout = time.Duration(next - now)
		}
	}
	if timeout != 0 {
		l.mu.Lock()
		pending := len(l.queue) > 0
		l.mu.Unlock()
		if pending {
			timeout = 0
		}
	}
	if timeout != 0 {
		// Announce the sleep, then look at the queue again: a Post either
		// sees sleeping and wakes the poller, or its callback is seen here.
		l.sleeping.Store(true)
		l.mu.Lock()
		pending := len(l.queue) > 0 || l.stopReq.Load()
		l.mu.Unlock()
		if pending {
			timeout = 0
		}
	}
	var n int
	var err error
	if timeout != 0 && l.pk != nil {
		n, err = l.pk.wait(l.events, timeout)
	} else {
		n, err = l.p.Wait(l.events, timeout)
	}
	l.sleeping.Store(false)
	l.woken.Store(false)
	if err != nil {
		return err
	}
	l.dispatch(n)
	if n == len(l.events) && n < l.maxEv {
		l.events = make([]poller.Event, min(2*n, l.maxEv))
	}
	l.runTimers()
	l.runCallbacks()
	return nil
}

// runCallbacks runs the callbacks queued so far; those they post wait for
// the next iteration.
func (l *Loop) runCallbacks() {
	l.mu.Lock()
	batch := l.queue
	l.queue = l.spare[:0]
	l.mu.Unlock()
	for i := 0; i < len(batch); {
		i = l.runCallbacksFrom(batch, i)
	}
	clear(batch) // drop references so closures can be collected
	l.mu.Lock()
	l.spare = batch[:0]
	l.mu.Unlock()
}

// runCallbacksFrom runs batch[i:] and returns where it stopped: len(batch),
// or just past a callback that panicked (the panic is logged).
func (l *Loop) runCallbacksFrom(batch []func(), i int) (next int) {
	defer func() {
		if r := recover(); r != nil {
			l.logPanic("callback", r)
			next = i
		}
	}()
	for i < len(batch) {
		f := batch[i]
		i++
		f()
	}
	return i
}

// Done returns a channel that is closed when the loop is closed (Close,
// CloseAll). Close drops the callbacks still queued, so a goroutine that
// posted one and waits for it to run should also select on Done.
func (l *Loop) Done() <-chan struct{} { return l.closedCh }

// Close releases the poller. Descriptors registered with AddHandler stay
// open (see CloseAll); pending callbacks and timers are dropped, and later
// Posts return ErrClosed. Close returns ErrRunning while Run runs, and nil
// when the loop is closed already.
func (l *Loop) Close() error {
	l.mu.Lock()
	if l.running.Load() {
		l.mu.Unlock()
		return ErrRunning
	}
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.queue, l.spare = nil, nil
	l.mu.Unlock()
	close(l.closedCh)
	l.timers.reset()
	if l.pk != nil {
		l.pk.close()
	}
	return l.p.Close()
}

// CloseAll closes every descriptor registered with AddHandler, then the
// loop, like Tornado's close(all_fds=True). It returns the first error.
func (l *Loop) CloseAll() error {
	if l.running.Load() {
		return ErrRunning
	}
	var first error
	for _, fd := range l.fds.registered() {
		if err := l.RemoveHandler(fd); err != nil && first == nil {
			first = err
		}
		if err := closeFD(fd); err != nil && first == nil {
			first = err
		}
	}
	if err := l.Close(); err != nil && first == nil {
		first = err
	}
	return first
}

// Now returns the current time, with a monotonic reading, as the loop's
// timers see it.
func (l *Loop) Now() time.Time { return time.Now() }

// clock is the loop's monotonic time in nanoseconds since New. time.Since
// on a time with a monotonic reading reads only the monotonic clock.
func (l *Loop) clock() int64 { return int64(time.Since(l.base)) }

func (l *Loop) logPanic(where string, r any) {
	l.log().Error("gale/loop: panic recovered", "in", where, "panic", r, "stack", stack())
}
