//go:build windows

package poller_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/gale-io/gale/poller"
	"github.com/gale-io/gale/poller/pollertest"
	"golang.org/x/sys/windows"
)

func TestWSAPoll(t *testing.T) { pollertest.Run(t, poller.NewWSAPoll) }

func TestDefault(t *testing.T) { pollertest.Run(t, poller.New) }

// WSAPoll watches sockets only, and a non-socket in its array makes the
// whole call fail, so Add must refuse one and leave the poller usable.
func TestWSAPollRejectsNonSockets(t *testing.T) {
	p, err := poller.NewWSAPoll()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Name() != "wsapoll" {
		t.Fatalf("Name() = %q, want wsapoll", p.Name())
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	f, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, h := range []struct {
		name string
		fd   poller.FD
	}{
		{"pipe", poller.FD(r.Fd())},
		{"file", poller.FD(f.Fd())},
		{"invalid handle", poller.FD(windows.InvalidHandle)},
	} {
		err := p.Add(h.fd, poller.Readable, 1)
		if !errors.Is(err, windows.WSAENOTSOCK) {
			t.Errorf("Add(%s): %v, want an error wrapping WSAENOTSOCK", h.name, err)
		}
		if err := p.Delete(h.fd); !errors.Is(err, poller.ErrNotRegistered) {
			t.Errorf("Delete(%s) after a failed Add: %v, want ErrNotRegistered", h.name, err)
		}
	}
	// The refused handles left nothing behind that would break Wait.
	a, b := pollertest.SocketPair(t)
	if err := p.Add(a, poller.Readable, 2); err != nil {
		t.Fatal(err)
	}
	defer p.Delete(a)
	if _, err := pollertest.Write(b, []byte("x")); err != nil {
		t.Fatal(err)
	}
	evs := make([]poller.Event, 4)
	n, err := p.Wait(evs, waitTimeout)
	if err != nil || n != 1 || evs[0].Token != 2 || evs[0].Events&poller.Readable == 0 {
		t.Fatalf("Wait after refused Adds: n=%d err=%v events=%v", n, err, evs[:max(n, 0)])
	}
}

// waitTimeout bounds a wait for something that must happen, as in the
// conformance suite.
const waitTimeout = 5 * time.Second

// Wait, Wake and Modify are the loop's hot path: they must not allocate,
// including the drain of the waker that a Wake makes every Wait do.
func TestWSAPollAllocs(t *testing.T) {
	p, err := poller.NewWSAPoll()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	a, b := pollertest.SocketPair(t)
	if err := p.Add(a, poller.Readable, 1); err != nil {
		t.Fatal(err)
	}
	defer p.Delete(a)
	if _, err := pollertest.Write(b, []byte("x")); err != nil {
		t.Fatal(err)
	}
	evs := make([]poller.Event, 4)
	if _, err := p.Wait(evs, waitTimeout); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"Wait", func() { p.Wait(evs, 0) }},
		{"Wake+Wait", func() { p.Wake(); p.Wait(evs, 0) }},
		{"Modify", func() { p.Modify(a, poller.Readable, 2) }},
	} {
		if n := testing.AllocsPerRun(100, c.f); n != 0 {
			t.Errorf("%s: %v allocations per run, want 0", c.name, n)
		}
	}
}
