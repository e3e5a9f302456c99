package websocket

import (
	"errors"
	"io"
	"net"
	"time"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/wsproto"
)

// connState is where a connection stands in its closing handshake (RFC 6455
// section 7).
//
//	stOpen     both directions open                      → stClosing, stDraining, stClosed
//	stClosing  we sent the first Close; awaiting the peer's → stDraining, stClosed
//	stDraining both Close frames went (or the connection failed): waiting
//	           for TCP to end, at most CloseTimeout         → stClosed
//	stClosed   TCP closed, OnClose called                (terminal)
type connState uint8

const (
	stOpen connState = iota
	stClosing
	stDraining
	stClosed
)

var stateNames = [...]string{stOpen: "open", stClosing: "closing", stDraining: "draining", stClosed: "closed"}

func (s connState) String() string { return stateNames[s] }

type connFlags uint16

const (
	fOpened     connFlags = 1 << iota // OnOpen was called
	fCloseSent                        // a Close frame was queued
	fCloseRcvd                        // the peer's Close frame arrived
	fLocalFirst                       // this side closed first
	fStarved                          // the Reader saw all buffered input and needs more
	fWantDrain                        // a write was refused: OnDrain is owed
	fCompressed                       // the message being read is compressed
	fWatchDrain                       // a drain probe (empty Write) is pending
	fFragText                         // WriteFragment opened a text message
	fFragBinary                       // WriteFragment opened a binary message
	fFlushWait                        // a draining server waits for its last bytes to reach the kernel
	fPeerEOF                          // and read the peer's end of file meanwhile
)

// Conn is one WebSocket connection, server or client side: Tornado's
// WebSocketHandler (its output side) and WebSocketClientConnection.
//
// Concurrency: a Conn belongs to its loop. Every method must be called on
// the loop's goroutine (from a Handler method, a timer or a callback of that
// loop); from another goroutine, use c.Loop().Post. Its Handler's methods
// run there too.
//
// Memory: an idle connection holds no read or write buffer and no
// compressor: buffers come from pools for the time of one message, and a
// compressor or decompressor is made at its first use (or taken from a pool
// per message, for a direction without context takeover).
type Conn struct {
	s    *stream.Stream
	h    Handler
	cfg  *Config
	comp *compression // nil without permessage-deflate
	x    *connExtra   // nil until needed: a subprotocol, or closing
	// resp is a client's 101 fields while OnOpen and Dial's callback run
	// (ResponseHeader), nil after: kept, they would cost every idle client
	// a few hundred bytes. (The pointer fits Conn's size class.)
	resp *httpproto.Headers

	role  wsproto.Role
	state connState
	flags connFlags
	op    wsproto.Opcode // the opcode of the message being read
	// timerKind is what the timer below is for.
	timerKind timerKind

	// The message being read: its payload so far as a view of the
	// stream's buffer (msgView) or gathered in msgBuf.
	msgView []byte
	msgBuf  *[]byte

	// One timer serves keepalive (pings, pong checks) and, once closing,
	// the close timeout.
	timer  loop.Timer
	pingAt time.Duration // when the last keepalive ping went, on clock()
	pongAt time.Duration // when the last pong came

	onDataFn func([]byte, error)
	timerFn  func()

	r wsproto.Reader // last: its small fields pack with nothing else
}

// connExtra holds what most connections never set, or set only once
// closing, so that an idle connection does not carry it.
type connExtra struct {
	subprotocol string
	peerCode    wsproto.CloseCode
	peerReason  string
	err         error                 // the cause OnClose reports
	textOut     wsproto.UTF8Validator // a text message being sent in fragments
	// heldQueue: the bytes queued at the last pong check that found
	// reading paused by our own backlog (see onTimer); 0 when none did.
	heldQueue int
}

// ext returns c.x, allocating it on first use.
func (c *Conn) ext() *connExtra {
	if c.x == nil {
		c.x = new(connExtra)
	}
	return c.x
}

// cause is the error OnClose will report, if one is set already.
func (c *Conn) cause() error {
	if c.x == nil {
		return nil
	}
	return c.x.err
}

