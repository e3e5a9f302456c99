package wsproto_test

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"unicode/utf8"

	"github.com/gale-io/gale/wsproto"
)

// textLike returns n bytes of JSON-like text: what WebSocket applications
// mostly send, and what the compression benchmarks use.
func textLike(n int, seed uint64) []byte {
	words := []string{"the", "user", "id", "name", "message", "status", "ok", "error", "timestamp",
		"value", "price", "quantity", "order", "buy", "sell", "market", "symbol", "BTC", "ETH",
		"update", "channel", "data", "event", "type", "ticker", "κόσμε", "€"}
	rng := rand.New(rand.NewPCG(seed, 99))
	w := func() string { return words[rng.IntN(len(words))] }
	b := make([]byte, 0, n+80)
	for len(b) < n {
		b = fmt.Appendf(b, `{"%s":"%s","%s":%d,"%s":%d.%02d},`, w(), w(), w(), rng.IntN(100000), w(), rng.IntN(1000), rng.IntN(100))
	}
	// Cut at a rune boundary so the text stays valid UTF-8.
	for n > 0 && n < len(b) && !utf8.RuneStart(b[n]) {
		n--
	}
	return b[:n]
}

// The examples of RFC 7692 section 7.2.3, decoded by the Inflater.
func TestInflaterRFCExamples(t *testing.T) {
	cases := []struct {
		name   string
		pieces []string // the compressed payload of one message, in fragments
	}{
		{"7.2.3.1 one frame", []string{"\xf2\x48\xcd\xc9\xc9\x07\x00"}},
		{"7.2.3.1 two fragments", []string{"\xf2\x48\xcd", "\xc9\xc9\x07\x00"}},
		{"7.2.3.3 stored block", []string{"\x00\x05\x00\xfa\xff\x48\x65\x6c\x6c\x6f\x00"}},
		{"7.2.3.4 BFINAL set", []string{"\xf3\x48\xcd\xc9\xc9\x07\x00\x00"}},
		{"7.2.3.4 BFINAL set, no padding block", []string{"\xf3\x48\xcd\xc9\xc9\x07\x00"}},
		{"7.2.3.5 two blocks", []string{"\xf2\x48\x05\x00\x00\x00\xff\xff\xca\xc9\xc9\x07\x00"}},
	}
	for _, c := range cases {
		f := wsproto.NewInflater(wsproto.Server, wsproto.DeflateParams{}, nil)
		out := []byte("x")
		var err error
		for i, p := range c.pieces {
			out, err = f.Inflate(out, []byte(p), i == len(c.pieces)-1)
			if err != nil {
				break
			}
		}
		if err != nil || string(out) != "xHello" {
			t.Errorf("%s: %q, %v", c.name, out, err)
		}
		// Context takeover (7.2.3.2): the second "Hello" refers to the first.
		out, err = f.Inflate(nil, []byte("\xf2\x00\x11\x00\x00"), true)
		if err != nil || string(out) != "Hello" {
			t.Errorf("%s, then 7.2.3.2: %q, %v", c.name, out, err)
		}
	}
	// Without context takeover the reference has nothing to point to.
	f := wsproto.NewInflater(wsproto.Server, wsproto.DeflateParams{ClientNoContextTakeover: true}, nil)
	if out, err := f.Inflate(nil, []byte("\xf2\x48\xcd\xc9\xc9\x07\x00"), true); err != nil || string(out) != "Hello" {
		t.Fatalf("first message: %q, %v", out, err)
	}
	if out, err := f.Inflate([]byte("keep"), []byte("\xf2\x00\x11\x00\x00"), true); !errors.Is(err, wsproto.ErrInvalidData) || string(out) != "keep" {
		t.Errorf("reference into a dropped context: %q, %v; want ErrInvalidData and dst unchanged", out, err)
	}
	// Reset drops the context too.
	f = wsproto.NewInflater(wsproto.Client, wsproto.DeflateParams{}, nil)
	f.Inflate(nil, []byte("\xf2\x48\xcd\xc9\xc9\x07\x00"), true)
	f.Reset()
	if _, err := f.Inflate(nil, []byte("\xf2\x00\x11\x00\x00"), true); !errors.Is(err, wsproto.ErrInvalidData) {
		t.Errorf("after Reset: %v, want ErrInvalidData", err)
	}
}

