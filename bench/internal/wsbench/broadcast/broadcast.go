// Package broadcast is the ws mode's broadcast trigger, shared by the
// servers (internal/wsbench) and the load generator (internal/load): a text
// message "broadcast:<n>" from any client makes the server send one n-byte
// binary message, Payload(n), to every open connection, the sender
// included.
package broadcast

import (
	"bytes"
	"fmt"
	"strconv"
)

// Max is the largest broadcast a trigger may ask for, in bytes. A larger
// or malformed n makes the trigger an ordinary text message, echoed.
const Max = 1 << 20

const prefix = "broadcast:"

// Trigger returns the text message asking for an n-byte broadcast.
func Trigger(n int) []byte { return strconv.AppendInt([]byte(prefix), int64(n), 10) }

// Parse reports whether msg (a text message) is a trigger, and the size it
// asks for: a decimal 1 to Max, without sign or leading zeros.
func Parse(msg []byte) (n int, ok bool) {
	rest, found := bytes.CutPrefix(msg, []byte(prefix))
	if !found || len(rest) == 0 || len(rest) > 7 || rest[0] == '0' {
		return 0, false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if n > Max {
		return 0, false
	}
	return n, true
}

// Payload returns the broadcast message of n bytes: byte i is
// byte(i%251) ^ 0x5a, so that a receiver can check it without a copy and a
// shifted or truncated message shows.
func Payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i%251) ^ 0x5a
	}
	return b
}

// Check reports whether b, which starts at byte off of a broadcast
// message, holds the bytes Payload has there.
func Check(b []byte, off int) error {
	for i, c := range b {
		if want := byte((off+i)%251) ^ 0x5a; c != want {
			return fmt.Errorf("broadcast byte %d is %#02x, want %#02x", off+i, c, want)
		}
	}
	return nil
}