// newConn binds a connection to st (the handshake is done). The caller
// starts it with open.
func newConn(st *stream.Stream, role wsproto.Role, h Handler, cfg *Config, comp *compression, subprotocol string) *Conn {
	if cfg == nil {
		cfg = &defaultConfig
	}
	c := &Conn{s: st, h: h, cfg: cfg, role: role, comp: comp}
	if subprotocol != "" {
		c.ext().subprotocol = subprotocol
	}
	c.r.Init(role, &wsproto.ReaderOptions{
		MaxMessageSize: cfg.maxMessage(),
		MaxFrameSize:   cfg.MaxFrameSize,
		Deflate:        comp != nil,
	})
	c.onDataFn = c.onData
	st.SetCloseCallback(c.onStreamClose)
	if role == wsproto.Server {
		st.SetShutdownHandler(c.goingAway)
	}
	return c
}

// goingAway ends a server's connection when the server shuts down
// gracefully (httpserver.Server.Shutdown): a Close frame with 1001, then
// the closing handshake as Close runs it, which Shutdown waits for.
func (c *Conn) goingAway() { c.Close(wsproto.CloseGoingAway, "server shutting down") }

var defaultConfig Config

// open calls OnOpen, then starts keepalive and reading (Tornado starts
// reading frames once open has returned).
func (c *Conn) open() {
	if c.state == stClosed {
		return
	}
	c.flags |= fOpened
	c.callOpen()
	if c.state == stClosed || c.s.Closed() {
		return
	}
	if c.state == stOpen {
		c.startKeepalive()
	}
	c.read()
}

// callOpen calls OnOpen. A panic there would leave the connection open and
// never read: the stream is closed (OnClose follows), as a stream closes
// when one of its own callbacks panics and as Tornado aborts when open
// raises, and the panic goes on to the loop, which logs it.
func (c *Conn) callOpen() {
	defer func() {
		if r := recover(); r != nil {
			c.s.CloseWithError(&stream.PanicError{Value: r})
			panic(r)
		}
	}()
	c.h.OnOpen(c)
}

// Loop returns the loop the connection belongs to: the way to reach it
// from another goroutine is c.Loop().Post.
func (c *Conn) Loop() *loop.Loop { return c.s.Loop() }

// RemoteAddr returns the peer's address, asked of the kernel each time
// (an idle connection keeps no copy): nil once the connection is closed or
// the peer reset it, in OnClose say. A server that needs the address
// later takes it from the upgrade request (Request.RemoteIP) when it makes
// the Handler.
func (c *Conn) RemoteAddr() net.Addr { return c.s.RemoteAddr() }

// LocalAddr returns the connection's own address, or nil once it is
// closed.
func (c *Conn) LocalAddr() net.Addr { return c.s.LocalAddr() }

// Subprotocol returns the subprotocol agreed in the handshake (Tornado's
// selected_subprotocol), or "" if none.
func (c *Conn) Subprotocol() string {
	if c.x == nil {
		return ""
	}
	return c.x.subprotocol
}

// ResponseHeader returns the fields of the server's 101 answer on a
// connection opened by Dial (Set-Cookie, a server's own fields: Tornado's
// WebSocketClientConnection.headers) while OnOpen and Dial's callback run,
// and nil after them (Clone what should be kept: an idle client does not
// pay for them) and on a server's connection, whose handler had the
// request. The caller must not change them.
func (c *Conn) ResponseHeader() *httpproto.Headers { return c.resp }

// Compression returns the permessage-deflate parameters agreed in the
// handshake, and false if the connection is not compressed.
func (c *Conn) Compression() (wsproto.DeflateParams, bool) {
	if c.comp == nil {
		return wsproto.DeflateParams{}, false
	}
	return c.comp.params, true
}

// Buffered returns how many bytes are queued for the peer and not yet taken
// by the kernel.
func (c *Conn) Buffered() int { return c.s.WriteBuffered() }

// Closed reports whether the connection can no longer send messages: this
// side sent its Close frame, or the connection has closed.
func (c *Conn) Closed() bool { return c.state != stOpen || c.s.Closed() }

