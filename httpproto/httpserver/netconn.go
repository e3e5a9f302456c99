package httpserver

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream"
)

// netConn is a hijacked connection as a net.Conn for code on other
// goroutines: every Read and Write is posted to the stream's loop and waits
// for its answer. Deadlines are honoured: a Read that times out withdraws
// its request, and bytes that arrive later stay buffered for the next Read.
type netConn struct {
	s     *stream.Stream
	l     *loop.Loop
	laddr net.Addr
	raddr net.Addr

	rdl, wdl atomic.Int64 // deadlines, Unix nanoseconds; 0 = none
	// rdlCh and wdlCh, made by the I/O that waits, are closed when its
	// deadline changes, so that it applies to pending I/O too.
	dlMu         sync.Mutex
	rdlCh, wdlCh chan struct{}

	// Loop side.
	cur     *readReq // the Read waiting for bytes
	peeking bool     // a Peek is pending for cur

	closeOnce sync.Once
	closed    chan struct{} // closed when the stream closes
	// shut: Close was called. A Read then fails with net.ErrClosed, as
	// net.Conn's does, not io.EOF: reader loops tell their own close from
	// the client's end of input that way.
	shut atomic.Bool
}

// readReq is one Read: the loop fills p and answers on done, unless the
// reader gave up first (state: 0 waiting, 1 taken by the loop, 2 given up).
type readReq struct {
	p     []byte
	state atomic.Int32
	done  chan readRes
}

type readRes struct {
	n   int
	err error
}

func newNetConn(s *stream.Stream) *netConn {
	nc := &netConn{s: s, l: s.Loop(), laddr: s.LocalAddr(), raddr: s.RemoteAddr(), closed: make(chan struct{})}
	s.SetCloseCallback(func(error) { nc.markClosed() })
	return nc
}

func (nc *netConn) markClosed() {
	nc.closeOnce.Do(func() { close(nc.closed) })
}

