package load

import (
	"errors"
	"testing"
)

func TestMessagesCheck(t *testing.T) {
	for _, size := range []int{1, 7, 8, 9, 64, 1000} {
		b := make([]byte, size)
		fillMsg(b, 3, 41)
		if err := checkMsg(b, 3, 41); err != nil {
			t.Fatalf("size %d: own message rejected: %v", size, err)
		}
		// Another message or connection differs (for sizes above a byte,
		// where a collision is 1 in 256^size).
		if size > 1 {
			if checkMsg(b, 3, 42) == nil || checkMsg(b, 4, 41) == nil {
				t.Fatalf("size %d: message accepted as another", size)
			}
		}
		for _, off := range []int{0, size / 2, size - 1} {
			c := append([]byte(nil), b...)
			c[off] ^= 0x10
			var me *MismatchError
			if err := checkMsg(c, 3, 41); !errors.As(err, &me) || me.Offset != off || me.Conn != 3 || me.Seq != 41 {
				t.Fatalf("size %d: flipped byte %d: got %v", size, off, err)
			}
		}
	}
}
