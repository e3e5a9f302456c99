package load

import (
	"encoding/binary"
	"fmt"
)

// Messages are pseudo-random bytes determined by (connection, sequence
// number), so the echo of every message can be checked without keeping a
// copy: a lost, duplicated, reordered or altered byte shows up as a
// mismatch in the message where it happens, or, for bytes lost at the
// end, as an echo that never completes.

// fillMsg writes message seq of connection conn into b.
func fillMsg(b []byte, conn int, seq uint64) {
	x := msgSeed(conn, seq)
	for len(b) >= 8 {
		x = msgNext(x)
		binary.LittleEndian.PutUint64(b, x)
		b = b[8:]
	}
	if len(b) > 0 {
		x = msgNext(x)
		for i := range b {
			b[i] = byte(x >> (8 * i))
		}
	}
}

// checkMsg reports whether b is message seq of connection conn, and if not,
// an error naming the first wrong byte.
func checkMsg(b []byte, conn int, seq uint64) error {
	x := msgSeed(conn, seq)
	off := 0
	for ; off+8 <= len(b); off += 8 {
		x = msgNext(x)
		if binary.LittleEndian.Uint64(b[off:]) != x {
			return msgMismatch(b, conn, seq)
		}
	}
	if off < len(b) {
		x = msgNext(x)
		for i := range b[off:] {
			if b[off+i] != byte(x>>(8*i)) {
				return msgMismatch(b, conn, seq)
			}
		}
	}
	return nil
}

func msgSeed(conn int, seq uint64) uint64 {
	return (uint64(conn)<<40 ^ seq) * 0x9e3779b97f4a7c15
}

func msgNext(x uint64) uint64 { return x*6364136223846793005 + 1442695040888963407 }

// MismatchError is an echo that differs from what was sent.
type MismatchError struct {
	Conn      int    // connection index
	Seq       uint64 // message number on that connection, from 0
	Offset    int    // first differing byte in the message
	Got, Want byte
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("wrong echo on connection %d, message %d: byte %d is %#02x, sent %#02x",
		e.Conn, e.Seq, e.Offset, e.Got, e.Want)
}

func msgMismatch(b []byte, conn int, seq uint64) error {
	want := make([]byte, len(b))
	fillMsg(want, conn, seq)
	for i := range b {
		if b[i] != want[i] {
			return &MismatchError{Conn: conn, Seq: seq, Offset: i, Got: b[i], Want: want[i]}
		}
	}
	return nil
}
