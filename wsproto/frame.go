package wsproto

import (
	"encoding/binary"
	"strconv"
)

// Opcode is a frame's opcode (RFC 6455 section 5.2). A message is a Text or
// Binary frame followed, while FIN is clear, by Continuation frames; Close,
// Ping and Pong are control frames, which may come between the fragments of
// a message but are never fragmented themselves. The other values (3-7,
// 0xB-0xF) are reserved.
type Opcode uint8

// The opcodes RFC 6455 section 5.2 defines.
const (
	OpContinuation Opcode = 0x0 // follows a Text, Binary or Continuation frame with FIN clear
	OpText         Opcode = 0x1 // first frame of a UTF-8 text message
	OpBinary       Opcode = 0x2 // first frame of a binary message
	OpClose        Opcode = 0x8 // starts the closing handshake; nothing follows it
	OpPing         Opcode = 0x9 // asks for a Pong with the same payload
	OpPong         Opcode = 0xA // answers a Ping, or is a unidirectional heartbeat
)

// String returns "Continuation", "Text", "Binary", "Close", "Ping", "Pong",
// or "Opcode(0xN)" for a reserved value.
func (op Opcode) String() string {
	switch op {
	case OpContinuation:
		return "Continuation"
	case OpText:
		return "Text"
	case OpBinary:
		return "Binary"
	case OpClose:
		return "Close"
	case OpPing:
		return "Ping"
	case OpPong:
		return "Pong"
	}
	return "Opcode(0x" + strconv.FormatUint(uint64(op), 16) + ")"
}

// IsControl reports whether op is a control opcode (0x8-0xF, RFC 6455
// section 5.5), reserved ones included.
func (op Opcode) IsControl() bool { return op&0x8 != 0 }

// IsReserved reports whether op is not one of the six opcodes RFC 6455
// defines.
func (op Opcode) IsReserved() bool {
	switch op {
	case OpContinuation, OpText, OpBinary, OpClose, OpPing, OpPong:
		return false
	}
	return true
}

const (
	finBit  = 0x80
	rsv1Bit = 0x40
	rsv2Bit = 0x20
	rsv3Bit = 0x10
	opMask  = 0x0F
	maskBit = 0x80

	// maxControlPayload is the largest control frame payload (RFC 6455
	// section 5.5).
	maxControlPayload = 125
)

// MaxHeaderLen is the length of the longest frame header: two fixed bytes,
// a 64-bit extended length and a masking key.
const MaxHeaderLen = 14

// FrameHeader is a decoded frame header (RFC 6455 section 5.2).
type FrameHeader struct {
	Fin              bool
	Rsv1, Rsv2, Rsv3 bool
	Opcode           Opcode
	Masked           bool
	Length           int64   // payload length in bytes
	Key              [4]byte // masking key, when Masked
}

// AppendFrameHeader appends a frame header to dst, with the length in the
// shortest of the 7-, 16- and 64-bit forms as RFC 6455 section 5.2
// requires. The key is written only when mask is set. It does not check
// the rules on opcodes or control frames (AppendControl does); it panics if
// op does not fit in 4 bits or length is negative.
func AppendFrameHeader(dst []byte, fin, rsv1 bool, op Opcode, length int, mask bool, key [4]byte) []byte {
	if op > opMask || length < 0 {
		panic("wsproto: AppendFrameHeader: invalid opcode or length")
	}
	b0 := byte(op)
	if fin {
		b0 |= finBit
	}
	if rsv1 {
		b0 |= rsv1Bit
	}
	var b1 byte
	if mask {
		b1 = maskBit
	}
	switch {
	case length <= 125:
		dst = append(dst, b0, b1|byte(length))
	case length <= 0xFFFF:
		dst = append(dst, b0, b1|126, byte(length>>8), byte(length))
	default:
		dst = append(dst, b0, b1|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(length))
	}
	if mask {
		dst = append(dst, key[:]...)
	}
	return dst
}

// lengthField decodes the payload length that starts at b[1]. It returns
// the header length without the masking key, or 0 if b is too short to
// tell the length; non-minimal encodings and 64-bit lengths with the most
// significant bit set are ErrProtocol errors (RFC 6455 section 5.2).
func lengthField(b []byte) (length int64, hl int, err error) {
	switch l7 := b[1] &^ maskBit; l7 {
	case 126:
		if len(b) < 4 {
			return 0, 0, nil
		}
		length = int64(binary.BigEndian.Uint16(b[2:]))
		if length < 126 {
			return 0, 0, protocolError("length " + strconv.FormatInt(length, 10) + " not in minimal form")
		}
		return length, 4, nil
	case 127:
		if len(b) < 10 {
			return 0, 0, nil
		}
		u := binary.BigEndian.Uint64(b[2:])
		if u>>63 != 0 {
			return 0, 0, protocolError("64-bit length with the most significant bit set")
		}
		if u <= 0xFFFF {
			return 0, 0, protocolError("length " + strconv.FormatUint(u, 10) + " not in minimal form")
		}
		return int64(u), 10, nil
	default:
		return int64(l7), 2, nil
	}
}

// ParseFrameHeader decodes the frame header at the start of b. If b holds
// only part of a header it returns n == 0 and no error: call again with
// more bytes (any split works, since nothing is kept between calls).
// Otherwise n is the header's length. It checks only the rules that need
// no context: minimal length encoding, the 64-bit length's top bit, and
// control frames being final and at most 125 bytes long (RFC 6455 sections
// 5.2 and 5.5); the Reader checks the rest (reserved bits and opcodes,
// masking, fragmentation).
func ParseFrameHeader(b []byte) (h FrameHeader, n int, err error) {
	if len(b) < 2 {
		return h, 0, nil
	}
	h.Fin = b[0]&finBit != 0
	h.Rsv1 = b[0]&rsv1Bit != 0
	h.Rsv2 = b[0]&rsv2Bit != 0
	h.Rsv3 = b[0]&rsv3Bit != 0
	h.Opcode = Opcode(b[0] & opMask)
	h.Masked = b[1]&maskBit != 0
	if h.Opcode.IsControl() {
		if !h.Fin {
			return FrameHeader{}, 0, protocolError("fragmented control frame")
		}
		if b[1]&^maskBit > maxControlPayload {
			return FrameHeader{}, 0, protocolError("control frame longer than 125 bytes")
		}
	}
	length, hl, err := lengthField(b)
	if err != nil || hl == 0 {
		return FrameHeader{}, 0, err
	}
	h.Length = length
	if h.Masked {
		if len(b) < hl+4 {
			return FrameHeader{}, 0, nil
		}
		copy(h.Key[:], b[hl:hl+4])
		hl += 4
	}
	return h, hl, nil
}