func TestInflaterErrors(t *testing.T) {
	// A bomb: 10 MiB of zeros compress to a few KiB.
	zeros := make([]byte, 10<<20)
	d := wsproto.NewDeflater(wsproto.Client, wsproto.DeflateParams{}, nil)
	bomb := d.Compress(nil, zeros)
	if len(bomb) > 64<<10 {
		t.Fatalf("10 MiB of zeros compress to %d bytes", len(bomb))
	}
	for _, c := range []struct {
		max  int
		want error
	}{{1 << 20, wsproto.ErrTooBig}, {10<<20 - 1, wsproto.ErrTooBig}, {10 << 20, nil}, {0, nil}} {
		f := wsproto.NewInflater(wsproto.Server, wsproto.DeflateParams{}, &wsproto.DeflateConfig{MaxDecompressedSize: c.max})
		out, err := f.Inflate([]byte("keep"), bomb, true)
		var e *wsproto.Error
		switch {
		case c.want == nil && (err != nil || len(out) != 4+len(zeros)):
			t.Errorf("max %d: %d bytes, %v", c.max, len(out), err)
		case c.want != nil && (!errors.Is(err, c.want) || !errors.As(err, &e) || e.Code != 1009 || string(out) != "keep"):
			t.Errorf("max %d: %d bytes, %v; want ErrTooBig, 1009, dst unchanged", c.max, len(out), err)
		}
	}
	for _, bad := range []string{"\xff\xff\xff", "\x07", "\x00\x05\x00\xfa\xfe", "\xf2\x48\xcd\xc9\xc9\x07\x00\x00garbage-after"} {
		f := wsproto.NewInflater(wsproto.Server, wsproto.DeflateParams{}, nil)
		out, err := f.Inflate(nil, []byte(bad), true)
		var e *wsproto.Error
		if !errors.Is(err, wsproto.ErrInvalidData) || !errors.As(err, &e) || e.Code != 1007 || e.Fault != wsproto.PeerFault || len(out) != 0 {
			t.Errorf("Inflate(% x) = %q, %v; want ErrInvalidData", bad, out, err)
		}
	}
}

func TestDeflaterBasics(t *testing.T) {
	d := wsproto.NewDeflater(wsproto.Server, wsproto.DeflateParams{}, nil)
	if got := d.Compress(nil, nil); !bytes.Equal(got, []byte{0}) {
		t.Errorf("empty message compresses to % x, want 00 (RFC 7692 section 7.2.3.6)", got)
	}
	if d.ShouldCompress(wsproto.DefaultDeflateThreshold-1) || !d.ShouldCompress(wsproto.DefaultDeflateThreshold) {
		t.Error("default threshold")
	}
	if d2 := wsproto.NewDeflater(wsproto.Server, wsproto.DeflateParams{}, &wsproto.DeflateConfig{Threshold: 1}); !d2.ShouldCompress(1) || d2.ShouldCompress(0) {
		t.Error("threshold 1")
	}
	msg := textLike(2000, 1)
	orig := bytes.Clone(msg)
	first := d.Compress(nil, msg)
	second := d.Compress(nil, msg)
	if !bytes.Equal(msg, orig) {
		t.Fatal("Compress modified its input")
	}
	if len(second) > len(first)/10 {
		t.Errorf("with context takeover a repeated message takes %d bytes, the first %d", len(second), len(first))
	}
	d.Reset()
	if again := d.Compress(nil, msg); !bytes.Equal(again, first) {
		t.Error("after Reset the message does not compress as the first time")
	}
	for _, bad := range []wsproto.DeflateParams{{ServerMaxWindowBits: 7}, {ServerMaxWindowBits: 16}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewDeflater(%+v) did not panic", bad)
				}
			}()
			wsproto.NewDeflater(wsproto.Server, bad, nil)
		}()
	}
}

// conversationSizes are the message sizes of a compression round trip:
// around the threshold, the window, and the flate block size.
var conversationSizes = []int{0, 1, 127, 128, 200, 1000, 4096, 40000, 70000, 300, 5}

