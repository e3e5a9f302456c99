package websocket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"unicode/utf8"

	"github.com/gale-io/gale/internal/stock"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/wsproto"
)

// Buffers for one message (frames being built, fragments being gathered,
// decompressed output) come from a pool and go back after it, so an idle
// connection holds none.
const (
	bufChunk   = 32 << 10 // frames are built and masked this much at a time
	bufPoolMax = 1 << 20  // larger buffers are dropped rather than pooled
	directMin  = 64 << 10 // a server hands payloads this big to the stream as they are
)

var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 4<<10)
	return &b
}}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

// msgBufs is each loop's stock of message buffers (internal/stock), so that
// a connection's buffer for a frame or a message comes and goes without a
// trip through sync.Pool. Only buffers of at most maxStockedBuf bytes are
// stocked; the rest go to bufPool.
var msgBufs = stock.NewKey[*[]byte]()

const maxStockedBuf = 64 << 10

// getBuf returns an empty buffer from the loop's stock or the pool. It
// runs on the loop, as every Conn method does.
func (c *Conn) getBuf() *[]byte {
	if p, ok := stock.Of(c.s.Loop(), msgBufs).Pop(); ok {
		return p
	}
	return getBuf()
}

// putBuf gives a buffer from getBuf back.
func (c *Conn) putBuf(p *[]byte) {
	if cap(*p) <= maxStockedBuf {
		*p = (*p)[:0]
		if stock.Of(c.s.Loop(), msgBufs).Push(p) {
			return
		}
	}
	putBuf(p)
}

func putBuf(p *[]byte) {
	if cap(*p) > bufPoolMax {
		*p = nil
		return
	}
	*p = (*p)[:0]
	bufPool.Put(p)
}

// maskKey returns a fresh masking key for a client frame, or the zero key
// for a server (which does not mask). RFC 6455 section 5.3 asks for keys
// the server cannot predict; they come from math/rand/v2's global source,
// the runtime's ChaCha8 generator seeded from the operating system's
// entropy at start-up: unpredictable without the cost of crypto/rand per
// frame. Masking protects proxies from cache poisoning, not the payload.
func (c *Conn) maskKey() [4]byte {
	var k [4]byte
	if c.role == wsproto.Client {
		binary.LittleEndian.PutUint32(k[:], rand.Uint32())
	}
	return k
}

// WriteMessage sends data as one message with opcode op (wsproto.OpText or
// wsproto.OpBinary): Tornado's write_message. With permessage-deflate it is
// compressed when it reaches the configured threshold (128 bytes by
// default). data is not modified and may be reused as soon as WriteMessage
// returns (the stream copies what the kernel does not take at once). Text
// must be valid UTF-8: other text is refused with ErrInvalidText.
//
// It returns ErrClosed once this side has sent its Close frame or the
// connection has closed, and ErrBackpressure (the message is not sent) when
// Buffered plus the message would exceed Config.WriteBufferLimit, or when
// the stream's cap on queued bytes (stream.Options.MaxWriteBufferSize)
// leaves no room for its frame now; a DrainHandler then hears when to try
// again. A frame larger than that cap itself can never be sent: the error
// then wraps stream.ErrBufferFull (errors.Is), nothing is sent, and the
// connection stays open. A message to be compressed is checked against
// the cap's room at its worst-case compressed size, since the check comes
// before compressing (a message compressed but not sent would put the
// compressor out of step with the peer); one whose worst case exceeds the
// cap itself is compressed to see, and goes uncompressed if only that
// fits.
func (c *Conn) WriteMessage(op wsproto.Opcode, data []byte) error {
	if op != wsproto.OpText && op != wsproto.OpBinary {
		return ErrBadOpcode
	}
	if err := c.writable(len(data) + wsproto.MaxHeaderLen); err != nil {
		return err
	}
	if c.flags&(fFragText|fFragBinary) != 0 {
		return ErrFragmenting
	}
	if op == wsproto.OpText && !utf8.Valid(data) {
		return ErrInvalidText
	}
	if c.comp != nil && len(data) >= c.cfg.threshold() {
		return c.writeCompressed(op, data)
	}
	if err := c.fits(c.frameLen(len(data))); err != nil {
		return err
	}
	return c.writeFrame(op, true, false, data)
}

