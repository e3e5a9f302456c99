package httpclient

import (
	"errors"
	"io"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream"
)

// pconn is one client connection: a stream, the response parser reading
// its buffer in place, and the encoder of requests. It serves one request
// at a time (no pipelining) and rests in the Client's pool in between.
type pconn struct {
	c   *Client
	key poolKey
	s   *stream.Stream
	p   httpproto.Parser
	enc httpproto.Encoder
	out []byte // request bytes being built

	f            *fetch // the request using it; nil when idle
	idle         bool   // in the pool
	older, newer *pconn // neighbours in the pool's list, while idle
	idleTimer    loop.Timer
	starved      bool // the parser has seen every buffered byte
	closed       bool

	// Method values bound once, so that a request costs no closure.
	onDataFn      func([]byte, error)
	idleExpiredFn func()
}

func newPconn(c *Client, key poolKey, s *stream.Stream) *pconn {
	pc := &pconn{c: c, key: key, s: s}
	pc.p.InitResponse(&c.cfg.limits)
	pc.onDataFn = pc.onData
	pc.idleExpiredFn = pc.idleExpired
	c.conns[pc] = struct{}{}
	s.SetCloseCallback(pc.onClose)
	return pc
}

// read asks the stream for input: anything buffered, or when the parser
// has seen all of it, one byte more.
func (pc *pconn) read() {
	if pc.closed || pc.s.Reading() {
		return
	}
	want := 1
	if pc.starved {
		want = len(pc.s.Buffered()) + 1
	}
	if err := pc.s.Peek(want, pc.onDataFn); err != nil && !pc.s.Closed() {
		// A read fails at once on a stream whose peer ended its side
		// while it stayed open (Options.Stream's AllowHalfOpen): closing
		// it lets the close callback fail the request, or retry it,
		// instead of leaving it to its timeout.
		pc.s.CloseWithError(err)
	}
}

// onData parses what the stream holds and hands the events to the request.
func (pc *pconn) onData(buf []byte, rerr error) {
	f := pc.f
	if f == nil {
		if pc.idle {
			// putIdle's read: bytes nobody asked for, or the end of the
			// stream, on an idle connection.
			var err error
			if len(buf) > 0 {
				err = errUnsolicited
			}
			pc.close(err)
		}
		return
	}
	hop := f.hop
	if len(buf) > 0 {
		f.gotByte = true
	}
	used := 0
	pc.starved = false
	stop := false
	for !stop && f.live(hop) && pc.f == f {
		ev, n, err := pc.p.Next(buf[used:])
		used += n
		if err != nil {
			f.fail(&Error{Op: "read", URL: f.urlString(), Err: err})
			return
		}
		if ev.Kind == httpproto.None {
			if n == 0 {
				pc.starved = true
				break
			}
			continue
		}
		stop = !f.event(pc, ev)
	}
	if !pc.s.Closed() {
		pc.s.Consume(used)
	}
	if !f.live(hop) || pc.f != f {
		return
	}
	switch {
	case f.msgDone:
		f.complete(pc)
		return
	case f.switched:
		f.tunnelOpen(pc)
		return
	}
	if rerr != nil {
		var ce *stream.ClosedError
		if errors.As(rerr, &ce) && errors.Is(ce.Cause, io.EOF) {
			ev, err := pc.p.EOF()
			if err == nil && ev.Kind == httpproto.MessageDone {
				f.event(pc, ev)
				f.complete(pc)
				return
			}
			if err == nil {
				err = &httpproto.Error{Code: httpproto.CodeIncomplete, Detail: "connection closed before the response"}
			}
			f.connFailed("read", err)
			return
		}
		f.connFailed("read", rerr)
		return
	}
	pc.read()
}

// onClose is the stream's close callback.
func (pc *pconn) onClose(err error) {
	pc.closed = true
	delete(pc.c.conns, pc)
	pc.c.dropIdle(pc)
	if f := pc.f; f != nil && !f.done {
		if err == nil {
			err = stream.ErrClosed
		}
		f.connFailed("read", err)
	}
}

// keepOut keeps the storage of out, bytes just handed to the stream
// (which copies them), for building the next ones, unless a large body
// grew it: an idle connection must not hold a body-sized buffer.
func (pc *pconn) keepOut(out []byte) {
	if cap(out) > maxKeptScratch {
		out = nil
	}
	pc.out = out
}

func (pc *pconn) idleExpired() {
	pc.idleTimer = loop.Timer{}
	pc.c.dropIdle(pc)
	pc.close(nil)
}

// close closes the connection; a request still on it is detached first.
func (pc *pconn) close(err error) {
	pc.f = nil
	if pc.closed {
		return
	}
	pc.closed = true
	delete(pc.c.conns, pc)
	pc.c.dropIdle(pc)
	if err != nil {
		pc.s.CloseWithError(err)
	} else {
		pc.s.Close()
	}
}
