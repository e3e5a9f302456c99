package poller

import (
	"errors"
	"strings"
	"time"
)

// Events is a set of readiness conditions. As an interest set (in Add and
// Modify) only Readable and Writable are meaningful; in an Event any of the
// four may appear.
type Events uint8

const (
	// Readable means a read will not block: data, a pending connection on a
	// listener, end of file, or an error is waiting.
	Readable Events = 1 << iota
	// Writable means a write will not block, a connect has completed (or
	// failed), or an error is waiting.
	Writable
	// Error means the descriptor has a pending error. It is reported
	// whether or not it was asked for; see the package doc.
	Error
	// Hangup means the peer closed the connection (or the descriptor can do
	// no more I/O). It is reported whether or not it was asked for.
	Hangup
)

// None is the empty interest set: the descriptor stays registered but only
// Error and Hangup are reported for it.
const None Events = 0

// interest keeps the bits that are valid in an interest set.
func (e Events) interest() Events { return e & (Readable | Writable) }

// String returns the set as names joined by '|', for example "Readable|Hangup",
// or "None" for the empty set.
func (e Events) String() string {
	if e == 0 {
		return "None"
	}
	var names []string
	for _, n := range [...]struct {
		bit  Events
		name string
	}{{Readable, "Readable"}, {Writable, "Writable"}, {Error, "Error"}, {Hangup, "Hangup"}} {
		if e&n.bit != 0 {
			names = append(names, n.name)
		}
	}
	if rest := e &^ (Readable | Writable | Error | Hangup); rest != 0 {
		names = append(names, "0x"+hex(uint8(rest)))
	}
	return strings.Join(names, "|")
}

func hex(b uint8) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[b>>4], digits[b&15]})
}

// Event is one readiness report: the token given to Add or Modify for the
// descriptor, and the conditions observed. One descriptor may appear in more
// than one Event of the same batch (kqueue reports reading and writing
// separately); consumers must accept that.
type Event struct {
	Token  uint64
	Events Events
}

// Poller is a readiness notifier. See the package doc for the contract every
// implementation honours. Wake is safe from any goroutine; every other
// method belongs to the one goroutine that drives the poller.
type Poller interface {
	// Add registers fd with the interest set ev (Readable, Writable, both,
	// or None) and the token reported back in its events. It fails with
	// ErrRegistered if fd is registered already.
	Add(fd FD, ev Events, token uint64) error
	// Modify replaces fd's interest set and token. It fails with
	// ErrNotRegistered if fd is not registered.
	Modify(fd FD, ev Events, token uint64) error
	// Delete forgets fd. Call it before closing fd. It fails with
	// ErrNotRegistered if fd is not registered.
	Delete(fd FD) error
	// Wait blocks until at least one registered descriptor is ready, Wake
	// is called, or timeout passes (negative: no timeout; zero: do not
	// block). It fills events from the front and returns how many it
	// filled, never more than len(events); readiness that did not fit is
	// reported again by the next Wait.
	Wait(events []Event, timeout time.Duration) (int, error)
	// Wake makes a Wait that is blocked, or the next one, return promptly.
	// It is safe to call from any goroutine, and cheap to call often: wakes
	// coalesce.
	Wake() error
	// Close releases the poller's own resources. Registered descriptors
	// stay open. Close is idempotent.
	Close() error
	// Name names the mechanism: "epoll", "kqueue", "devpoll", "poll" or
	// "wsapoll".
	Name() string
}

var (
	// ErrClosed is returned by every method of a closed poller.
	ErrClosed = errors.New("poller: closed")
	// ErrRegistered is returned by Add for a descriptor already registered.
	ErrRegistered = errors.New("poller: descriptor already registered")
	// ErrNotRegistered is returned by Modify and Delete for a descriptor
	// that is not registered.
	ErrNotRegistered = errors.New("poller: descriptor not registered")
)

// New returns the best poller for this platform: epoll on Linux, kqueue on
// macOS and the BSDs, /dev/poll on Solaris and illumos, WSAPoll on Windows,
// and poll(2) on any other Unix or when built with the gale_poll tag.
func New() (Poller, error) { return newDefault() }

// timeoutMillis converts a Wait timeout to whole milliseconds for APIs with
// millisecond resolution, rounding up so that Wait never returns early and a
// tiny positive timeout does not become a busy poll. Negative means forever.
func timeoutMillis(d time.Duration) int {
	const maxMillis = 1<<31 - 1
	if d < 0 {
		return -1
	}
	if d > maxMillis*time.Millisecond {
		// Before the rounding, which would overflow for a d near
		// math.MaxInt64 into a negative count other than -1: forever
		// on Linux, but EINVAL from poll(2) on FreeBSD and macOS.
		return maxMillis
	}
	return int((d + time.Millisecond - 1) / time.Millisecond)
}

var errNoRoom = errors.New("poller: Wait needs room for at least one event")

// A Parker is a Poller whose readiness can itself be waited for with Go's
// runtime poller: ParkFD is a descriptor that becomes readable when a Wait
// would report something (a registered descriptor's readiness or a Wake).
// A loop uses it to wait on Go's scheduler instead of blocking its thread
// in Wait, so that the goroutine's processor (P) is free for other
// goroutines while the loop is idle. The epoll backend is one (the epoll
// instance is itself pollable).
type Parker interface {
	Poller
	// ParkFD returns the descriptor to wait on for readability. The
	// poller owns it; callers must not close it or change its flags.
	ParkFD() FD
}
