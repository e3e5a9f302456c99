package websocket

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/gale-io/gale/wsproto"
)

// Config.MaxMessageSize caps a compressed message after decompression too
// (docs/websocket.md; Tornado's max_message_size caps the decompressor's
// output): a message a few hundred bytes on the wire that inflates past
// it fails with 1009, even when Compression.MaxDecompressedSize is left at
// its default.
func TestMaxMessageSizeCapsInflated(t *testing.T) {
	const max = 4 << 10
	addr, recs := abServer(t, &ServerOptions{Config: Config{MaxMessageSize: max, Compression: &wsproto.DeflateConfig{}}})
	d := wsproto.NewDeflater(wsproto.Client, wsproto.DeflateParams{ClientNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}, &wsproto.DeflateConfig{Threshold: 1})
	bomb := d.Compress(nil, make([]byte, 64<<10))
	if len(bomb) >= max {
		t.Fatalf("compressed to %d bytes", len(bomb))
	}
	tc := abCase{name: "bomb", send: [][]byte{frame(true, true, wsproto.OpBinary, bomb)}, close: wsproto.CloseMessageTooBig,
		ext: "permessage-deflate; client_no_context_takeover"}
	runAB(t, addr, recs, tc, false)
	// A message within the limit still goes through.
	ok := d.Compress(nil, make([]byte, max))
	tc = abCase{name: "at the limit", send: [][]byte{frame(true, true, wsproto.OpBinary, ok)}, echo: []rawFrame{binMsg(make([]byte, max))},
		ext: "permessage-deflate; client_no_context_takeover"}
	runAB(t, addr, recs, tc, false)
}

// The same on a client: Dial's Config.MaxMessageSize caps what a server's
// compressed message inflates to.
func TestMaxMessageSizeCapsInflatedClient(t *testing.T) {
	const max = 4 << 10
	l := clientLoop(t)
	gotClose := make(chan wsproto.CloseCode, 1)
	url := rawServer(t, func(c net.Conn, br *bufio.Reader, req *http.Request) {
		d := wsproto.NewDeflater(wsproto.Server, wsproto.DeflateParams{ServerNoContextTakeover: true}, &wsproto.DeflateConfig{Threshold: 1})
		bomb := wsproto.AppendFrame(nil, true, true, wsproto.OpBinary, false, [4]byte{}, d.Compress(nil, make([]byte, 64<<10)))
		io.WriteString(c, accept101(req, "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n")+string(bomb))
		code := wsproto.CloseCode(0)
		if f, err := readClientFrame(br); err == nil && f.op == wsproto.OpClose && len(f.payload) >= 2 {
			code = wsproto.CloseCode(binary.BigEndian.Uint16(f.payload))
		}
		gotClose <- code
	})
	rec := newRecorder()
	rec.noEcho = true
	if _, err := dialSync(t, l, url, rec, &DialOptions{Config: Config{MaxMessageSize: max, Compression: &wsproto.DeflateConfig{}}}); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-gotClose:
		if code != wsproto.CloseMessageTooBig {
			t.Errorf("the client sent close %d, want 1009", code)
		}
	case m := <-rec.msgs:
		t.Fatalf("a message of %d bytes was delivered past MaxMessageSize %d", len(m.data), max)
	}
	if e := rec.waitClose(t); !errors.Is(e.Err, wsproto.ErrTooBig) {
		t.Errorf("OnClose %+v", e)
	}
}
