// Package poller is gale's one small interface over the operating system's
// readiness APIs: epoll (Linux), kqueue (macOS and the BSDs), /dev/poll
// (Solaris and illumos), poll(2) (any Unix; on Linux with the gale_poll build
// tag) and WSAPoll (Windows).
//
// # The contract
//
// Every backend honours this contract, and every backend runs the same
// conformance suite (package pollertest) to prove it.
//
// Registration. A descriptor is registered with Add, given an interest set
// (Readable, Writable, both, or neither) and a 64-bit token chosen by the
// caller. The token comes back, unchanged, in every Event for that
// descriptor; the poller never interprets it. Modify replaces both the
// interest set and the token. Delete forgets the descriptor. Adding a
// descriptor twice fails with ErrRegistered; modifying or deleting one that
// is not registered fails with ErrNotRegistered.
//
// Level-triggered. Readiness is level-triggered on every backend: as long as
// a registered descriptor is readable (or writable) and that interest is set,
// every Wait reports it again. A consumer may therefore read or write as much
// as it wants per event and leave the rest for the next Wait; it never has to
// drain a descriptor to EAGAIN to be told about it again. This is what
// poll(2), /dev/poll and WSAPoll do natively, and what Tornado's IOLoop
// promises; epoll and kqueue are used in their level-triggered modes.
//
// Spurious events. An event is a hint, not a promise: a read or write after
// Readable or Writable may still fail with EAGAIN (another reader got there
// first, a checksum failed, a TLS record is incomplete). Consumers retry on the
// next event. Wait may also return with no events at all (a wakeup, a signal,
// a timeout rounded to the backend's resolution).
//
// Errors and hangups. Error (the descriptor has a pending error, such as a
// refused connect or a reset) and Hangup (the peer closed the connection, or
// the descriptor cannot be used for I/O any more) are reported whether or not
// they were asked for, even with an empty interest set. What counts as a
// hangup is the system's: on Linux (epoll and poll) a TCP socket hangs up
// once both directions are shut (a peer's FIN alone makes it Readable, for a
// read to see end of file), a pipe or Unix-domain socket when its peer
// closed; kqueue also reports a TCP peer's FIN as Hangup. Consumers learn of
// a half-close by reading. When a backend reports
// them it also reports Readable and/or Writable for whichever of those
// interests is registered, so that a consumer that only looks at Readable and
// Writable still learns of the condition by trying the I/O and seeing its
// error or end of file. Because readiness is level-triggered, a descriptor in
// an error or hangup state is reported on every Wait until it is deleted: the
// consumer must delete (and usually close) it.
//
// Closed descriptors. Delete a descriptor before closing it. A backend may
// not notice a close on its own (poll(2) and /dev/poll keep polling the
// number, and the number can be reused by the next open), so closing a
// registered descriptor is a caller error whose result is unspecified, short
// of memory unsafety. Events already returned by Wait are in the caller's
// slice; the poller cannot take them back, so a consumer that deletes a
// descriptor while walking one batch must drop that descriptor's remaining
// events itself (package loop does, with generation counters in the token).
//
// Interrupts. Wait retries nothing and hides nothing: when the system call
// is interrupted (EINTR) it returns zero events and a nil error, as a wakeup
// would.
//
// Timeouts. A negative timeout blocks until an event or a Wake; zero polls
// without blocking; a positive timeout is rounded up to the backend's
// resolution (a millisecond for most), so Wait never returns early because of
// rounding, and a one-nanosecond timeout does not spin.
//
// Concurrency. Wake may be called from any goroutine, at any time, even
// concurrently with Close (after which it returns ErrClosed). All other
// methods must be called from one goroutine at a time, and not while another
// goroutine is inside Wait: a poller belongs to the goroutine that drives it.
// Wakes coalesce: any number of Wake calls between two Waits make at least
// one Wait return promptly, and the wakeup is never reported as an Event.
//
// After Close, Add, Modify, Delete, Wait and Wake return ErrClosed, and a
// second Close does nothing (returns nil). Close releases only the
// poller's own descriptors (the epoll or kqueue descriptor, the waker); the
// registered descriptors stay open and remain the caller's to close.
package poller
