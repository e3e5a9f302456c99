package wsproto

import (
	"encoding/binary"
	"math/bits"
)

// Mask XORs b in place with the masking key (RFC 6455 section 5.3), starting
// at position pos of the key (0-3; larger values are taken modulo 4), and
// returns the key position for the byte after b, so a payload can be
// (un)masked in pieces: pos = Mask(key, pos, piece). Masking twice with the
// same key and position restores the bytes.
//
// It works a 64-bit word at a time: since 8 (and 4) is a multiple of the
// key's length, one word of the key, rotated to pos, serves every step.
func Mask(key [4]byte, pos int, b []byte) int {
	pos &= 3
	n := len(b)
	if n >= 4 {
		// Little-endian: the key byte at pos must land in the low byte.
		k32 := bits.RotateLeft32(binary.LittleEndian.Uint32(key[:]), -8*pos)
		k := uint64(k32)<<32 | uint64(k32)
		for len(b) >= 32 {
			binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k)
			binary.LittleEndian.PutUint64(b[8:], binary.LittleEndian.Uint64(b[8:])^k)
			binary.LittleEndian.PutUint64(b[16:], binary.LittleEndian.Uint64(b[16:])^k)
			binary.LittleEndian.PutUint64(b[24:], binary.LittleEndian.Uint64(b[24:])^k)
			b = b[32:]
		}
		for len(b) >= 8 {
			binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k)
			b = b[8:]
		}
		if len(b) >= 4 {
			binary.LittleEndian.PutUint32(b, binary.LittleEndian.Uint32(b)^k32)
			b = b[4:]
		}
	}
	// Whole words went before the tail, so it starts at pos again.
	for i := range b {
		b[i] ^= key[(pos+i)&3]
	}
	return (pos + n) & 3
}
