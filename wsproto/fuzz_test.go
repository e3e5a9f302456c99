package wsproto_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gale-io/gale/wsproto"
)

// The fuzz targets' only allowed outcomes are events and *wsproto.Error
// values; any panic, or any disagreement between two splits of the same
// input, is a bug. Their seeds are the golden tables, plus the files in
// testdata/fuzz/<FuzzName>/ (regenerate those with WSPROTO_WRITE_CORPUS=1
// go test -run TestWriteFuzzCorpus).

const fuzzMaxMessage = 1 << 16

// readerSeeds are the small golden and Autobahn cases.
func readerSeeds() []readerCase {
	var seeds []readerCase
	for _, group := range [][]readerCase{goldenCases(), family2(), family3(), family4(), family5(), family6(), family7()} {
		for _, c := range group {
			if len(c.wire) <= 1024 {
				seeds = append(seeds, c)
			}
		}
	}
	return seeds
}

func FuzzReader(f *testing.F) {
	for _, c := range readerSeeds() {
		f.Add(c.wire, c.role == wsproto.Client, c.opts != nil && c.opts.Deflate, uint16(len(c.wire)/2))
	}
	f.Fuzz(func(t *testing.T, data []byte, client, deflate bool, cut uint16) {
		role := wsproto.Server
		if client {
			role = wsproto.Client
		}
		opts := &wsproto.ReaderOptions{Deflate: deflate, MaxMessageSize: fuzzMaxMessage}
		whole := feed(wsproto.NewReader(role, opts), data, nil)
		checkFuzzResult(t, whole, deflate)
		runs := map[string]result{
			"split": feed(wsproto.NewReader(role, opts), data, []int{int(cut) % (len(data) + 1)}),
		}
		if len(data) <= 4096 {
			cuts := make([]int, 0, len(data))
			for i := 1; i < len(data); i++ {
				cuts = append(cuts, i)
			}
			runs["bytewise"] = feed(wsproto.NewReader(role, opts), data, cuts)
		}
		for how, res := range runs {
			if !equalEvents(res.events, whole.events) || !sameError(res.err, whole.err) {
				t.Fatalf("%s gives %v %v, whole %v %v", how, res.events, res.err, whole.events, whole.err)
			}
		}
	})
}

func sameError(a, b error) bool {
	var ea, eb *wsproto.Error
	if a == nil || b == nil {
		return a == b
	}
	return errors.As(a, &ea) && errors.As(b, &eb) && ea.Code == eb.Code && ea.Reason == eb.Reason && ea.Fault == eb.Fault
}

// checkFuzzResult checks that the outcome is well formed: a typed error
// blaming the peer, and events in an order the protocol allows.
func checkFuzzResult(t *testing.T, res result, deflate bool) {
	t.Helper()
	if res.err != nil {
		var e *wsproto.Error
		if !errors.As(res.err, &e) || e.Fault != wsproto.PeerFault {
			t.Fatalf("error %v (%T) is not a peer *wsproto.Error", res.err, res.err)
		}
		switch {
		case e.Code == wsproto.CloseProtocolError && errors.Is(e, wsproto.ErrProtocol):
		case e.Code == wsproto.CloseInvalidPayload && errors.Is(e, wsproto.ErrInvalidData):
		case e.Code == wsproto.CloseMessageTooBig && errors.Is(e, wsproto.ErrTooBig):
		default:
			t.Fatalf("error %v: code and kind disagree", e)
		}
	}
	inMsg, text, compressed, size := false, false, false, 0
	var msgData []byte
	for i, e := range res.events {
		switch e.kind {
		case wsproto.MessageStart:
			if inMsg || (e.op != wsproto.OpText && e.op != wsproto.OpBinary) || (e.compressed && !deflate) {
				t.Fatalf("event %d %v", i, e)
			}
			inMsg, text, compressed, size, msgData = true, e.op == wsproto.OpText, e.compressed, 0, msgData[:0]
		case wsproto.Data:
			if !inMsg || e.payload == "" {
				t.Fatalf("event %d %v outside a message", i, e)
			}
			size += len(e.payload)
			msgData = append(msgData, e.payload...)
			if size > fuzzMaxMessage {
				t.Fatalf("message of %d bytes", size)
			}
		case wsproto.MessageEnd:
			if !inMsg {
				t.Fatalf("event %d %v outside a message", i, e)
			}
			if text && !compressed && !utf8.Valid(msgData) {
				t.Fatalf("text message is not UTF-8: %q", msgData)
			}
			inMsg = false
		case wsproto.Ping, wsproto.Pong:
			if len(e.payload) > 125 {
				t.Fatalf("control payload of %d bytes", len(e.payload))
			}
		case wsproto.Close:
			if i != len(res.events)-1 || !utf8.ValidString(e.payload) ||
				!(wsproto.ValidWireCloseCode(e.code) || e.code == wsproto.CloseNoStatusReceived && e.payload == "") {
				t.Fatalf("event %d %v", i, e)
			}
		default:
			t.Fatalf("event %d %v", i, e)
		}
	}
}

