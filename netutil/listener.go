package netutil

import (
	"net"
	"sync/atomic"

	"github.com/gale-io/gale/poller"
)

// DefaultBacklog is the listen backlog used when none is given, and the
// number of connections accepted per readiness event by default: 128, as
// Tornado's _DEFAULT_BACKLOG.
const DefaultBacklog = 128

// Listener is a listening socket made by BindSockets or BindUnixSocket. It
// owns its descriptor, which is non-blocking and close-on-exec, until Close.
//
// Concurrency: FD and Addr are safe from any goroutine. Close is safe from
// any goroutine, but a listener registered with a loop (AddAcceptHandler)
// must first be unregistered on the loop's goroutine (Acceptor.Stop): the
// poller must forget a descriptor before it is closed.
type Listener struct {
	fd     poller.FD
	addr   net.Addr
	closed atomic.Bool
}

func newListener(fd poller.FD, addr net.Addr) *Listener {
	return &Listener{fd: fd, addr: addr}
}

// FD returns the listening descriptor. It stays the listener's: do not
// close it; after Close its number may belong to something else.
func (ln *Listener) FD() poller.FD { return ln.fd }

// Addr returns the address the socket is bound to: a *net.TCPAddr with the
// port the kernel chose when port 0 was asked for, or a *net.UnixAddr
// (network "unix"; an abstract name starts with '@').
func (ln *Listener) Addr() net.Addr { return ln.addr }

// Close closes the socket. Later calls do nothing and return nil, so a
// descriptor number reused meanwhile is never closed by mistake. It does
// not remove a Unix socket's file (as in Tornado, a forked child closing its
// copy must not remove the parent's socket); BindUnixSocket replaces a stale
// one.
func (ln *Listener) Close() error {
	if !ln.closed.CompareAndSwap(false, true) {
		return nil
	}
	return closeSocket(ln.fd)
}

// isClosed reports whether Close has been called.
func (ln *Listener) isClosed() bool { return ln.closed.Load() }