// Read implements net.Conn.
func (nc *netConn) Read(p []byte) (int, error) {
	if nc.shut.Load() {
		return 0, net.ErrClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	if past(nc.rdl.Load()) {
		// As net.Conn: the deadline passed, whatever is buffered.
		return 0, os.ErrDeadlineExceeded
	}
	req := &readReq{p: p, done: make(chan readRes, 1)}
	if err := nc.l.Post(func() { nc.startRead(req) }); err != nil {
		return 0, net.ErrClosed
	}
	for {
		changed := nc.deadlineChange(&nc.rdlCh)
		timeout, stop := deadlineTimer(nc.rdl.Load())
		select {
		case res := <-req.done:
			stop()
			return res.n, nc.readErr(res.err)
		case <-nc.closed:
			stop()
			// The stream closed (possibly with its loop stopping, so
			// that nothing posted runs any more).
			if req.state.CompareAndSwap(0, 2) {
				return 0, nc.readErr(io.EOF)
			}
			res := <-req.done
			return res.n, nc.readErr(res.err)
		case <-timeout:
			if req.state.CompareAndSwap(0, 2) {
				return 0, os.ErrDeadlineExceeded
			}
			res := <-req.done // the loop is filling p right now
			return res.n, res.err
		case <-changed:
			// A deadline set while the Read waits applies to it too
			// (net.Conn), the usual way to stop a blocked reader.
			stop()
		}
	}
}

// readErr is err as a Read reports it: net.ErrClosed once Close was
// called.
func (nc *netConn) readErr(err error) error {
	if err != nil && nc.shut.Load() {
		return net.ErrClosed
	}
	return err
}

// past reports whether the deadline d (Unix nanoseconds; 0: none) has
// passed.
func past(d int64) bool { return d != 0 && time.Now().UnixNano() >= d }

// deadlineTimer returns a channel that fires at the deadline d (Unix
// nanoseconds; 0: never) and a function that stops it.
func deadlineTimer(d int64) (<-chan time.Time, func()) {
	if d == 0 {
		return nil, func() {}
	}
	t := time.NewTimer(max(0, time.Until(time.Unix(0, d))))
	return t.C, func() { t.Stop() }
}

// deadlineChange returns a channel closed when the deadline *ch watches
// changes (SetReadDeadline, SetWriteDeadline).
func (nc *netConn) deadlineChange(ch *chan struct{}) <-chan struct{} {
	nc.dlMu.Lock()
	defer nc.dlMu.Unlock()
	if *ch == nil {
		*ch = make(chan struct{})
	}
	return *ch
}

// deadlineChanged wakes the I/O waiting on the deadline *ch watches.
func (nc *netConn) deadlineChanged(ch *chan struct{}) {
	nc.dlMu.Lock()
	defer nc.dlMu.Unlock()
	if *ch != nil {
		close(*ch)
		*ch = nil
	}
}

// startRead runs on the loop.
func (nc *netConn) startRead(req *readReq) {
	if buf := nc.s.Buffered(); len(buf) > 0 {
		nc.serve(req, buf, nil)
		return
	}
	if nc.s.Closed() {
		nc.serve(req, nil, nc.s.Err())
		return
	}
	nc.cur = req
	if !nc.peeking {
		nc.peeking = true
		if err := nc.s.Peek(1, nc.onPeek); err != nil {
			nc.peeking = false
			nc.cur = nil
			nc.serve(req, nil, err)
		}
	}
}

func (nc *netConn) onPeek(buf []byte, err error) {
	nc.peeking = false
	req := nc.cur
	nc.cur = nil
	if req == nil {
		return // the reader gave up; the bytes stay buffered
	}
	nc.serve(req, buf, err)
}

// serve answers req from buf (consuming what it copies) or with err.
func (nc *netConn) serve(req *readReq, buf []byte, err error) {
	if !req.state.CompareAndSwap(0, 1) {
		return // the reader gave up: leave the bytes for the next Read
	}
	if len(buf) > 0 {
		n := copy(req.p, buf)
		nc.s.Consume(n)
		req.done <- readRes{n: n}
		return
	}
	if err == nil || errors.Is(err, stream.ErrClosed) {
		var ce *stream.ClosedError
		if errors.As(err, &ce) && ce.Cause != nil && !errors.Is(ce.Cause, io.EOF) {
			err = ce.Cause
		} else {
			err = io.EOF
		}
	}
	req.done <- readRes{err: err}
}

// Write implements net.Conn: the bytes are handed to the stream (which
// copies what the kernel does not take); Write returns once they reached
// the kernel, or at the write deadline.
func (nc *netConn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if past(nc.wdl.Load()) {
		return 0, os.ErrDeadlineExceeded // nothing is sent
	}
	done := make(chan error, 1)
	handed := make(chan struct{})
	var state atomic.Int32 // 0 posted, 1 taken by the loop, 2 abandoned
	if err := nc.l.Post(func() {
		if !state.CompareAndSwap(0, 1) {
			return // the writer gave up: p is not ours to touch
		}
		defer close(handed)
		if err := nc.s.Write(p, func(err error) { done <- err }); err != nil {
			done <- err
		}
	}); err != nil {
		return 0, net.ErrClosed
	}
	for {
		changed := nc.deadlineChange(&nc.wdlCh)
		timeout, stop := deadlineTimer(nc.wdl.Load())
		select {
		case err := <-done:
			stop()
			if err != nil {
				return 0, mapClosed(err)
			}
			return len(p), nil
		case <-nc.closed:
			stop()
			if !state.CompareAndSwap(0, 2) {
				<-handed // the loop took p; wait until it let go
			}
			return 0, net.ErrClosed
		case <-timeout:
			// p must not be touched after we return: withdraw the
			// Write if the loop has not taken it, else wait for the
			// hand-off (the stream copies what it keeps; those bytes
			// are queued).
			if state.CompareAndSwap(0, 2) {
				return 0, os.ErrDeadlineExceeded
			}
			<-handed
			return len(p), os.ErrDeadlineExceeded
		case <-changed:
			stop() // a new deadline applies to this Write too
		}
	}
}

func mapClosed(err error) error {
	if errors.Is(err, stream.ErrClosed) {
		return net.ErrClosed
	}
	return err
}

// Close implements net.Conn.
func (nc *netConn) Close() error {
	nc.shut.Store(true)
	done := make(chan struct{})
	if err := nc.l.Post(func() {
		nc.s.Close()
		close(done)
	}); err != nil {
		return nil
	}
	select {
	case <-done:
	case <-nc.closed: // closed already, perhaps with its loop stopped
	case <-nc.l.Done(): // the server closed its loops, dropping the callback
	}
	return nil
}

// CloseWrite shuts down the writing side, as *net.TCPConn's (the conn
// net/http hijacks) does, which tunnels look for to pass a peer's end of
// input on: once what was written is sent the client reads end of file,
// while reads here go on. Later writes fail.
func (nc *netConn) CloseWrite() error {
	done := make(chan error, 1)
	if err := nc.l.Post(func() { done <- nc.s.CloseWrite() }); err != nil {
		return net.ErrClosed
	}
	select {
	case err := <-done:
		return mapClosed(err)
	case <-nc.closed:
	case <-nc.l.Done(): // the server closed its loops, dropping the callback
	}
	select {
	case err := <-done: // it ran just before
		return mapClosed(err)
	default:
		return net.ErrClosed
	}
}

// Stream returns the stream under the connection, for a loop-side protocol
// taking over a hijacked connection (wsproto/websocket's UpgradeHTTP): use
// it on its loop only (Post there), and set its close callback anew. After
// it the net.Conn must not be used: its reads and writes would interleave
// with the new owner's.
func (nc *netConn) Stream() *stream.Stream { return nc.s }

// LocalAddr implements net.Conn.
func (nc *netConn) LocalAddr() net.Addr { return nc.laddr }

// RemoteAddr implements net.Conn.
func (nc *netConn) RemoteAddr() net.Addr { return nc.raddr }

// SetDeadline implements net.Conn.
func (nc *netConn) SetDeadline(t time.Time) error {
	nc.SetReadDeadline(t)
	return nc.SetWriteDeadline(t)
}

// SetReadDeadline implements net.Conn.
func (nc *netConn) SetReadDeadline(t time.Time) error {
	nc.rdl.Store(unixNano(t))
	nc.deadlineChanged(&nc.rdlCh)
	return nil
}

// SetWriteDeadline implements net.Conn.
func (nc *netConn) SetWriteDeadline(t time.Time) error {
	nc.wdl.Store(unixNano(t))
	nc.deadlineChanged(&nc.wdlCh)
	return nil
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}