func FuzzUTF8Validator(f *testing.F) {
	for _, s := range append(append([]string{"", "ascii only", pattern(40)}, utf8Valid...), utf8Invalid...) {
		f.Add([]byte(s), uint8(len(s)/2))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		want, wantPrefix := utf8.Valid(data), validPrefix(data)
		var v wsproto.UTF8Validator
		if ok := v.Write(data); ok != wantPrefix || v.Done() != want {
			t.Fatalf("% x: Write %v Done %v, want %v %v", data, ok, v.Done(), wantPrefix, want)
		}
		k := int(cut) % (len(data) + 1)
		v.Reset()
		ok := v.Write(data[:k])
		ok = v.Write(data[k:]) && ok
		if ok != wantPrefix || v.Done() != want {
			t.Fatalf("% x split at %d: Write %v Done %v, want %v %v", data, k, ok, v.Done(), wantPrefix, want)
		}
	})
}

func FuzzExtensions(f *testing.F) {
	for _, c := range extensionCases {
		f.Add(c.in)
	}
	for _, s := range extensionErrors {
		f.Add(s)
	}
	for _, c := range negotiationCases {
		f.Add(c.offer)
	}
	f.Fuzz(func(t *testing.T, value string) {
		exts, err := wsproto.ParseExtensions(value)
		if err != nil {
			if !errors.Is(err, wsproto.ErrHandshake) || exts != nil {
				t.Fatalf("error %v with %v", err, exts)
			}
			return
		}
		var parts []string
		for _, e := range exts {
			parts = append(parts, e.String())
		}
		again, err := wsproto.ParseExtensions(strings.Join(parts, ", "))
		if err != nil || !reflect.DeepEqual(again, exts) {
			t.Fatalf("%q: reformatted as %q it parses as %+v, %v", value, strings.Join(parts, ", "), again, err)
		}
		p, resp, ok := wsproto.NegotiateDeflateServer(exts, nil)
		if !ok {
			return
		}
		// A client that offered everything accepts the answer, and agrees.
		cp, err := wsproto.AcceptDeflateResponse(resp, nil)
		if err != nil || cp != p {
			t.Fatalf("%q: server %+v %q, client %+v %v", value, p, resp, cp, err)
		}
	})
}

