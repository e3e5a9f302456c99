// Package pollertest is the conformance suite every poller backend runs: one
// function, given a constructor, that checks the contract written in package
// poller's doc on real descriptors (socket pairs, loopback TCP).
package pollertest

import (
	"errors"
	"math"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gale-io/gale/poller"
)

// Run runs the whole suite against the backend that newPoller builds. Each
// subtest gets a fresh poller and closes it.
func Run(t *testing.T, newPoller func() (poller.Poller, error)) {
	tests := []struct {
		name string
		f    func(t *testing.T, p poller.Poller)
	}{
		{"Readable", testReadable},
		{"LevelTriggered", testLevelTriggered},
		{"Writable", testWritable},
		{"ReadOnlyNeverWritable", testReadOnlyNeverWritable},
		{"BothInterests", testBothInterests},
		{"NoneInterest", testNoneInterest},
		{"Modify", testModify},
		{"Delete", testDelete},
		{"RegistrationErrors", testRegistrationErrors},
		{"Token64", testToken64},
		{"Hangup", testHangup},
		{"ConnectRefused", testConnectRefused},
		{"ManyDescriptors", testManyDescriptors},
		{"DescriptorReuse", testDescriptorReuse},
		{"AddClosed", testAddClosed},
		{"AddUnopenedNumber", testAddUnopenedNumber},
		{"Timeout", testTimeout},
		{"HugeTimeout", testHugeTimeout},
		{"WakeBeforeWait", testWakeBeforeWait},
		{"WakeFromGoroutine", testWakeFromGoroutine},
		{"WakesCoalesce", testWakesCoalesce},
		{"WakeRacesClose", testWakeRacesClose},
		{"Close", testClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := newPoller()
			if err != nil {
				t.Fatalf("new poller: %v", err)
			}
			t.Cleanup(func() { p.Close() })
			tc.f(t, p)
		})
	}
}

// waitTimeout bounds every wait for something that must happen.
const waitTimeout = 5 * time.Second

// waitFor waits until the events seen for token satisfy ok, merging the
// events of each batch per token (kqueue may split them), and returns the
// union seen in the batch that satisfied it.
func waitFor(t *testing.T, p poller.Poller, token uint64, ok func(poller.Events) bool) poller.Events {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	evs := make([]poller.Event, 64)
	for time.Now().Before(deadline) {
		n, err := p.Wait(evs, time.Until(deadline))
		if err != nil {
			t.Fatalf("Wait: %v", err)
		}
		var got poller.Events
		for _, e := range evs[:n] {
			if e.Token == token {
				got |= e.Events
			}
		}
		if got != 0 && ok(got) {
			return got
		}
	}
	t.Fatalf("token %d: the awaited readiness did not arrive within %v", token, waitTimeout)
	return 0
}

// poll returns the union of events per token from one non-blocking Wait.
func poll(t *testing.T, p poller.Poller) map[uint64]poller.Events {
	t.Helper()
	evs := make([]poller.Event, 256)
	n, err := p.Wait(evs, 0)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	got := map[uint64]poller.Events{}
	for _, e := range evs[:n] {
		got[e.Token] |= e.Events
	}
	return got
}

func has(want poller.Events) func(poller.Events) bool {
	return func(got poller.Events) bool { return got&want == want }
}

func mustAdd(t *testing.T, p poller.Poller, fd poller.FD, ev poller.Events, token uint64) {
	t.Helper()
	if err := p.Add(fd, ev, token); err != nil {
		t.Fatalf("Add(%v, %v): %v", fd, ev, err)
	}
	t.Cleanup(func() { p.Delete(fd) })
}

func mustWrite(t *testing.T, fd poller.FD, b []byte) {
	t.Helper()
	if n, err := writeFD(fd, b); err != nil || n != len(b) {
		t.Fatalf("write: n=%d err=%v", n, err)
	}
}

func drain(t *testing.T, fd poller.FD) int {
	t.Helper()
	total := 0
	buf := make([]byte, 4096)
	for {
		n, err := readFD(fd, buf)
		total += max(n, 0)
		if err != nil || n <= 0 {
			return total
		}
	}
}

