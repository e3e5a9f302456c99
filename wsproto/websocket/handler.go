package websocket

import "github.com/gale-io/gale/wsproto"

// Handler receives one connection's events, all on the connection's loop
// goroutine: Tornado's WebSocketHandler open, on_message and on_close.
// OnOpen comes first, once; OnMessage for every message until this side
// sends its Close frame (later ones are read but ignored); OnClose last,
// exactly once, however the connection ended. None of them is ever called
// from inside a Conn method.
type Handler interface {
	// OnOpen is called when the connection is established, before any
	// message is read.
	OnOpen(c *Conn)
	// OnMessage delivers one whole message: op is wsproto.OpText (data
	// is valid UTF-8) or wsproto.OpBinary. data is valid only during the
	// call: it may alias the connection's read buffer. Copy what must
	// outlive it.
	OnMessage(c *Conn, op wsproto.Opcode, data []byte)
	// OnClose is called exactly once when the connection has closed,
	// whoever closed it and however. c's methods return ErrClosed from
	// then on.
	OnClose(c *Conn, e *CloseError)
}

// PingHandler may be implemented by a Handler to see the peer's pings
// (Tornado's on_ping). The Pong is sent automatically, before OnPing.
// payload is valid only during the call.
type PingHandler interface {
	OnPing(c *Conn, payload []byte)
}

// PongHandler may be implemented by a Handler to see the peer's pongs
// (Tornado's on_pong). payload is valid only during the call.
type PongHandler interface {
	OnPong(c *Conn, payload []byte)
}

// DrainHandler may be implemented by a Handler to learn when a write
// refused with ErrBackpressure may be tried again: OnDrain is called once
// the bytes queued for the peer have fallen to half of
// Config.WriteBufferLimit.
type DrainHandler interface {
	OnDrain(c *Conn)
}

// BaseHandler is a Handler that does nothing, to embed in handlers that
// need only some of the methods.
type BaseHandler struct{}

// OnOpen does nothing.
func (BaseHandler) OnOpen(*Conn) {}

// OnMessage does nothing.
func (BaseHandler) OnMessage(*Conn, wsproto.Opcode, []byte) {}

// OnClose does nothing.
func (BaseHandler) OnClose(*Conn, *CloseError) {}

// HandlerFuncs adapts functions to a Handler; nil fields do nothing.
type HandlerFuncs struct {
	Open    func(c *Conn)
	Message func(c *Conn, op wsproto.Opcode, data []byte)
	Close   func(c *Conn, e *CloseError)
}

// OnOpen calls Open.
func (h *HandlerFuncs) OnOpen(c *Conn) {
	if h.Open != nil {
		h.Open(c)
	}
}

// OnMessage calls Message.
func (h *HandlerFuncs) OnMessage(c *Conn, op wsproto.Opcode, data []byte) {
	if h.Message != nil {
		h.Message(c, op, data)
	}
}

// OnClose calls Close.
func (h *HandlerFuncs) OnClose(c *Conn, e *CloseError) {
	if h.Close != nil {
		h.Close(c, e)
	}
}