// Stream returns the underlying stream, for socket options (SetNoDelay,
// SetKeepAlive) and TLS state. Reading from it or writing to it breaks the
// connection.
func (c *Conn) Stream() *stream.Stream { return c.s }

// Close starts the closing handshake (Tornado's close): it sends a Close
// frame with code and reason, then waits up to Config.CloseTimeout for the
// peer's Close frame (and, on a client, for the server to close TCP) before
// dropping the connection. OnClose follows in every case. A code of 0 sends
// a Close frame without a status (a reason then implies 1000, as in
// Tornado). The code must be one wsproto.ValidWireCloseCode accepts and the
// reason valid UTF-8 of at most wsproto.MaxCloseReasonLen bytes; otherwise
// Close returns a wsproto.ErrInvalidArgument error and changes nothing.
// After the first call it returns ErrClosed.
func (c *Conn) Close(code wsproto.CloseCode, reason string) error {
	if c.state != stOpen || c.s.Closed() {
		return ErrClosed
	}
	if code == 0 && reason != "" {
		code = wsproto.CloseNormal
	}
	if _, err := wsproto.AppendClosePayload(nil, code, reason); err != nil {
		return err
	}
	c.flags |= fLocalFirst
	c.sendClose(code, reason)
	c.state = stClosing
	c.startTimer(timerClose, c.cfg.closeTimeout())
	return nil
}

// Abort drops the TCP connection at once, without a closing handshake.
// OnClose follows, with 1006 unless the peer's Close frame had arrived, and
// ErrAborted as the cause unless the handshake had completed.
func (c *Conn) Abort() {
	if c.state == stClosed {
		return
	}
	if c.cause() == nil && c.flags&(fCloseSent|fCloseRcvd) != fCloseSent|fCloseRcvd {
		c.ext().err = ErrAborted
		if c.flags&fCloseRcvd == 0 {
			c.flags |= fLocalFirst
		}
	}
	c.s.Close()
}

// onPeerClose handles the peer's Close frame: echo its code if we have not
// closed yet, then wait for TCP to end.
func (c *Conn) onPeerClose(code wsproto.CloseCode, reason []byte) {
	c.flags |= fCloseRcvd
	x := c.ext()
	x.peerCode = code
	x.peerReason = string(reason)
	if c.state == stOpen {
		echo := code
		if echo == wsproto.CloseNoStatusReceived {
			echo = 0 // no status: answer with an empty Close frame
		}
		c.sendClose(echo, "")
	}
	c.drain()
}

// fail fails the connection (RFC 6455 section 7.1.7): send a Close frame
// with the error's code unless one went already, then wait for TCP to end.
func (c *Conn) fail(err error) {
	if c.cause() == nil {
		c.ext().err = err
	}
	if c.state == stOpen {
		c.flags |= fLocalFirst
		code, reason := wsproto.CloseProtocolError, ""
		var we *wsproto.Error
		var pe *protoError
		switch {
		case errors.As(err, &we) && we.Code != 0:
			code, reason = we.Code, we.Reason
		case errors.As(err, &pe):
			code, reason = pe.code, pe.reason
		}
		c.sendClose(code, reason)
	}
	c.drain()
}

// sendClose queues a Close frame; no frame may follow it.
func (c *Conn) sendClose(code wsproto.CloseCode, reason string) {
	c.flags |= fCloseSent
	p := c.getBuf()
	frame, err := wsproto.AppendClose((*p)[:0], c.role == wsproto.Client, c.maskKey(), code, reason)
	if err == nil {
		// A failure closes the stream, which ends everything; but a frame
		// refused by the stream's cap (stream.Options.MaxWriteBufferSize)
		// leaves it open, and no Close frame will ever go: close it now
		// rather than wait out the close timeout.
		if err := c.s.Write(frame, nil); errors.Is(err, stream.ErrBufferFull) {
			if c.cause() == nil {
				c.ext().err = err
			}
			c.s.CloseWithError(err)
		}
	}
	*p = frame
	c.putBuf(p)
	c.releaseWriter()
}