// writeCompressed sends data compressed, as one frame. A message compressed
// and then not sent would leave the compressor's history ahead of the
// peer's, so the stream's room is checked before compressing, against the
// worst case of compression (maxDeflated). Only a message whose worst case
// is larger than the stream's cap itself, which that check would refuse for
// good, is compressed to see how big it gets. If it does not fit then, the
// compressor is reset (it forgets the message, and the peer's history still
// holds everything a fresh compressor refers to, as for WritePrepared) and
// the message goes uncompressed if that can fit.
func (c *Conn) writeCompressed(op wsproto.Opcode, data []byte) error {
	n := c.frameLen(maxDeflated(len(data)))
	fit := c.roomFor(n)
	if fit == fitLater {
		return c.refuse(fit, n)
	}
	d := c.comp.deflater(c.role)
	out := c.getBuf()
	*out = d.Compress((*out)[:0], data)
	if fit == fitNever {
		n = c.frameLen(len(*out))
		if fit = c.roomFor(n); fit != fitNow {
			d.Reset()
			c.comp.releaseDeflater()
			c.putBuf(out)
			if fit == fitLater {
				return c.refuse(fit, n)
			}
			if err := c.fits(c.frameLen(len(data))); err != nil {
				return err
			}
			return c.writeFrame(op, true, false, data)
		}
	}
	c.comp.releaseDeflater()
	err := c.writeFrame(op, true, true, *out)
	c.putBuf(out)
	return err
}

// WriteFragment sends data as one fragment of a message whose whole is not
// at hand at once (RFC 6455 section 5.4), such as a large message produced
// piece by piece; the peer receives one message. The first fragment's op
// (wsproto.OpText or wsproto.OpBinary) opens the message; later fragments
// pass the same op, or wsproto.OpContinuation, and the one with fin set
// ends it (it may be empty). Until then WriteMessage and WritePrepared
// return ErrFragmenting, while Ping and Close may still be sent between
// fragments (control frames may interleave). Fragments are never
// compressed, even with permessage-deflate, which lets any message go
// uncompressed. Text must be valid UTF-8 across the fragments: a fragment
// that makes it invalid, or a final one that leaves a character unfinished,
// is refused with ErrInvalidText (nothing sent; the message stays open for
// a corrected fragment). Errors as WriteMessage: ErrBackpressure refuses
// this fragment only (send it again after OnDrain), as does an error
// wrapping stream.ErrBufferFull for a fragment larger than the stream's cap
// (send the data in smaller fragments); an opcode that neither opens nor
// continues the message is ErrBadOpcode, or ErrFragmenting for a new
// message while one is unfinished.
func (c *Conn) WriteFragment(op wsproto.Opcode, data []byte, fin bool) error {
	open := c.flags & (fFragText | fFragBinary)
	frameOp := op
	switch {
	case op != wsproto.OpText && op != wsproto.OpBinary && op != wsproto.OpContinuation:
		return ErrBadOpcode
	case open == 0 && op == wsproto.OpContinuation:
		return ErrBadOpcode // nothing to continue
	case open == fFragText && op == wsproto.OpBinary, open == fFragBinary && op == wsproto.OpText:
		return ErrFragmenting
	case open != 0:
		frameOp = wsproto.OpContinuation
	}
	if err := c.writable(len(data) + wsproto.MaxHeaderLen); err != nil {
		return err
	}
	text := open == fFragText || open == 0 && op == wsproto.OpText
	var v wsproto.UTF8Validator
	if text {
		if open != 0 {
			v = c.ext().textOut
		}
		if !v.Write(data) || fin && !v.Done() {
			return ErrInvalidText
		}
	}
	if err := c.fits(c.frameLen(len(data))); err != nil {
		return err
	}
	if err := c.writeFrame(frameOp, fin, false, data); err != nil {
		return err
	}
	if text && !fin {
		c.ext().textOut = v
	}
	switch {
	case fin:
		if c.x != nil {
			c.x.textOut = wsproto.UTF8Validator{}
		}
		c.flags &^= fFragText | fFragBinary
	case open == 0 && op == wsproto.OpText:
		c.flags |= fFragText
	case open == 0:
		c.flags |= fFragBinary
	}
	return nil
}

// WriteText sends a text message; see WriteMessage.
func (c *Conn) WriteText(data []byte) error { return c.WriteMessage(wsproto.OpText, data) }