// converse sends messages from sender to receiver through the whole
// pipeline: AppendMessage with a Deflater, a Reader, an Inflater, a
// UTF8Validator. It checks the bytes that arrive, that every compressed
// message decodes with the reference decoder within the window, and that
// without context takeover every message decodes on its own.
func converse(t *testing.T, name string, sender wsproto.Role, p wsproto.DeflateParams, cfg *wsproto.DeflateConfig, seed uint64) {
	t.Helper()
	receiver := wsproto.Client
	if sender == wsproto.Client {
		receiver = wsproto.Server
	}
	noTakeover, bits := p.ServerNoContextTakeover, p.ServerMaxWindowBits
	if sender == wsproto.Client {
		noTakeover, bits = p.ClientNoContextTakeover, p.ClientMaxWindowBits
	}
	d := wsproto.NewDeflater(sender, p, cfg)
	r := wsproto.NewReader(receiver, &wsproto.ReaderOptions{Deflate: true})
	f := wsproto.NewInflater(receiver, p, cfg)
	var ref refInflater
	var wire []byte
	for i, n := range conversationSizes {
		msg := textLike(n, seed+uint64(i))
		op := wsproto.OpText
		if i%3 == 2 {
			op = wsproto.OpBinary
		}
		wire = wsproto.AppendMessage(wire[:0], op, sender == wsproto.Client, testKey, msg, d)
		res := feed(r, wire, nil)
		if res.err != nil || len(res.events) < 2 {
			t.Fatalf("%s: message %d: %v %v", name, i, res.events, res.err)
		}
		compressed := res.events[0].compressed
		if compressed != d.ShouldCompress(n) {
			t.Fatalf("%s: message %d of %d bytes: compressed %v", name, i, n, compressed)
		}
		payload := []byte(nil)
		if len(res.events) == 3 {
			payload = []byte(res.events[1].payload)
		}
		got := payload
		if compressed {
			var err error
			if got, err = f.Inflate(nil, payload, true); err != nil {
				t.Fatalf("%s: message %d: %v", name, i, err)
			}
			var v wsproto.UTF8Validator
			if op == wsproto.OpText && (!v.Write(got) || !v.Done()) {
				t.Fatalf("%s: message %d: not UTF-8 after inflating", name, i)
			}
			if noTakeover {
				ref.reset()
				fresh := wsproto.NewInflater(receiver, wsproto.DeflateParams{}, nil)
				if alone, err := fresh.Inflate(nil, payload, true); err != nil || !bytes.Equal(alone, msg) {
					t.Fatalf("%s: message %d does not decode on its own (%v): no context takeover was agreed", name, i, err)
				}
			}
			ref.maxDist = 0
			refOut, err := ref.message(payload)
			if err != nil || !bytes.Equal(refOut, msg) {
				t.Fatalf("%s: message %d: reference decoder: %v", name, i, err)
			}
			if ref.maxDist > 1<<bits {
				t.Fatalf("%s: message %d refers %d bytes back, beyond the agreed %d-bit window", name, i, ref.maxDist, bits)
			}
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("%s: message %d: got %d bytes, want %d", name, i, len(got), len(msg))
		}
	}
}

// Autobahn 12.* and 13.*: compressed round trips in both directions, for
// every negotiation the grid of configurations produces and every window
// size, at several levels.
func TestDeflateRoundTrips(t *testing.T) {
	seen := map[wsproto.DeflateParams]bool{}
	for _, cc := range deflateConfigs() {
		for _, sc := range deflateConfigs() {
			offers, _ := wsproto.ParseExtensions(wsproto.OfferValue(cc))
			p, _, _ := wsproto.NegotiateDeflateServer(offers, sc)
			seen[p] = true
		}
	}
	for bits := 8; bits <= 15; bits++ {
		for _, nct := range []bool{false, true} {
			seen[wsproto.DeflateParams{ServerMaxWindowBits: bits, ClientMaxWindowBits: bits, ServerNoContextTakeover: nct, ClientNoContextTakeover: nct}] = true
		}
	}
	levels := []int{0, 1, 5, 9}
	if raceEnabled {
		levels = []int{0}
	}
	for p := range seen {
		for _, level := range levels {
			cfg := &wsproto.DeflateConfig{Level: level}
			for _, sender := range []wsproto.Role{wsproto.Server, wsproto.Client} {
				converse(t, fmt.Sprintf("%v sends, %+v, level %d", sender, p, level), sender, p, cfg, 7)
			}
		}
	}
}

