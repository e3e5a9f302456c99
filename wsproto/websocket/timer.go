package websocket

import (
	"errors"
	"time"

	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/wsproto"
)

// timerKind is what the connection's one timer is for.
type timerKind uint8

const (
	timerNone  timerKind = iota
	timerPing            // the next keepalive ping is due
	timerPong            // check that a pong came since the last ping
	timerClose           // the closing handshake ran out of time
)

// epoch anchors clock, a monotonic reading that fits in a Duration.
var epoch = time.Now()

func (c *Conn) clock() time.Duration { return time.Since(epoch) }

// startTimer (re)arms the connection's timer. The callback is bound once,
// at the first use, so a connection without keepalive holds no timer and
// no closure.
func (c *Conn) startTimer(k timerKind, d time.Duration) {
	c.timer.Cancel()
	if c.timerFn == nil {
		c.timerFn = c.onTimer
	}
	c.timerKind = k
	c.timer = c.s.Loop().CallLater(d, c.timerFn)
}

// startKeepalive schedules the first ping, one interval after the opening
// (Tornado's periodic ping loop).
func (c *Conn) startKeepalive() {
	if iv := c.cfg.pingInterval(); iv > 0 {
		c.startTimer(timerPing, iv)
	}
}

// onTimer follows Tornado 6.5's keepalive: sleep interval; then repeatedly
// send an empty ping, sleep the timeout, and if no pong arrived since the
// ping, close with 1000 "ping timed out"; otherwise sleep until a whole
// interval after the ping. Once closing, the timer is the close timeout.
func (c *Conn) onTimer() {
	k := c.timerKind
	c.timerKind = timerNone
	switch k {
	case timerPing:
		if c.Closed() {
			return
		}
		c.pingAt = c.clock()
		if err := c.Ping(nil); err != nil && !errors.Is(err, stream.ErrBufferFull) {
			return // closed
		}
		// A ping the stream's write cap refused (a peer that does not
		// read) counts as sent and unanswered: the pong timeout closes a
		// dead peer all the same.
		if to := c.cfg.pingTimeout(); to > 0 {
			c.startTimer(timerPong, to)
		} else {
			c.startTimer(timerPing, c.cfg.pingInterval())
		}
	case timerPong:
		if c.Closed() {
			// (A stream closed this turn, OnClose not yet run: the peer's
			// end of file, say, which the cause already tells.)
			return
		}
		if c.pongAt < c.pingAt {
			if c.pongHeldBack() {
				c.startTimer(timerPong, c.cfg.pingTimeout())
				return
			}
			c.ext().err = ErrPingTimeout
			c.Close(wsproto.CloseNormal, "ping timed out")
			return
		}
		if c.x != nil {
			c.x.heldQueue = 0
		}
		c.startTimer(timerPing, max(0, c.pingAt+c.cfg.pingInterval()-c.clock()))
	case timerClose:
		if c.state == stClosed || c.s.Closed() {
			return // OnClose follows with what closed the stream
		}
		if c.cause() == nil && c.flags&fCloseRcvd == 0 {
			c.ext().err = ErrCloseTimeout
		}
		c.s.Close()
	}
}

// pongHeldBack tells, at a pong check that found no pong, whether the pong
// may only be unread: while more than the stream's write high-water mark
// is queued (a message larger than it, sent when nothing was queued) the
// stream reads nothing, so a live peer's pong waits in the socket. Tornado
// always reads; here the peer's progress on our backlog stands in for its
// pong: the check waits another timeout the first time it finds reading
// held, and then for as long as the queue shrank since the last check. A
// dead peer takes nothing, and is closed one timeout later than if reading
// had not been held.
func (c *Conn) pongHeldBack() bool {
	if !c.s.ReadPaused() {
		return false
	}
	q := c.s.WriteBuffered()
	x := c.ext()
	if x.heldQueue != 0 && q >= x.heldQueue {
		return false
	}
	x.heldQueue = q
	return true
}
