package tcpclient

import (
	"net/netip"
	"testing"

	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/stream"
)

// A connect callback for an attempt no longer in flight (a success that
// was already posted when another attempt won, or the deadline passed)
// closes its stream and changes nothing else.
func TestLateSuccessClosed(t *testing.T) {
	l := testloop.New(t, nil)
	ap := netip.MustParseAddrPort("127.0.0.1:9")
	fd, err := openSocket(ap.Addr(), netip.Addr{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	s, err := stream.New(l, fd, nil)
	if err != nil {
		closeSocket(fd)
		t.Fatal(err)
	}
	called := false
	d := &dial{l: l, cb: func(*stream.Stream, error) { called = true }}
	d.finish(nil, errLate) // the connect is over
	called = false
	d.attemptDone(s, ap, nil)
	if !s.Closed() {
		s.Close()
		t.Fatal("a late success was not closed")
	}
	if called {
		t.Fatal("cb called again")
	}
}

var errLate = &Error{Op: "connect", Err: nil}