// WriteBinary sends a binary message; see WriteMessage.
func (c *Conn) WriteBinary(data []byte) error { return c.WriteMessage(wsproto.OpBinary, data) }

// WritePrepared sends a message encoded once for many connections (a
// server's broadcast): the compressed frame if the connection agreed on
// permessage-deflate with a window the frame fits, else the plain one.
// Sending a compressed prepared frame resets this connection's compression
// context, which the frame did not go through. Errors as WriteMessage;
// on a client connection it returns ErrNotServer (the frames are not
// masked).
func (c *Conn) WritePrepared(m *wsproto.PreparedMessage) error {
	if c.role != wsproto.Server {
		return ErrNotServer
	}
	if m.Err() != nil {
		return ErrInvalidText
	}
	var p *wsproto.DeflateParams
	if c.comp != nil {
		p = &c.comp.params
	}
	frame, compressed := m.Frame(p)
	if err := c.writable(len(frame)); err != nil {
		return err
	}
	if c.flags&(fFragText|fFragBinary) != 0 {
		return ErrFragmenting
	}
	if err := c.fits(len(frame)); err != nil {
		return err
	}
	if err := c.send(frame); err != nil {
		return err // nothing sent: the compression context still holds
	}
	if compressed && c.comp.defl != nil && c.comp.deflPool == nil {
		c.comp.defl.Reset()
	}
	return nil
}

// Ping sends a Ping frame with payload (at most 125 bytes; longer is a
// wsproto.ErrInvalidArgument error): Tornado's ping. The peer answers with
// a Pong (see PongHandler). ErrClosed once this side has sent its Close
// frame. Pings are never refused for backpressure.
func (c *Conn) Ping(payload []byte) error {
	if c.state != stOpen || c.s.Closed() {
		return ErrClosed
	}
	p := c.getBuf()
	frame, err := wsproto.AppendPing((*p)[:0], c.role == wsproto.Client, c.maskKey(), payload)
	if err == nil {
		err = c.send(frame)
	}
	*p = frame
	c.putBuf(p)
	return err
}

// writable checks that a data message of about n bytes may be queued.
func (c *Conn) writable(n int) error {
	if c.state != stOpen || c.s.Closed() {
		return ErrClosed
	}
	limit := c.cfg.writeLimit()
	if q := c.s.WriteBuffered(); limit > 0 && q > 0 && q+n > limit {
		c.flags |= fWantDrain
		c.watchDrain()
		return ErrBackpressure
	}
	return nil
}

// fits checks that a frame of n bytes fits the room the stream's cap
// (stream.Options.MaxWriteBufferSize) leaves, so that it is not refused
// after part of it went out: a frame goes to the stream in several Writes
// (writeFrame), and a torn frame would corrupt the connection. If it does
// not fit now, it returns ErrBackpressure and arms OnDrain; if it can never
// fit (it is larger than the cap), an error wrapping stream.ErrBufferFull.
func (c *Conn) fits(n int) error {
	if fit := c.roomFor(n); fit != fitNow {
		return c.refuse(fit, n)
	}
	return nil
}

// roomFit is how a frame fits the room the stream's cap leaves.
type roomFit uint8

const (
	fitNow   roomFit = iota // the stream takes it now (or has no cap)
	fitLater                // once the queue drains
	fitNever                // it is larger than the cap
)

// roomFor tells how a frame of n bytes fits the stream's room.
func (c *Conn) roomFor(n int) roomFit {
	room := c.s.WriteRoom()
	switch {
	case room < 0 || n <= room:
		return fitNow
	case n > room+c.s.WriteBuffered():
		// room plus what is queued is the cap, or more than the cap when
		// the queue is past it (TLS records' overhead): a frame bigger
		// than that is bigger than the cap.
		return fitNever
	}
	return fitLater
}

// refuse returns the error for a frame of n bytes that does not fit (fit is
// fitLater or fitNever), arming OnDrain for one that fits later.
func (c *Conn) refuse(fit roomFit, n int) error {
	if fit == fitNever {
		return fmt.Errorf("websocket: a frame of %d bytes exceeds the stream's MaxWriteBufferSize: %w", n, stream.ErrBufferFull)
	}
	c.flags |= fWantDrain
	c.watchDrain()
	return ErrBackpressure
}