// A compressed message sent in fragments, with control frames between them,
// reassembles through the Inflater.
func TestDeflateFragmented(t *testing.T) {
	msg := textLike(10000, 3)
	d := wsproto.NewDeflater(wsproto.Client, wsproto.DeflateParams{}, nil)
	comp := d.Compress(nil, msg)
	var wire []byte
	for i := 0; i < len(comp); i += 100 {
		j := min(i+100, len(comp))
		op := wsproto.OpContinuation
		if i == 0 {
			op = wsproto.OpText
		}
		wire = wsproto.AppendFrame(wire, j == len(comp), i == 0, op, true, testKey, comp[i:j])
		wire, _ = wsproto.AppendPing(wire, true, testKey, []byte("p"))
	}
	r := wsproto.NewReader(wsproto.Server, &wsproto.ReaderOptions{Deflate: true})
	f := wsproto.NewInflater(wsproto.Server, wsproto.DeflateParams{}, nil)
	var out []byte
	pings := 0
	// One byte at a time, inflating Data as it comes.
	buf := []byte(nil)
	for i := 0; i < len(wire); i++ {
		buf = append(buf, wire[i])
		for {
			e, n, err := r.Next(buf)
			if err != nil {
				t.Fatal(err)
			}
			buf = buf[n:]
			switch e.Kind {
			case wsproto.MessageStart:
				if !e.Compressed {
					t.Fatal("message not compressed")
				}
			case wsproto.Data:
				if out, err = f.Inflate(out, e.Payload, false); err != nil {
					t.Fatal(err)
				}
			case wsproto.MessageEnd:
				if out, err = f.Inflate(out, nil, true); err != nil {
					t.Fatal(err)
				}
			case wsproto.Ping:
				pings++
			}
			if e.Kind == wsproto.NeedMore {
				break
			}
		}
	}
	if !bytes.Equal(out, msg) || pings != (len(comp)+99)/100 {
		t.Fatalf("got %d bytes and %d pings, want %d bytes", len(out), pings, len(msg))
	}
}

// A Deflater and an Inflater that keep their context live as long as their
// connection: one big message must not leave its size held by either (the
// Inflater's copy of the compressed input, AppendMessage's scratch), while
// small messages keep reusing their buffers (TestDeflateAllocs).
func TestDeflateBigMessageNotRetained(t *testing.T) {
	const size = 4 << 20
	with := bigMessageHeap(t, size)
	held := int64(with) - int64(liveHeap()) // the Deflater and the Inflater are gone
	// A Deflater is about 630 KiB, an Inflater about 100 KiB.
	if held > 2<<20 {
		t.Errorf("a Deflater and an Inflater hold %d KiB after a %d MiB message", held>>10, size>>20)
	} else {
		t.Logf("a Deflater and an Inflater hold %d KiB after a %d MiB message", held>>10, size>>20)
	}
}

// bigMessageHeap sends a message of size incompressible bytes through a
// Deflater (AppendMessage) and an Inflater (in pieces, as a connection's
// reader hands them over), and returns the live heap while they are still
// held, once the message and its frame are not.
func bigMessageHeap(t *testing.T, size int) uint64 {
	msg := make([]byte, size)
	rng := rand.New(rand.NewPCG(5, 5))
	for i := range msg {
		msg[i] = byte(rng.Uint32())
	}
	d := wsproto.NewDeflater(wsproto.Server, wsproto.DeflateParams{}, nil)
	f := wsproto.NewInflater(wsproto.Client, wsproto.DeflateParams{}, nil)
	frame := wsproto.AppendMessage(nil, wsproto.OpBinary, false, [4]byte{}, msg, d)
	_, n, err := wsproto.ParseFrameHeader(frame)
	if err != nil || n == 0 {
		t.Fatalf("frame header: %d bytes, %v", n, err)
	}
	for p := frame[n:]; len(p) > 0; {
		k := min(len(p), 64<<10)
		f.Inflate(nil, p[:k], false)
		p = p[k:]
	}
	out, err := f.Inflate(nil, nil, true)
	if err != nil || !bytes.Equal(out, msg) {
		t.Fatalf("round trip: %d bytes, %v", len(out), err)
	}
	// msg, frame and out are dead from here on: only d and f may hold
	// memory.
	heap := liveHeap()
	runtime.KeepAlive(d)
	runtime.KeepAlive(f)
	return heap
}