// drain: both Close frames went, or the connection failed. After a close
// handshake the server closes TCP as soon as its last bytes are out (RFC
// 6455 section 7.1.1: the server closes first, at once). A server failing
// the connection half-closes instead and reads until the client's end of
// file, so that input still in flight does not make the kernel reset the
// connection and destroy the Close frame. A client waits for the server to
// close. Either drops the connection after CloseTimeout.
func (c *Conn) drain() {
	if c.state >= stDraining {
		return
	}
	c.state = stDraining
	c.releaseReader()
	if c.role == wsproto.Server {
		c.flags |= fFlushWait
		if c.flags&fCloseRcvd != 0 {
			c.s.Write(nil, c.closeFlushed)
		} else {
			c.s.Write(nil, c.failFlushed)
			c.s.CloseWrite()
		}
	}
	// After our Close, the wait started then goes on: CloseTimeout bounds
	// the whole closing (Tornado's 5 s), not each of its steps.
	if c.timerKind != timerClose {
		c.startTimer(timerClose, c.cfg.closeTimeout())
	}
}

// closeFlushed closes the stream once the server's last bytes reached the
// kernel, which sends them before its FIN.
func (c *Conn) closeFlushed(error) { c.s.Close() }

// failFlushed: the last bytes of a server failing the connection reached
// the kernel; if the peer's end of file came meanwhile, nothing is left to
// wait for.
func (c *Conn) failFlushed(error) {
	c.flags &^= fFlushWait
	if c.flags&fPeerEOF != 0 {
		c.s.Close()
	}
}

// readEnded: the peer closed its side, or the stream failed.
func (c *Conn) readEnded(rerr error) {
	if c.flags&fFlushWait != 0 && transportCause(rerr) == io.EOF {
		// The peer half-closed after its Close frame (or its fault), while
		// our last bytes, the Close frame among them, still wait to be
		// sent: closing now would drop them. closeFlushed or failFlushed
		// closes once they are out; the close timer bounds the wait.
		c.flags |= fPeerEOF
		return
	}
	if c.cause() == nil && c.flags&(fCloseSent|fCloseRcvd) != fCloseSent|fCloseRcvd {
		c.ext().err = transportCause(rerr)
	}
	c.s.Close()
}

// transportCause unwraps a stream's *ClosedError to what closed it.
func transportCause(err error) error {
	var ce *stream.ClosedError
	if errors.As(err, &ce) {
		if ce.Cause != nil {
			return ce.Cause
		}
		return io.EOF
	}
	return err
}

// onStreamClose runs once the stream has closed: the end of the connection.
func (c *Conn) onStreamClose(err error) {
	if c.state == stClosed {
		return
	}
	c.state = stClosed
	c.timer.Cancel()
	c.timerKind = timerNone
	c.releaseReader()
	c.releaseWriter()
	e := &CloseError{Code: wsproto.CloseAbnormal, Local: c.flags&fLocalFirst != 0}
	if c.flags&fCloseRcvd != 0 {
		e.Code, e.Reason = c.x.peerCode, c.x.peerReason
	}
	e.Err = c.cause()
	if e.Err == nil && c.flags&(fCloseSent|fCloseRcvd) != fCloseSent|fCloseRcvd {
		if err == nil {
			err = io.EOF
		}
		e.Err = err
	}
	if c.flags&fOpened == 0 {
		return // closed before OnOpen: the Handler never heard of it
	}
	c.h.OnClose(c, e)
}

// protoError is a protocol violation found by this package rather than by
// the wsproto Reader (text that is not UTF-8 once decompressed). It matches
// its wsproto kind with errors.Is.
type protoError struct {
	code   wsproto.CloseCode
	reason string
	kind   error
}

func (e *protoError) Error() string        { return "websocket: " + e.reason }
func (e *protoError) Is(target error) bool { return target == e.kind }

var errCompressedUTF8 = &protoError{code: wsproto.CloseInvalidPayload, reason: "decompressed text is not valid UTF-8", kind: wsproto.ErrInvalidData}