func testReadable(t *testing.T, p poller.Poller) {
	a, b := socketPair(t)
	mustAdd(t, p, a, poller.Readable, 7)
	if got := poll(t, p); got[7] != 0 {
		t.Fatalf("readable before any data: %v", got[7])
	}
	mustWrite(t, b, []byte("x"))
	got := waitFor(t, p, 7, has(poller.Readable))
	if got&poller.Writable != 0 {
		t.Fatalf("Writable reported for a Readable-only registration: %v", got)
	}
	if n := drain(t, a); n != 1 {
		t.Fatalf("read %d bytes, want 1", n)
	}
	if got := poll(t, p); got[7] != 0 {
		t.Fatalf("still reported after draining: %v", got[7])
	}
}

func testLevelTriggered(t *testing.T, p poller.Poller) {
	a, b := socketPair(t)
	mustAdd(t, p, a, poller.Readable, 1)
	mustWrite(t, b, []byte("hello"))
	waitFor(t, p, 1, has(poller.Readable))
	// Not drained: every later Wait reports it again.
	for i := range 3 {
		if got := poll(t, p); got[1]&poller.Readable == 0 {
			t.Fatalf("Wait %d after an undrained event: not reported again (level-triggered)", i)
		}
	}
	// Partly drained: still reported.
	buf := make([]byte, 2)
	if n, err := readFD(a, buf); n != 2 || err != nil {
		t.Fatalf("read: %d, %v", n, err)
	}
	if got := poll(t, p); got[1]&poller.Readable == 0 {
		t.Fatalf("partly drained: not reported again")
	}
}

func testWritable(t *testing.T, p poller.Poller) {
	a, _ := socketPair(t)
	mustAdd(t, p, a, poller.Writable, 2)
	got := waitFor(t, p, 2, has(poller.Writable))
	if got&poller.Readable != 0 {
		t.Fatalf("Readable reported for a Writable-only registration with no data: %v", got)
	}
}

func testReadOnlyNeverWritable(t *testing.T, p poller.Poller) {
	a, b := socketPair(t)
	mustAdd(t, p, a, poller.Readable, 3)
	mustWrite(t, b, []byte("x"))
	for range 3 {
		got := waitFor(t, p, 3, has(poller.Readable))
		if got&poller.Writable != 0 {
			t.Fatalf("a Readable-only registration got %v", got)
		}
	}
}

func testBothInterests(t *testing.T, p poller.Poller) {
	a, b := socketPair(t)
	mustAdd(t, p, a, poller.Readable|poller.Writable, 4)
	waitFor(t, p, 4, has(poller.Writable))
	mustWrite(t, b, []byte("x"))
	waitFor(t, p, 4, has(poller.Readable|poller.Writable))
}

func testNoneInterest(t *testing.T, p poller.Poller) {
	a, b := socketPair(t)
	mustAdd(t, p, a, poller.None, 5)
	mustWrite(t, b, []byte("x"))
	// A Writable registration on b is the synchronisation point: once its
	// event arrives, a's data has been sitting there through a whole Wait.
	mustAdd(t, p, b, poller.Writable, 6)
	waitFor(t, p, 6, has(poller.Writable))
	for i := range 3 {
		if got := poll(t, p); got[5]&(poller.Readable|poller.Writable) != 0 {
			t.Fatalf("Wait %d: None interest reported %v", i, got[5])
		}
	}
	if err := p.Modify(a, poller.Readable, 5); err != nil {
		t.Fatal(err)
	}
	waitFor(t, p, 5, has(poller.Readable))
}

func testModify(t *testing.T, p poller.Poller) {
	a, b := socketPair(t)
	mustAdd(t, p, a, poller.Readable, 10)
	if err := p.Modify(a, poller.Writable, 11); err != nil {
		t.Fatal(err)
	}
	got := waitFor(t, p, 11, has(poller.Writable))
	if got&poller.Readable != 0 {
		t.Fatalf("after Modify to Writable: %v", got)
	}
	mustWrite(t, b, []byte("x"))
	// Same interest, new token: the token alone changes.
	if err := p.Modify(a, poller.Writable, 12); err != nil {
		t.Fatal(err)
	}
	waitFor(t, p, 12, has(poller.Writable))
	for tok, ev := range poll(t, p) {
		if tok == 10 || tok == 11 {
			t.Fatalf("old token %d still reported: %v", tok, ev)
		}
		if tok == 12 && ev&poller.Readable != 0 {
			t.Fatalf("Readable after Modify to Writable only: %v", ev)
		}
	}
	if err := p.Modify(a, poller.Readable, 13); err != nil {
		t.Fatal(err)
	}
	waitFor(t, p, 13, has(poller.Readable))
}