// liveHeap returns the bytes of live heap objects.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func TestPreparedMessage(t *testing.T) {
	payload := textLike(5000, 4)
	cfg := &wsproto.DeflateConfig{}
	m := wsproto.NewPreparedMessage(wsproto.OpText, payload, cfg)
	plain, compressed := m.Frame(nil)
	if compressed || !bytes.Equal(plain, wsproto.AppendMessage(nil, wsproto.OpText, false, testKey, payload, nil)) {
		t.Fatal("plain frame")
	}
	if f, c := m.Frame(&wsproto.DeflateParams{ServerMaxWindowBits: 10}); c || !bytes.Equal(f, plain) {
		t.Error("a 10-bit window must get the plain frame")
	}
	// The compressed frame is valid on any connection with a 15-bit window,
	// between messages compressed with context takeover, once the
	// connection's Deflater is reset.
	for _, p := range []wsproto.DeflateParams{{ServerMaxWindowBits: 15}, {ServerNoContextTakeover: true}} {
		frame, c := m.Frame(&p)
		if !c || len(frame) >= len(plain) {
			t.Fatalf("%+v: compressed %v, %d bytes against %d plain", p, c, len(frame), len(plain))
		}
		d := wsproto.NewDeflater(wsproto.Server, p, nil)
		r := wsproto.NewReader(wsproto.Client, &wsproto.ReaderOptions{Deflate: true})
		f := wsproto.NewInflater(wsproto.Client, p, nil)
		other := textLike(3000, 5)
		var wire []byte
		wire = wsproto.AppendMessage(wire, wsproto.OpText, false, testKey, other, d)
		wire = append(wire, frame...)
		d.Reset()
		wire = wsproto.AppendMessage(wire, wsproto.OpText, false, testKey, other, d)
		res := feed(r, wire, nil)
		if res.err != nil || len(res.events) != 9 {
			t.Fatalf("%+v: %v %v", p, res.events, res.err)
		}
		for i, want := range [][]byte{other, payload, other} {
			got, err := f.Inflate(nil, []byte(res.events[3*i+1].payload), true)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%+v: message %d: %v", p, i, err)
			}
		}
	}
	// Small payloads and no config: no compressed form.
	for _, m := range []*wsproto.PreparedMessage{wsproto.NewPreparedMessage(wsproto.OpBinary, []byte("tiny"), cfg), wsproto.NewPreparedMessage(wsproto.OpBinary, payload, nil)} {
		if _, c := m.Frame(&wsproto.DeflateParams{}); c {
			t.Error("compressed form where none was wanted")
		}
	}
}

func TestAppendMessagePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("AppendMessage(OpPing) did not panic")
		}
	}()
	wsproto.AppendMessage(nil, wsproto.OpPing, false, testKey, nil, nil)
}

func TestPreparedMessageErr(t *testing.T) {
	for _, tc := range []struct {
		op      wsproto.Opcode
		payload []byte
		bad     bool
	}{
		{wsproto.OpText, []byte("héllo"), false},
		{wsproto.OpText, []byte{0xf4, 0x90, 0x80, 0x80}, true}, // above U+10FFFF
		{wsproto.OpText, []byte{0xe2, 0x82}, true},             // unfinished
		{wsproto.OpBinary, []byte{0xff}, false},
	} {
		err := wsproto.NewPreparedMessage(tc.op, tc.payload, nil).Err()
		if tc.bad != (err != nil) || tc.bad && !errors.Is(err, wsproto.ErrInvalidArgument) {
			t.Errorf("%v %x: Err() = %v, want invalid %v", tc.op, tc.payload, err, tc.bad)
		}
	}
}

