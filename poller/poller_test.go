//go:build unix

package poller_test

import (
	"errors"
	"math/bits"
	"syscall"
	"testing"

	"github.com/gale-io/gale/poller"
	"github.com/gale-io/gale/poller/pollertest"
)

func TestPoll(t *testing.T) { pollertest.Run(t, poller.NewPoll) }

func TestDefault(t *testing.T) { pollertest.Run(t, poller.New) }

// A number beyond a C int is no descriptor: Add refuses it with EBADF,
// before the kernel, which would truncate it to a descriptor that may be
// open (here: an open socket's number plus 1<<32), and before the table,
// which would grow to the number.
func TestAddBeyondCInt(t *testing.T) {
	if bits.UintSize < 64 {
		t.Skip("an int holds no number beyond a C int")
	}
	for _, newPoller := range []func() (poller.Poller, error){poller.New, poller.NewPoll} {
		p, err := newPoller()
		if err != nil {
			t.Fatal(err)
		}
		a, _ := pollertest.SocketPair(t)
		big := a + 1<<(bits.UintSize/2)
		if err := p.Add(big, poller.Readable, 1); !errors.Is(err, syscall.EBADF) {
			t.Errorf("%s: Add(%d): %v, want EBADF", p.Name(), big, err)
		}
		// Nothing was registered under a's number either.
		if err := p.Add(a, poller.Readable, 2); err != nil {
			t.Errorf("%s: Add(%d) after the refused Add(%d): %v", p.Name(), a, big, err)
		} else {
			p.Delete(a)
		}
		p.Close()
	}
}