func testDelete(t *testing.T, p poller.Poller) {
	a, b := socketPair(t)
	if err := p.Add(a, poller.Readable|poller.Writable, 20); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, b, []byte("x"))
	waitFor(t, p, 20, has(poller.Readable))
	if err := p.Delete(a); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if got := poll(t, p); len(got) != 0 {
			t.Fatalf("Wait %d after Delete: %v", i, got)
		}
	}
	// It can be registered again.
	mustAdd(t, p, a, poller.Readable, 21)
	waitFor(t, p, 21, has(poller.Readable))
}

func testRegistrationErrors(t *testing.T, p poller.Poller) {
	a, b := socketPair(t)
	if err := p.Modify(a, poller.Readable, 1); !errors.Is(err, poller.ErrNotRegistered) {
		t.Fatalf("Modify of an unregistered fd: %v, want ErrNotRegistered", err)
	}
	if err := p.Delete(a); !errors.Is(err, poller.ErrNotRegistered) {
		t.Fatalf("Delete of an unregistered fd: %v, want ErrNotRegistered", err)
	}
	mustAdd(t, p, a, poller.Readable, 1)
	if err := p.Add(a, poller.Writable, 2); !errors.Is(err, poller.ErrRegistered) {
		t.Fatalf("second Add: %v, want ErrRegistered", err)
	}
	// The failed Add left the first registration intact: Readable only.
	mustWrite(t, b, []byte("x"))
	if got := waitFor(t, p, 1, has(poller.Readable)); got&poller.Writable != 0 {
		t.Fatalf("first registration changed by a failed Add: %v", got)
	}
}

func testToken64(t *testing.T, p poller.Poller) {
	a, b := socketPair(t)
	c, d := socketPair(t)
	const big = 0xFEDCBA9876543210
	mustAdd(t, p, a, poller.Readable, big)
	mustAdd(t, p, c, poller.Readable, 0)
	mustWrite(t, b, []byte("x"))
	mustWrite(t, d, []byte("x"))
	waitFor(t, p, big, has(poller.Readable))
	waitFor(t, p, 0, has(poller.Readable))
}

func testHangup(t *testing.T, p poller.Poller) {
	a, b := socketPair(t)
	mustAdd(t, p, a, poller.Readable, 30)
	mustWrite(t, b, []byte("bye"))
	closeFD(b)
	waitFor(t, p, 30, has(poller.Readable))
	// The data before the close is still there, then end of file.
	buf := make([]byte, 16)
	if n, err := readFD(a, buf); n != 3 || err != nil {
		t.Fatalf("read after peer close: n=%d err=%v, want the 3 bytes", n, err)
	}
	waitFor(t, p, 30, has(poller.Readable))
	if n, err := readFD(a, buf); n != 0 || err != nil {
		t.Fatalf("read at end: n=%d err=%v, want end of file", n, err)
	}
	// Still reported (level-triggered) until deleted.
	if got := poll(t, p); got[30]&poller.Readable == 0 {
		t.Fatalf("hung-up descriptor not reported again: %v", got[30])
	}
}

func testConnectRefused(t *testing.T, p poller.Poller) {
	fd := refusedConnect(t)
	mustAdd(t, p, fd, poller.Writable, 40)
	waitFor(t, p, 40, has(poller.Writable))
	if err := socketError(fd); err == nil {
		t.Fatalf("connect to a closed port: no socket error after Writable")
	}
}

