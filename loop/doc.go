// Package loop is gale's reactor, the counterpart of Tornado's IOLoop: one
// goroutine waits on a poller for descriptor readiness and runs, in turn,
// the ready descriptors' handlers, the due timers, and the callbacks posted
// to it.
//
// # Threading
//
// A Loop is driven by exactly one goroutine, the one that calls Run (or
// RunSync). Everything registered on a loop runs on that goroutine, so none
// of it needs locks. The goroutine-safe entry points are Post, Stop, and
// what is built on them (Call, and the delivery of Offload results); all
// other methods must be called on the loop's goroutine (from a callback,
// handler or timer) or before Run starts. Multi-core programs run several
// loops, one goroutine each, and pin every connection to one of them.
//
// An idle loop does not hold a processor: with epoll it parks on Go's
// scheduler until its poller has something to report, so goroutines beside
// the loops (net/http handlers, Offload work, the program's own) run at
// once, even with as many loops as processors. Options.HoldThread, and the
// other backends, wait in the poller's system call instead, with the
// goroutine locked to its thread.
//
// # One iteration
//
//  1. Wait on the poller: not at all if callbacks are queued, else until the
//     next timer is due, else until a descriptor is ready or Post wakes it.
//  2. Call the handler of each ready descriptor once per event, with the
//     ready interests plus Error and Hangup. A handler removed earlier in
//     the batch is not called, even if its descriptor number was reused.
//  3. Run the timers that are due, in deadline order, FIFO among equal
//     deadlines. Timers added meanwhile wait for a later iteration.
//  4. Run the callbacks posted before step 4 began, in the order posted.
//     Callbacks they post run in the next iteration, so a callback that
//     re-posts itself cannot starve I/O.
//
// Readiness is level-triggered (see package poller), and each handler call
// should move at most IOBudget bytes, so one busy descriptor cannot starve
// the others: what it leaves is reported again on the next iteration.
//
// A panic in a handler, timer, callback or periodic call is recovered and
// logged with log/slog; the loop keeps running.
//
// # Per-loop state
//
// Local gives a package one slot per loop under a key made once with
// NewLocalKey, for state that only the loop's goroutine touches and so
// needs no lock: package stream keeps its stock of drained read buffers
// there, so that a busy connection's buffer for each message does not
// travel through sync.Pool.
//
// # Tornado mapping
//
//	IOLoop.start / stop / close        Run / Stop / Close (CloseAll for all_fds=True)
//	add_callback                       Post
//	call_later / call_at / add_timeout CallLater / CallAt
//	remove_timeout                     Timer.Cancel
//	add_handler / update_handler       AddHandler / UpdateHandler
//	remove_handler                     RemoveHandler
//	PeriodicCallback                   NewPeriodic
//	run_in_executor                    Offload
//	run_sync                           RunSync (and Call for a loop running elsewhere)
package loop
