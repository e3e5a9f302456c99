package websocket

import "github.com/gale-io/gale/wsproto"

// read asks the stream for input. When the Reader has seen everything
// buffered and needs more (a partial frame header or control frame), it
// asks for one byte beyond it, so that it is called again only when
// something new arrived.
func (c *Conn) read() {
	if c.state == stClosed || c.s.Closed() || c.s.Reading() {
		return
	}
	want := 1
	if c.flags&fStarved != 0 {
		want = len(c.s.Buffered()) + 1
	}
	if err := c.s.Peek(want, c.onDataFn); err != nil {
		c.readEnded(err)
	}
}

// onData parses the frames in the stream's buffer in place, delivers what
// they complete, consumes what was parsed and asks for more.
func (c *Conn) onData(buf []byte, rerr error) {
	used := 0
	c.flags &^= fStarved
	for c.state < stDraining && !c.s.Closed() {
		ev, n, err := c.r.Next(buf[used:])
		used += n
		if err != nil {
			c.fail(err)
			break
		}
		if ev.Kind == wsproto.NeedMore {
			if n == 0 {
				c.flags |= fStarved
				break
			}
			continue
		}
		c.event(&ev)
	}
	if c.state >= stDraining {
		// After the Close frames (or a failure) the input is ignored
		// until the peer's end of file.
		used = len(buf)
		c.flags &^= fStarved
	}
	if c.msgView != nil {
		// A message in progress must not keep a view of the stream's
		// buffer past this turn: copy it.
		c.gather(nil)
	}
	if c.s.Closed() {
		return
	}
	c.s.Consume(used)
	if rerr != nil {
		c.readEnded(rerr)
		return
	}
	c.read()
}

// event handles one Reader event.
func (c *Conn) event(ev *wsproto.Event) {
	switch ev.Kind {
	case wsproto.MessageStart:
		c.op = ev.Opcode
		c.flags &^= fCompressed
		if ev.Compressed && c.flags&fCloseSent == 0 {
			c.flags |= fCompressed
			c.comp.acquireInflater(c.role)
		}
	case wsproto.Data:
		if c.flags&fCloseSent != 0 {
			return // after our Close frame: read, not delivered
		}
		if c.flags&fCompressed != 0 {
			c.comp.infl.Inflate(nil, ev.Payload, false) // keeps a copy; cannot fail
			return
		}
		if c.msgBuf == nil && c.msgView == nil {
			c.msgView = ev.Payload // zero copy while the message is one piece
			return
		}
		c.gather(ev.Payload)
	case wsproto.MessageEnd:
		if c.flags&fCloseSent != 0 {
			// This side closed first: the peer's messages sent before
			// it saw our Close frame are read (to reach its Close
			// frame) but ignored, including one begun before.
			c.flags &^= fCompressed
			c.releaseReader()
			return
		}
		c.deliver()
	case wsproto.Ping:
		if c.state == stOpen {
			p := c.getBuf()
			frame, err := wsproto.AppendPong((*p)[:0], c.role == wsproto.Client, c.maskKey(), ev.Payload)
			if err == nil {
				c.s.Write(frame, nil)
			}
			*p = frame
			c.putBuf(p)
		}
		if ph, ok := c.h.(PingHandler); ok {
			ph.OnPing(c, ev.Payload)
		}
	case wsproto.Pong:
		c.pongAt = c.clock()
		if ph, ok := c.h.(PongHandler); ok {
			ph.OnPong(c, ev.Payload)
		}
	case wsproto.Close:
		c.onPeerClose(ev.Code, ev.Payload)
	}
}

// gather adds p to the message buffer, moving a pending view there first.
func (c *Conn) gather(p []byte) {
	if c.msgBuf == nil {
		c.msgBuf = c.getBuf()
	}
	b := *c.msgBuf
	if c.msgView != nil {
		b = append(b, c.msgView...)
		c.msgView = nil
	}
	*c.msgBuf = append(b, p...)
}

// deliver hands a complete message to the Handler and releases its
// buffers.
func (c *Conn) deliver() {
	if c.flags&fCompressed != 0 {
		c.deliverCompressed()
		return
	}
	data := c.msgView
	if c.msgBuf != nil {
		data = *c.msgBuf
	}
	if data == nil {
		data = empty[:]
	}
	c.msgView = nil
	c.h.OnMessage(c, c.op, data)
	if c.msgBuf != nil {
		c.putBuf(c.msgBuf)
		c.msgBuf = nil
	}
}

var empty [0]byte

func (c *Conn) deliverCompressed() {
	c.flags &^= fCompressed
	out := c.getBuf()
	res, err := c.comp.infl.Inflate((*out)[:0], nil, true)
	c.comp.releaseInflater(err != nil)
	*out = res
	if err == nil && c.op == wsproto.OpText {
		var v wsproto.UTF8Validator
		if !v.Write(res) || !v.Done() {
			err = errCompressedUTF8
		}
	}
	if err != nil {
		c.putBuf(out)
		c.fail(err)
		return
	}
	c.h.OnMessage(c, c.op, res)
	c.putBuf(out)
}

// releaseReader gives back what reading holds: a message in progress is
// abandoned.
func (c *Conn) releaseReader() {
	c.msgView = nil
	if c.msgBuf != nil {
		c.putBuf(c.msgBuf)
		c.msgBuf = nil
	}
	if c.comp != nil {
		c.comp.dropInflater()
	}
}