func FuzzInflater(f *testing.F) {
	for _, s := range []string{
		"\xf2\x48\xcd\xc9\xc9\x07\x00", "\x00\x05\x00\xfa\xff\x48\x65\x6c\x6c\x6f\x00",
		"\xf3\x48\xcd\xc9\xc9\x07\x00\x00", "\xf2\x48\x05\x00\x00\x00\xff\xff\xca\xc9\xc9\x07\x00", "", "\x00", "\x03\x00",
	} {
		f.Add([]byte(s), uint16(len(s)/2), true)
	}
	d := wsproto.NewDeflater(wsproto.Client, wsproto.DeflateParams{}, nil)
	for _, n := range []int{10, 300, 5000} {
		f.Add(d.Compress(nil, textLike(n, uint64(n))), uint16(n/3), n == 300)
	}
	f.Add(d.Compress(nil, make([]byte, 1<<21)), uint16(7), false) // a bomb over the limit
	// The round trip below needs a compressor without history: the fuzz
	// function runs many times in one process.
	rt := wsproto.NewDeflater(wsproto.Client, wsproto.DeflateParams{ClientNoContextTakeover: true}, nil)
	f.Fuzz(func(t *testing.T, data []byte, cut uint16, takeover bool) {
		const limit = 1 << 20
		p := wsproto.DeflateParams{ClientNoContextTakeover: !takeover}
		cfg := &wsproto.DeflateConfig{MaxDecompressedSize: limit}
		inf := wsproto.NewInflater(wsproto.Server, p, cfg)
		out, err := inf.Inflate(nil, data, true)
		if err != nil {
			if !errors.Is(err, wsproto.ErrInvalidData) && !errors.Is(err, wsproto.ErrTooBig) || out != nil {
				t.Fatalf("Inflate: %d bytes, %v", len(out), err)
			}
		} else if len(out) > limit {
			t.Fatalf("Inflate gave %d bytes over a limit of %d", len(out), limit)
		}
		k := int(cut) % (len(data) + 1)
		inf2 := wsproto.NewInflater(wsproto.Server, p, cfg)
		if kept, err := inf2.Inflate([]byte("x"), data[:k], false); err != nil || string(kept) != "x" {
			t.Fatalf("a non-final piece gave %q, %v", kept, err)
		}
		out2, err2 := inf2.Inflate(nil, data[k:], true)
		if !bytes.Equal(out, out2) || (err == nil) != (err2 == nil) {
			t.Fatalf("in two pieces: %d bytes, %v; whole: %d bytes, %v", len(out2), err2, len(out), err)
		}
		if err != nil {
			return
		}
		// What came out goes back in and out again.
		again, err := wsproto.NewInflater(wsproto.Client, wsproto.DeflateParams{}, nil).Inflate(nil, rt.Compress(nil, out), true)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("round trip of %d bytes: %d bytes, %v", len(out), len(again), err)
		}
		// The Inflater goes on working after a message.
		if _, err := inf.Inflate(nil, []byte("\x02\x00"), true); err != nil {
			t.Fatalf("empty message after a good one: %v", err)
		}
	})
}

// TestWriteFuzzCorpus writes a few seeds of each target as corpus files, in
// Go's "go test fuzz v1" format, when WSPROTO_WRITE_CORPUS=1.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("WSPROTO_WRITE_CORPUS") != "1" {
		t.Skip("set WSPROTO_WRITE_CORPUS=1 to regenerate testdata/fuzz")
	}
	write := func(target, name string, values ...string) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		body := "go test fuzz v1\n" + strings.Join(values, "\n") + "\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range readerSeeds() {
		if !strings.HasPrefix(c.name, "rfc/") && !strings.HasPrefix(c.name, "close/") && !strings.HasPrefix(c.name, "5.") {
			continue
		}
		name := strings.NewReplacer("/", "-", " ", "_", ",", "").Replace(c.name)
		write("FuzzReader", name, fmt.Sprintf("[]byte(%q)", c.wire), fmt.Sprintf("bool(%v)", c.role == wsproto.Client),
			fmt.Sprintf("bool(%v)", c.opts != nil && c.opts.Deflate), fmt.Sprintf("uint16(%d)", len(c.wire)/2))
	}
	for i, s := range utf8Invalid[:8] {
		write("FuzzUTF8Validator", fmt.Sprintf("invalid-%d", i), fmt.Sprintf("[]byte(%q)", s), fmt.Sprintf("uint8(%d)", len(s)/2))
	}
	for i, c := range negotiationCases[:10] {
		write("FuzzExtensions", fmt.Sprintf("offer-%d", i), fmt.Sprintf("string(%q)", c.offer))
	}
	write("FuzzInflater", "rfc-hello", `[]byte("\xf2H\xcd\xc9\xc9\a\x00")`, "uint16(3)", "bool(true)")
	write("FuzzInflater", "rfc-bfinal", `[]byte("\xf3H\xcd\xc9\xc9\a\x00\x00")`, "uint16(4)", "bool(false)")
	write("FuzzInflater", "rfc-two-blocks", `[]byte("\xf2H\x05\x00\x00\x00\xff\xff\xca\xc9\xc9\a\x00")`, "uint16(6)", "bool(true)")
}