// Many messages from an independent encoder (compress/flate, every level),
// each referring back into the history of the ones before when the context
// is kept, some made of several DEFLATE streams ended by BFINAL (RFC 7692
// section 7.2.3.4), some ending with BFINAL rather than a sync flush, some
// empty ("\x00"), handed to the Inflater in pieces of random sizes: every
// message decodes to what was sent, with and without context takeover.
func TestInflaterManyMessages(t *testing.T) {
	count, maxLen := 150, 20000
	if raceEnabled {
		count, maxLen = 40, 5000
	}
	for _, takeover := range []bool{true, false} {
		rng := rand.New(rand.NewPCG(11, 12))
		f := wsproto.NewInflater(wsproto.Server, wsproto.DeflateParams{ClientNoContextTakeover: !takeover}, nil)
		var hist []byte // what the sender's window may refer to
		for i := 0; i < count; i++ {
			var payload, want []byte
			streams := 1 + rng.IntN(3)
			if rng.IntN(10) == 0 {
				payload, streams = []byte{0}, 0 // the empty message (RFC 7692 section 7.2.3.6)
			}
			for s := 0; s < streams; s++ {
				n := rng.IntN(maxLen)
				if rng.IntN(10) == 0 {
					n = 33000 + rng.IntN(30000) // longer than the window
				}
				msg := textLike(n+8, rng.Uint64())[:n]
				if len(hist) > 0 && rng.IntN(2) == 0 {
					a := rng.IntN(len(hist))
					msg = append(msg, hist[a:min(len(hist), a+rng.IntN(2000))]...)
				}
				var buf bytes.Buffer
				w, err := flate.NewWriterDict(&buf, rng.IntN(10), hist[max(0, len(hist)-32768):])
				if err != nil {
					t.Fatal(err)
				}
				w.Write(msg)
				if s == streams-1 && rng.IntN(2) == 0 {
					w.Flush() // the usual ending: a sync flush, its tail removed
					payload = append(payload, bytes.TrimSuffix(buf.Bytes(), []byte{0, 0, 0xff, 0xff})...)
				} else {
					w.Close() // BFINAL: a later stream starts afresh, sharing the window
					payload = append(payload, buf.Bytes()...)
				}
				want = append(want, msg...)
				hist = append(hist, msg...)
			}
			out := []byte("prefix")
			for rest := payload; ; {
				k := min(len(rest), rng.IntN(3000))
				final := k == len(rest)
				var err error
				if out, err = f.Inflate(out, rest[:k], final); err != nil {
					t.Fatalf("takeover %v, message %d: %v", takeover, i, err)
				}
				if final {
					break
				}
				rest = rest[k:]
			}
			if string(out[:6]) != "prefix" || !bytes.Equal(out[6:], want) {
				t.Fatalf("takeover %v, message %d: got %d bytes, want %d", takeover, i, len(out)-6, len(want))
			}
			if !takeover {
				hist = hist[:0]
			}
		}
	}
	// An empty payload is not DEFLATE data (the empty message is "\x00").
	f := wsproto.NewInflater(wsproto.Client, wsproto.DeflateParams{}, nil)
	if out, err := f.Inflate(nil, nil, true); !errors.Is(err, wsproto.ErrInvalidData) || out != nil {
		t.Errorf("empty payload: %q, %v; want ErrInvalidData", out, err)
	}
}

// A PreparedMessage's frames are shared by every connection, from several
// loops at once: appending to what Frame returns (to batch a frame with
// others) must copy it, never write into spare capacity that the same
// append from another connection would overwrite.
func TestPreparedMessageFramesClipped(t *testing.T) {
	for _, n := range []int{5, 200, 5000} {
		m := wsproto.NewPreparedMessage(wsproto.OpBinary, textLike(n, 9), &wsproto.DeflateConfig{})
		for _, p := range []*wsproto.DeflateParams{nil, {}} {
			frame, compressed := m.Frame(p)
			a := append(frame, 'A')
			b := append(frame, 'B')
			if a[len(frame)] != 'A' || b[len(frame)] != 'B' {
				t.Errorf("%d bytes, compressed %v: two appends to the shared frame wrote into the same array", n, compressed)
			}
		}
	}
}
