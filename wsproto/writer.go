package wsproto

import (
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/klauspost/compress/flate"
)

// AppendFrame appends a whole frame to dst: the header (as
// AppendFrameHeader writes it) and the payload, masked with key if masked is
// set. It masks its copy, never the caller's payload. Like
// AppendFrameHeader it checks no protocol rule (AppendControl and
// AppendClose do, for control frames); clients must set masked with a
// fresh, unpredictable key per frame (RFC 6455 section 5.3), servers must
// not mask.
func AppendFrame(dst []byte, fin, rsv1 bool, op Opcode, masked bool, key [4]byte, payload []byte) []byte {
	dst = AppendFrameHeader(dst, fin, rsv1, op, len(payload), masked, key)
	start := len(dst)
	dst = append(dst, payload...)
	if masked {
		Mask(key, 0, dst[start:])
	}
	return dst
}

// AppendControl appends a control frame (op is OpPing, OpPong or OpClose)
// carrying payload. A payload longer than 125 bytes or another opcode is an
// ErrInvalidArgument error and dst is returned unchanged (RFC 6455 section
// 5.5). For Close frames prefer AppendClose, which builds the payload.
func AppendControl(dst []byte, op Opcode, masked bool, key [4]byte, payload []byte) ([]byte, error) {
	if op != OpPing && op != OpPong && op != OpClose {
		return dst, argumentError(op.String() + " is not a control opcode")
	}
	if len(payload) > maxControlPayload {
		return dst, argumentError(op.String() + " payload of " + strconv.Itoa(len(payload)) + " bytes exceeds 125")
	}
	return AppendFrame(dst, true, false, op, masked, key, payload), nil
}

// AppendPing appends a Ping frame; see AppendControl.
func AppendPing(dst []byte, masked bool, key [4]byte, payload []byte) ([]byte, error) {
	return AppendControl(dst, OpPing, masked, key, payload)
}

// AppendPong appends a Pong frame; see AppendControl.
func AppendPong(dst []byte, masked bool, key [4]byte, payload []byte) ([]byte, error) {
	return AppendControl(dst, OpPong, masked, key, payload)
}

// AppendClose appends a Close frame with the payload AppendClosePayload
// builds from code and reason (code 0 for an empty payload), or returns dst
// unchanged and its ErrInvalidArgument error.
func AppendClose(dst []byte, masked bool, key [4]byte, code CloseCode, reason string) ([]byte, error) {
	var buf [maxControlPayload]byte
	p, err := AppendClosePayload(buf[:0], code, reason)
	if err != nil {
		return dst, err
	}
	return AppendFrame(dst, true, false, OpClose, masked, key, p), nil
}

// AppendMessage appends a whole message as one frame. If d is not nil and
// d.ShouldCompress(len(payload)), the payload is compressed by d and the
// frame has RSV1 set. op must be OpText or OpBinary (it panics otherwise);
// the payload of a text message must be UTF-8, which is not checked here.
// The payload is not modified. With d, d's scratch buffer holds the
// compressed bytes until the next call, so a steady stream of messages
// allocates nothing; a scratch grown past 64 KiB by a big message is
// dropped after it.
func AppendMessage(dst []byte, op Opcode, masked bool, key [4]byte, payload []byte, d *Deflater) []byte {
	if op != OpText && op != OpBinary {
		panic("wsproto: AppendMessage: opcode " + op.String() + " is not a data opcode")
	}
	if d == nil || !d.ShouldCompress(len(payload)) {
		return AppendFrame(dst, true, false, op, masked, key, payload)
	}
	d.scratch = d.Compress(d.scratch[:0], payload)
	dst = AppendFrame(dst, true, true, op, masked, key, d.scratch)
	if cap(d.scratch) > maxKeptBuf {
		d.scratch = nil // one big message must not stay held
	}
	return dst
}

// A PreparedMessage is a message encoded once for sending to many
// connections: a server's broadcast. Server frames are not masked, so the
// bytes are the same for every connection, with or without
// permessage-deflate; only the choice between the plain and the compressed
// frame depends on the connection.
//
// A PreparedMessage is immutable once made and safe for concurrent use: the
// loops serving different connections may all send it.
type PreparedMessage struct {
	plain      []byte
	compressed []byte // nil if not compressed
	err        error  // why it must not be sent (Err)
}

// NewPreparedMessage encodes payload as a server's message with opcode op
// (OpText or OpBinary; it panics otherwise). With cfg not nil and a payload
// reaching cfg's Threshold, it also compresses the payload once, with a
// fresh context and a 15-bit window, using klauspost/compress/flate's
// stateless encoder: it keeps no compressor (and cfg's Level does not
// apply), so preparing a message costs no more memory than its frames.
// A text payload that is not valid UTF-8 makes a message whose Err says
// so, which senders refuse.
func NewPreparedMessage(op Opcode, payload []byte, cfg *DeflateConfig) *PreparedMessage {
	// The frames are clipped to their length: they are shared by every
	// connection, so an append to what Frame returns must copy, not write
	// into spare capacity another goroutine's append may be using.
	m := &PreparedMessage{plain: slices.Clip(AppendMessage(nil, op, false, [4]byte{}, payload, nil))}
	if op == OpText && !utf8.Valid(payload) {
		m.err = argumentError("text message is not valid UTF-8")
	}
	if cfg != nil && len(payload) >= cfg.norm().Threshold {
		var w sliceWriter
		if err := flate.StatelessDeflate(&w, payload, false, nil); err != nil ||
			len(w.b) < len(syncTail) || string(w.b[len(w.b)-len(syncTail):]) != syncTail {
			panic("wsproto: flate produced no sync flush")
		}
		m.compressed = slices.Clip(AppendFrame(nil, true, true, op, false, [4]byte{}, w.b[:len(w.b)-len(syncTail)]))
	}
	return m
}

// Err returns nil for a message that may be sent, and an ErrInvalidArgument
// error (*Error) for a text message whose payload is not valid UTF-8 (RFC
// 6455 section 5.6: a peer fails the connection on one).
func (m *PreparedMessage) Err() error { return m.err }

// Frame returns the bytes to send to a connection that agreed on p, or on
// no compression if p is nil. The compressed frame is chosen when there is
// one and the connection allows a 15-bit server window; compressed then
// reports it, and a connection whose server keeps its compression context
// must Reset its Deflater before compressing its next message (see
// Deflater.Reset). The bytes are shared: do not modify them.
func (m *PreparedMessage) Frame(p *DeflateParams) (frame []byte, compressed bool) {
	if p != nil && m.compressed != nil && (p.ServerMaxWindowBits == 0 || p.ServerMaxWindowBits == 15) {
		return m.compressed, true
	}
	return m.plain, false
}
