package websocket

import (
	"errors"
	"strconv"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/wsproto"
)

var (
	// ErrClosed is returned by the write methods once this side has sent
	// its Close frame (Close, a protocol error, a ping timeout) or the
	// connection has closed: RFC 6455 section 5.5.1 forbids data after a
	// Close frame. Tornado's WebSocketClosedError.
	ErrClosed = errors.New("websocket: connection closed")
	// ErrBackpressure is returned by a write that would take the bytes
	// queued for the peer (Conn.Buffered) past Config.WriteBufferLimit, or
	// past the stream's own cap (stream.Options.MaxWriteBufferSize). The
	// message is not queued. A DrainHandler's OnDrain is called once the
	// queue has fallen to half the limit.
	ErrBackpressure = errors.New("websocket: write buffer full")
	// ErrPingTimeout is CloseError.Err when the peer did not answer a
	// keepalive ping within Config.PingTimeout (the connection was closed
	// with 1000 "ping timed out", as Tornado does).
	ErrPingTimeout = errors.New("websocket: ping timed out")
	// ErrCloseTimeout is CloseError.Err when the peer did not answer this
	// side's Close frame within Config.CloseTimeout and the connection was
	// dropped.
	ErrCloseTimeout = errors.New("websocket: close handshake timed out")
	// ErrAborted is CloseError.Err when Conn.Abort dropped the connection
	// before a close handshake completed.
	ErrAborted = errors.New("websocket: connection aborted")
	// ErrBadHandshake matches (errors.Is) every *HandshakeError.
	ErrBadHandshake = errors.New("websocket: bad handshake")
	// ErrNotServer is returned by WritePrepared on a client connection: a
	// PreparedMessage holds unmasked server frames.
	ErrNotServer = errors.New("websocket: prepared messages need a server connection")
	// ErrBadOpcode is returned by WriteMessage for an opcode other than
	// wsproto.OpText and wsproto.OpBinary.
	ErrBadOpcode = errors.New("websocket: message opcode must be text or binary")
	// ErrFragmenting is returned by WriteMessage and WritePrepared while a
	// message sent with WriteFragment is unfinished, and by WriteFragment
	// for a fragment whose opcode does not continue it.
	ErrFragmenting = errors.New("websocket: a fragmented message is being sent")
	// ErrInvalidText is returned by WriteMessage, WriteFragment and
	// WritePrepared for a text message that is not valid UTF-8, which the
	// peer would fail the connection for (RFC 6455 section 8.1). Nothing
	// is sent, and the connection stays open.
	ErrInvalidText = errors.New("websocket: text message is not valid UTF-8")
	// ErrNotHijackable is the cause of UpgradeHTTP's error when the
	// http.ResponseWriter cannot be hijacked, or its connection is not
	// one served by httpserver.NetHTTP (only those have a gale stream).
	ErrNotHijackable = errors.New("websocket: connection not served by gale's httpserver.NetHTTP")
)

// CloseError tells how a connection ended; Handler.OnClose receives it.
type CloseError struct {
	// Code is the peer's close code, CloseNoStatusReceived (1005) if its
	// Close frame had no payload, CloseAbnormal (1006) if no Close frame
	// came from the peer.
	Code wsproto.CloseCode
	// Reason is the peer's close reason (possibly empty).
	Reason string
	// Local reports that this side sent the first Close frame (Close,
	// a protocol error, a ping timeout), or dropped the connection
	// (Abort) before the peer sent one.
	Local bool
	// Err is nil after a clean close handshake (both Close frames went
	// through). Otherwise it is the cause: the transport's error (io.EOF
	// when the peer closed TCP without a Close frame), a *wsproto.Error
	// (the peer broke the protocol; its Code was sent), ErrPingTimeout,
	// ErrCloseTimeout or ErrAborted.
	Err error
}

// Error returns "websocket: closed with <code> <reason>[: <cause>]".
func (e *CloseError) Error() string {
	s := "websocket: closed with " + strconv.Itoa(int(e.Code)) + " (" + e.Code.String() + ")"
	if e.Reason != "" {
		s += " " + strconv.Quote(e.Reason)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns Err.
func (e *CloseError) Unwrap() error { return e.Err }

// Clean reports whether the close handshake completed: both sides sent a
// Close frame and nothing went wrong.
func (e *CloseError) Clean() bool { return e.Err == nil }

// HandshakeError is a failed opening handshake. On the server side
// (Upgrade, UpgradeHTTP) Status is the error status that was answered
// (400, 403, 405, 426; 500 or 501 for a connection UpgradeHTTP cannot take
// over) and Reason says why. On the client side (Dial) Status is the
// server's answer when it was not 101 (Header holds its fields), or 0 when
// the 101 answer itself was unacceptable (Reason says why: a wrong
// Sec-WebSocket-Accept, a subprotocol or extension that was not offered).
// errors.Is(err, ErrBadHandshake) matches every HandshakeError.
type HandshakeError struct {
	Status int
	Reason string
	// Header holds the fields of a client's non-101 answer (a copy); nil
	// otherwise.
	Header *httpproto.Headers
	// Err is the underlying cause, if any (a *wsproto.Error for a
	// malformed extension header, an *httpproto.Error for a malformed
	// response).
	Err error
}

// Error returns "websocket: bad handshake: <status> <reason>".
func (e *HandshakeError) Error() string {
	s := "websocket: bad handshake"
	if e.Status != 0 {
		s += ": status " + strconv.Itoa(e.Status)
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is makes errors.Is(err, ErrBadHandshake) true.
func (e *HandshakeError) Is(target error) bool { return target == ErrBadHandshake }

// Unwrap returns Err.
func (e *HandshakeError) Unwrap() error { return e.Err }