func testManyDescriptors(t *testing.T, p poller.Poller) {
	const pairs = 300
	readers := make([]poller.FD, pairs)
	want := map[uint64]bool{}
	for i := range pairs {
		a, b := socketPair(t)
		readers[i] = a
		mustAdd(t, p, a, poller.Readable, uint64(1000+i))
		if i%3 == 0 {
			mustWrite(t, b, []byte{byte(i)})
			want[uint64(1000+i)] = true
		}
	}
	seen := map[uint64]bool{}
	evs := make([]poller.Event, 7) // smaller than the ready set on purpose
	deadline := time.Now().Add(waitTimeout)
	for len(seen) < len(want) && time.Now().Before(deadline) {
		n, err := p.Wait(evs, 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if n > len(evs) {
			t.Fatalf("Wait returned %d > len(events) %d", n, len(evs))
		}
		for _, e := range evs[:n] {
			if !want[e.Token] {
				t.Fatalf("token %d reported but nothing was written to it", e.Token)
			}
			seen[e.Token] = true
			drain(t, readers[e.Token-1000])
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("saw %d of %d ready descriptors", len(seen), len(want))
	}
	if got := poll(t, p); len(got) != 0 {
		t.Fatalf("events left after draining all: %v", got)
	}
}

func testDescriptorReuse(t *testing.T, p poller.Poller) {
	a, b := socketPair(t)
	if err := p.Add(a, poller.Readable, 50); err != nil {
		t.Fatal(err)
	}
	if err := p.Delete(a); err != nil {
		t.Fatal(err)
	}
	closeFD(a)
	closeFD(b)
	// The next descriptors usually reuse the numbers just freed.
	c, d := socketPair(t)
	mustAdd(t, p, c, poller.Readable, 51)
	mustWrite(t, d, []byte("x"))
	got := waitFor(t, p, 51, has(poller.Readable))
	if got&poller.Readable == 0 {
		t.Fatalf("reused descriptor: %v", got)
	}
	if old := poll(t, p)[50]; old != 0 {
		t.Fatalf("the deleted registration's token came back: %v", old)
	}
}

// A closed descriptor cannot be registered: Add fails on every backend (as
// epoll_ctl does) instead of registering a number that poll(2) would then
// report as an error (POLLNVAL) on every Wait.
func testAddClosed(t *testing.T, p poller.Poller) {
	a, b := socketPair(t)
	closeFD(a)
	if err := p.Add(a, poller.Readable, 52); err == nil {
		p.Delete(a)
		t.Fatalf("Add of a closed descriptor succeeded")
	}
	if err := p.Delete(a); !errors.Is(err, poller.ErrNotRegistered) {
		t.Fatalf("Delete after a failed Add: %v, want ErrNotRegistered", err)
	}
	// Once b's Writable arrives, a whole Wait has run: nothing of a.
	mustAdd(t, p, b, poller.Writable, 53)
	waitFor(t, p, 53, has(poller.Writable))
	if got := poll(t, p); got[52] != 0 {
		t.Fatalf("the refused descriptor was reported: %v", got[52])
	}
}

// Add of a number far above any open descriptor fails without growing the
// poller's descriptor table to that number (64 MiB for this one before the
// fix; a number near 1<<31 asked for tens of gigabytes).
func testAddUnopenedNumber(t *testing.T, p poller.Poller) {
	const fd = poller.FD(1 << 22)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := p.Add(fd, poller.Readable, 1)
	runtime.ReadMemStats(&after)
	if err == nil {
		p.Delete(fd)
		t.Fatalf("Add of descriptor number %v, which is not open, succeeded", fd)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Fatalf("a failed Add of descriptor number %v allocated %d bytes", fd, grew)
	}
}

func testTimeout(t *testing.T, p poller.Poller) {
	a, _ := socketPair(t)
	mustAdd(t, p, a, poller.Readable, 60)
	evs := make([]poller.Event, 4)
	for _, d := range []time.Duration{0, time.Nanosecond, 20 * time.Millisecond} {
		n, err := p.Wait(evs, d)
		if err != nil || n != 0 {
			t.Fatalf("Wait(%v) with nothing ready: n=%d err=%v", d, n, err)
		}
	}
	if _, err := p.Wait(nil, 0); err == nil {
		t.Fatalf("Wait with an empty events slice: no error")
	}
}

// The largest timeouts, math.MaxInt64 ("never") among them, are valid:
// Wait returns for readiness or a wakeup, without an error. (Rounded to
// milliseconds without care, the largest overflowed to a negative count
// other than -1, which poll(2) refuses with EINVAL on FreeBSD and macOS.)
func testHugeTimeout(t *testing.T, p poller.Poller) {
	a, b := socketPair(t)
	mustAdd(t, p, a, poller.Readable, 65)
	evs := make([]poller.Event, 4)
	for _, d := range []time.Duration{math.MaxInt64, math.MaxInt64 - 1, math.MaxInt64 / 2, (1<<31 - 1) * time.Millisecond} {
		if err := p.Wake(); err != nil {
			t.Fatal(err)
		}
		if n, err := p.Wait(evs, d); n != 0 || err != nil {
			t.Fatalf("Wait(%v) after a Wake: n=%d err=%v", d, n, err)
		}
	}
	mustWrite(t, b, []byte("x"))
	// The data is there before Wait starts; only a signal (EINTR) can
	// make a Wait return without it.
	for {
		n, err := p.Wait(evs, math.MaxInt64)
		if err != nil {
			t.Fatalf("Wait(math.MaxInt64) with a readable descriptor: %v", err)
		}
		if n > 0 {
			if evs[0].Token != 65 || evs[0].Events&poller.Readable == 0 {
				t.Fatalf("Wait(math.MaxInt64): %v, want token 65 Readable", evs[:n])
			}
			return
		}
	}
}

func testWakeBeforeWait(t *testing.T, p poller.Poller) {
	if err := p.Wake(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := p.Wait(make([]poller.Event, 4), -1)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitTimeout):
		// Unblock the waiter so the test can end.
		p.Wake()
		<-done
		t.Fatalf("a Wake before Wait did not make Wait return")
	}
}

func testWakeFromGoroutine(t *testing.T, p poller.Poller) {
	evs := make([]poller.Event, 4)
	for range 50 {
		started := make(chan struct{})
		go func() {
			<-started
			p.Wake()
		}()
		close(started)
		n, err := p.Wait(evs, waitTimeout)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("a wakeup was reported as %d events: %v", n, evs[:n])
		}
	}
}

