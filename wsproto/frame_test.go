package wsproto_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/gale-io/gale/wsproto"
)

// headerCases are shared by AppendFrameHeader and ParseFrameHeader.
var headerCases = []struct {
	name string
	h    wsproto.FrameHeader
	wire []byte
}{
	{"text 5", wsproto.FrameHeader{Fin: true, Opcode: wsproto.OpText, Length: 5}, hexBytes("81 05")},
	{"masked text 5", wsproto.FrameHeader{Fin: true, Opcode: wsproto.OpText, Length: 5, Masked: true, Key: testKey},
		hexBytes("81 85 37 fa 21 3d")},
	{"first fragment", wsproto.FrameHeader{Opcode: wsproto.OpBinary}, hexBytes("02 00")},
	{"continuation", wsproto.FrameHeader{Opcode: wsproto.OpContinuation, Length: 3}, hexBytes("00 03")},
	{"rsv1", wsproto.FrameHeader{Fin: true, Rsv1: true, Opcode: wsproto.OpText, Length: 1}, hexBytes("c1 01")},
	{"125", wsproto.FrameHeader{Fin: true, Opcode: wsproto.OpBinary, Length: 125}, hexBytes("82 7d")},
	{"126", wsproto.FrameHeader{Fin: true, Opcode: wsproto.OpBinary, Length: 126}, hexBytes("82 7e 00 7e")},
	{"65535", wsproto.FrameHeader{Fin: true, Opcode: wsproto.OpBinary, Length: 65535}, hexBytes("82 7e ff ff")},
	{"65536", wsproto.FrameHeader{Fin: true, Opcode: wsproto.OpBinary, Length: 65536}, hexBytes("82 7f 00 00 00 00 00 01 00 00")},
	{"65536 masked", wsproto.FrameHeader{Fin: true, Opcode: wsproto.OpBinary, Length: 65536, Masked: true, Key: testKey},
		hexBytes("82 ff 00 00 00 00 00 01 00 00 37 fa 21 3d")},
	{"2^40", wsproto.FrameHeader{Fin: true, Opcode: wsproto.OpBinary, Length: 1 << 40}, hexBytes("82 7f 00 00 01 00 00 00 00 00")},
	{"close", wsproto.FrameHeader{Fin: true, Opcode: wsproto.OpClose, Length: 2}, hexBytes("88 02")},
	{"pong 125", wsproto.FrameHeader{Fin: true, Opcode: wsproto.OpPong, Length: 125}, hexBytes("8a 7d")},
}

func TestFrameHeaderGolden(t *testing.T) {
	for _, c := range headerCases {
		if int64(int(c.h.Length)) == c.h.Length && !c.h.Rsv2 && !c.h.Rsv3 {
			got := wsproto.AppendFrameHeader([]byte("x"), c.h.Fin, c.h.Rsv1, c.h.Opcode, int(c.h.Length), c.h.Masked, c.h.Key)
			if !bytes.Equal(got[1:], c.wire) || got[0] != 'x' {
				t.Errorf("%s: AppendFrameHeader = % x, want x + % x", c.name, got, c.wire)
			}
		}
		in := append(append([]byte(nil), c.wire...), 0xEE, 0xEE) // trailing bytes stay
		for i := 0; i < len(c.wire); i++ {
			if h, n, err := wsproto.ParseFrameHeader(in[:i]); n != 0 || err != nil || h != (wsproto.FrameHeader{}) {
				t.Errorf("%s: ParseFrameHeader(%d bytes) = %+v, %d, %v; want need-more", c.name, i, h, n, err)
			}
		}
		h, n, err := wsproto.ParseFrameHeader(in)
		if err != nil || n != len(c.wire) || h != c.h {
			t.Errorf("%s: ParseFrameHeader = %+v, %d, %v; want %+v, %d", c.name, h, n, err, c.h, len(c.wire))
		}
	}
}

func TestParseFrameHeaderErrors(t *testing.T) {
	for _, wire := range [][]byte{
		hexBytes("82 7e 00 7d"),                   // 16-bit form for 125
		hexBytes("82 7f 00 00 00 00 00 00 ff ff"), // 64-bit form for 65535
		hexBytes("82 7f 80 00 00 00 00 00 00 00"), // top bit
		hexBytes("09 00"),                         // fragmented ping
		hexBytes("88 7e 00 80"),                   // long close
	} {
		h, n, err := wsproto.ParseFrameHeader(wire)
		if !errors.Is(err, wsproto.ErrProtocol) || n != 0 || h != (wsproto.FrameHeader{}) {
			t.Errorf("% x: %+v, %d, %v; want ErrProtocol", wire, h, n, err)
		}
	}
	// Reserved bits and opcodes are reported, not judged.
	h, n, err := wsproto.ParseFrameHeader(hexBytes("f3 00"))
	if err != nil || n != 2 || !h.Rsv1 || !h.Rsv2 || !h.Rsv3 || h.Opcode != 3 || !h.Fin {
		t.Errorf("f3 00: %+v, %d, %v", h, n, err)
	}
}

// Round trip of random headers through the encoder and the parser.
func TestFrameHeaderRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 10000; i++ {
		op := []wsproto.Opcode{0, 1, 2, 8, 9, 10}[rng.IntN(6)]
		length := []int{rng.IntN(126), 126 + rng.IntN(65536-126), 65536 + rng.IntN(1<<30)}[rng.IntN(3)]
		fin := rng.IntN(2) == 0
		if op.IsControl() {
			length %= 126
			fin = true
		}
		var key [4]byte
		fill(rng, key[:])
		masked, rsv1 := rng.IntN(2) == 0, rng.IntN(2) == 0
		wire := wsproto.AppendFrameHeader(nil, fin, rsv1, op, length, masked, key)
		h, n, err := wsproto.ParseFrameHeader(wire)
		want := wsproto.FrameHeader{Fin: fin, Rsv1: rsv1, Opcode: op, Masked: masked, Length: int64(length)}
		if masked {
			want.Key = key
		}
		if err != nil || n != len(wire) || h != want {
			t.Fatalf("% x: %+v %d %v, want %+v", wire, h, n, err, want)
		}
		if n > wsproto.MaxHeaderLen {
			t.Fatalf("header of %d bytes", n)
		}
	}
}

func TestAppendFrameHeaderPanics(t *testing.T) {
	for _, f := range []func(){
		func() { wsproto.AppendFrameHeader(nil, true, false, 16, 0, false, testKey) },
		func() { wsproto.AppendFrameHeader(nil, true, false, wsproto.OpText, -1, false, testKey) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		}()
	}
}

func TestOpcode(t *testing.T) {
	names := map[wsproto.Opcode]string{0: "Continuation", 1: "Text", 2: "Binary", 8: "Close", 9: "Ping", 10: "Pong", 3: "Opcode(0x3)", 0xF: "Opcode(0xf)"}
	for op, want := range names {
		if got := op.String(); got != want {
			t.Errorf("Opcode(%d).String() = %q, want %q", op, got, want)
		}
	}
	for op := wsproto.Opcode(0); op < 16; op++ {
		if got, want := op.IsControl(), op >= 8; got != want {
			t.Errorf("Opcode(%d).IsControl() = %v", op, got)
		}
		reserved := !(op <= 2 || (op >= 8 && op <= 10))
		if op.IsReserved() != reserved {
			t.Errorf("Opcode(%d).IsReserved() = %v", op, !reserved)
		}
	}
}