// frameLen returns the length of a data frame carrying n bytes of payload
// from this side (a client masks).
func (c *Conn) frameLen(n int) int {
	h := 2
	switch {
	case n > 0xffff:
		h += 8
	case n > 125:
		h += 2
	}
	if c.role == wsproto.Client {
		h += 4
	}
	return h + n
}

// maxDeflated bounds the compressed size of an n-byte message: DEFLATE's
// stored blocks add 5 bytes per 64 KiB at worst, and the sync flush a few
// more; this bound is generous.
func maxDeflated(n int) int { return n + n>>10 + 64 }

// watchDrain waits for the write queue to empty, with an empty Write whose
// callback fires once every byte queued before it reached the kernel.
func (c *Conn) watchDrain() {
	if c.flags&fWatchDrain != 0 {
		return
	}
	c.flags |= fWatchDrain
	if err := c.s.Write(nil, c.onWritten); err != nil {
		c.flags &^= fWatchDrain
	}
}

func (c *Conn) onWritten(err error) {
	c.flags &^= fWatchDrain
	if err != nil || c.state == stClosed || c.flags&fWantDrain == 0 {
		return
	}
	if c.s.WriteBuffered() > c.cfg.writeLimit()/2 {
		c.watchDrain() // more was queued meanwhile: wait for that too
		return
	}
	c.flags &^= fWantDrain
	if dh, ok := c.h.(DrainHandler); ok && c.state == stOpen {
		dh.OnDrain(c)
	}
}

// writeFrame sends one frame carrying payload (the last of its message if
// fin): masked with a fresh key by a client, built in pooled chunks so that neither a big message
// nor masking needs a buffer its size. A server hands big payloads to the
// stream as they are (the stream copies only what the kernel does not
// take).
//
// The caller checks with fits that the whole frame fits the stream's room
// first. Should a later piece be refused all the same (a TLS stream's
// queue grows by a little more than what is written), the frame is torn
// and the connection's byte stream corrupt: the stream is closed with the
// error.
func (c *Conn) writeFrame(op wsproto.Opcode, fin, rsv1 bool, payload []byte) error {
	masked := c.role == wsproto.Client
	key := c.maskKey()
	p := c.getBuf()
	defer c.putBuf(p)
	b := wsproto.AppendFrameHeader((*p)[:0], fin, rsv1, op, len(payload), masked, key)
	if !masked && len(payload) >= directMin {
		*p = b
		if err := c.send(b); err != nil {
			return err
		}
		return c.sendRest(payload)
	}
	pos := 0
	sent := false
	for len(payload) > 0 {
		n := min(len(payload), max(bufChunk-len(b), 0))
		if n == 0 {
			n = len(payload)
		}
		start := len(b)
		b = append(b, payload[:n]...)
		if masked {
			pos = wsproto.Mask(key, pos, b[start:])
		}
		payload = payload[n:]
		if len(payload) > 0 {
			*p = b
			if err := c.sendPiece(b, sent); err != nil {
				return err
			}
			sent = true
			b = b[:0]
		}
	}
	*p = b
	return c.sendPiece(b, sent)
}

// sendPiece sends b, a piece of a frame: the first one, or a later one
// (rest) after the earlier pieces went.
func (c *Conn) sendPiece(b []byte, rest bool) error {
	if rest {
		return c.sendRest(b)
	}
	return c.send(b)
}

// sendRest sends b, a piece of a frame whose earlier pieces went already.
// If the stream refuses it, the peer would read the next frame as the rest
// of this one: the stream is closed with the error instead.
func (c *Conn) sendRest(b []byte) error {
	err := c.send(b)
	if err != nil && err != ErrClosed {
		c.s.CloseWithError(err)
		return fmt.Errorf("websocket: frame cut short, connection closed: %w", err)
	}
	return err
}

// send hands bytes to the stream.
func (c *Conn) send(b []byte) error {
	if err := c.s.Write(b, nil); err != nil {
		if errors.Is(err, stream.ErrClosed) {
			return ErrClosed
		}
		return err
	}
	return nil
}

// releaseWriter lets go of the compressor once no more messages will be
// sent.
func (c *Conn) releaseWriter() {
	if c.comp != nil {
		c.comp.dropDeflater()
	}
}