func testWakesCoalesce(t *testing.T, p poller.Poller) {
	for range 1000 {
		if err := p.Wake(); err != nil {
			t.Fatal(err)
		}
	}
	evs := make([]poller.Event, 4)
	if n, err := p.Wait(evs, waitTimeout); n != 0 || err != nil {
		t.Fatalf("Wait after wakes: n=%d err=%v", n, err)
	}
	// The waker was drained: a later wake still works.
	done := make(chan struct{})
	go func() {
		p.Wait(evs, -1)
		close(done)
	}()
	p.Wake()
	select {
	case <-done:
	case <-time.After(waitTimeout):
		t.Fatalf("Wake after a coalesced burst did not wake Wait")
	}
}

func testWakeRacesClose(t *testing.T, p poller.Poller) {
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := p.Wake(); err != nil && !errors.Is(err, poller.ErrClosed) {
					t.Errorf("Wake: %v", err)
					return
				}
			}
		}()
	}
	p.Wait(make([]poller.Event, 4), 10*time.Millisecond)
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	close(stop)
	wg.Wait()
	if err := p.Wake(); !errors.Is(err, poller.ErrClosed) {
		t.Fatalf("Wake after Close: %v, want ErrClosed", err)
	}
}

func testClose(t *testing.T, p poller.Poller) {
	a, b := socketPair(t)
	if err := p.Add(a, poller.Readable, 1); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, poller.ErrClosed) {
			t.Fatalf("%s after Close: %v, want ErrClosed", what, err)
		}
	}
	check("Add", p.Add(b, poller.Readable, 2))
	check("Modify", p.Modify(a, poller.Writable, 1))
	check("Delete", p.Delete(a))
	_, err := p.Wait(make([]poller.Event, 1), 0)
	check("Wait", err)
	check("Wake", p.Wake())
	// The registered descriptor is still open and usable.
	mustWrite(t, b, []byte("ok"))
	mustWrite(t, a, []byte("ok"))
}
