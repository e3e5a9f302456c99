package load

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/gale-io/gale/bench/internal/h1"
	"github.com/gale-io/gale/wsproto"
)

// The WebSocket client of the ws runs: a hand-written upgrade request, and
// gale's pure codec (wsproto) for framing, masking and permessage-deflate.

// DefaultWSPath is the ws mode's endpoint (bench/DESIGN.md).
const DefaultWSPath = "/ws"

// wsHandshake upgrades c to a WebSocket connection at path: it writes the
// upgrade request (offering permessage-deflate with the defaults when
// compress), reads the response head and checks it (101, Upgrade,
// Connection, Sec-WebSocket-Accept, the extension answer). It returns the
// agreed compression (nil: none) and the bytes read after the head.
func wsHandshake(c net.Conn, host, path string, compress bool, timeout time.Duration) (*wsproto.DeflateParams, []byte, error) {
	var raw [16]byte
	rand.Read(raw[:])
	key := base64.StdEncoding.EncodeToString(raw[:])
	req := "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n"
	if compress {
		req += "Sec-WebSocket-Extensions: " + wsproto.OfferValue(nil) + "\r\n"
	}
	req += "\r\n"
	c.SetDeadline(time.Now().Add(timeout))
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write([]byte(req)); err != nil {
		return nil, nil, fmt.Errorf("upgrade: write: %w", err)
	}
	buf := make([]byte, 0, 1024)
	var hl int
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, make([]byte, len(buf))...)[:len(buf)]
		}
		n, err := c.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		var herr error
		if hl, herr = h1.HeadLen(buf); herr != nil {
			return nil, nil, fmt.Errorf("upgrade: response: %w", herr)
		}
		if hl > 0 {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("upgrade: reading the response: %w", err)
		}
	}
	start, fields := h1.SplitHead(buf[:hl])
	code, err := h1.ParseStatusLine(start)
	if err != nil {
		return nil, nil, fmt.Errorf("upgrade: %w", err)
	}
	if code != 101 {
		return nil, nil, fmt.Errorf("upgrade: status %q, want 101", start)
	}
	var upgrade, connection, accept, exts string
	for _, line := range bytes.Split(fields, []byte("\r\n")) {
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		v := strings.TrimSpace(string(value))
		switch strings.ToLower(string(name)) {
		case "upgrade":
			upgrade = v
		case "connection":
			connection += "," + v
		case "sec-websocket-accept":
			accept = v
		case "sec-websocket-extensions":
			if exts != "" {
				exts += ", "
			}
			exts += v
		}
	}
	switch {
	case !strings.EqualFold(upgrade, "websocket"):
		return nil, nil, fmt.Errorf("upgrade: Upgrade %q, want websocket", upgrade)
	case !hasToken(connection, "upgrade"):
		return nil, nil, fmt.Errorf("upgrade: Connection %q lacks upgrade", strings.TrimPrefix(connection, ","))
	case accept != wsproto.AcceptKey(key):
		return nil, nil, fmt.Errorf("upgrade: Sec-WebSocket-Accept %q, want %q", accept, wsproto.AcceptKey(key))
	}
	var params *wsproto.DeflateParams
	if exts != "" {
		if !compress {
			return nil, nil, fmt.Errorf("upgrade: extensions %q answered to no offer", exts)
		}
		p, err := wsproto.AcceptDeflateResponse(exts, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("upgrade: %w", err)
		}
		params = &p
	}
	return params, bytes.Clone(buf[hl:]), nil
}

func hasToken(list, token string) bool {
	for _, t := range strings.Split(list, ",") {
		if strings.EqualFold(strings.TrimSpace(t), token) {
			return true
		}
	}
	return false
}

// wsIn reads the messages a server sends: bytes read go to space(), are
// accounted with filled, and next returns the whole messages. Payloads are
// copied (and inflated) into one reused buffer.
type wsIn struct {
	rd         *wsproto.Reader
	infl       *wsproto.Inflater // nil without compression
	buf        []byte            // unparsed bytes at buf[start:have]
	start      int
	have       int
	msg        []byte // the current message's payload
	op         wsproto.Opcode
	compressed bool
	max        int // the largest message expected
}

func newWSIn(params *wsproto.DeflateParams, bufSize, maxMsg int, leftover []byte) *wsIn {
	in := &wsIn{
		rd:  wsproto.NewReader(wsproto.Client, &wsproto.ReaderOptions{MaxMessageSize: maxMsg + 1024, Deflate: params != nil}),
		buf: make([]byte, max(bufSize, 2*len(leftover), 512)),
		msg: make([]byte, 0, maxMsg),
		max: maxMsg,
	}
	if params != nil {
		in.infl = wsproto.NewInflater(wsproto.Client, *params, &wsproto.DeflateConfig{MaxDecompressedSize: maxMsg + 1})
	}
	in.have = copy(in.buf, leftover)
	return in
}

// space is where the next read goes; never empty.
func (in *wsIn) space() []byte {
	switch {
	case in.start == in.have:
		in.start, in.have = 0, 0
	case len(in.buf)-in.have < 256:
		in.have = copy(in.buf, in.buf[in.start:in.have])
		in.start = 0
	}
	return in.buf[in.have:]
}

func (in *wsIn) filled(n int) { in.have += n }

// next parses the buffered bytes and returns the next whole message, or
// ok false when more bytes are needed. The message is valid until the
// next call.
func (in *wsIn) next() (op wsproto.Opcode, msg []byte, ok bool, err error) {
	for {
		ev, used, err := in.rd.Next(in.buf[in.start:in.have])
		in.start += used
		if err != nil {
			return 0, nil, false, err
		}
		switch ev.Kind {
		case wsproto.NeedMore:
			return 0, nil, false, nil
		case wsproto.MessageStart:
			in.op, in.compressed, in.msg = ev.Opcode, ev.Compressed, in.msg[:0]
		case wsproto.Data:
			if in.compressed {
				in.infl.Inflate(nil, ev.Payload, false) // keeps a copy
				continue
			}
			if len(in.msg)+len(ev.Payload) > in.max {
				return 0, nil, false, fmt.Errorf("a message longer than the %d bytes expected", in.max)
			}
			in.msg = append(in.msg, ev.Payload...)
		case wsproto.MessageEnd:
			if in.compressed {
				if in.msg, err = in.infl.Inflate(in.msg[:0], nil, true); err != nil {
					return 0, nil, false, err
				}
			}
			return in.op, in.msg, true, nil
		case wsproto.Ping:
			return 0, nil, false, errors.New("an unexpected ping (the ws mode's servers do not ping)")
		case wsproto.Pong:
		case wsproto.Close:
			return 0, nil, false, fmt.Errorf("the server closed the WebSocket: %v %q", ev.Code, ev.Payload)
		}
	}
}

// wsOut writes a client's messages: masked with a fresh key per frame and
// compressed when agreed (messages from wsproto's threshold up).
type wsOut struct {
	defl *wsproto.Deflater // nil without compression
	rnd  uint64
}

func newWSOut(params *wsproto.DeflateParams, seed int) *wsOut {
	o := &wsOut{rnd: uint64(seed)*0x9e3779b97f4a7c15 | 1}
	if params != nil {
		o.defl = wsproto.NewDeflater(wsproto.Client, *params, nil)
	}
	return o
}

// append appends one message frame to dst.
func (o *wsOut) append(dst []byte, op wsproto.Opcode, payload []byte) []byte {
	// xorshift64: the key need not be secret against a benchmark server,
	// only different for every frame (RFC 6455 section 5.3).
	o.rnd ^= o.rnd << 13
	o.rnd ^= o.rnd >> 7
	o.rnd ^= o.rnd << 17
	key := [4]byte{byte(o.rnd), byte(o.rnd >> 8), byte(o.rnd >> 16), byte(o.rnd >> 24)}
	return wsproto.AppendMessage(dst, op, true, key, payload, o.defl)
}

// wsClient is a blocking client connection (the idle and broadcast runs).
type wsClient struct {
	c       net.Conn
	id      int
	in      *wsIn
	out     *wsOut
	deflate bool // permessage-deflate was agreed
	wbuf    []byte
}

// dialWS upgrades an open connection to a wsClient.
func newWSClient(c net.Conn, id int, host, path string, compress bool, maxMsg int, timeout time.Duration) (*wsClient, error) {
	params, left, err := wsHandshake(c, host, path, compress, timeout)
	if err != nil {
		return nil, err
	}
	return &wsClient{c: c, id: id, in: newWSIn(params, 1024, maxMsg, left), out: newWSOut(params, id),
		deflate: params != nil}, nil
}

// write sends one message.
func (w *wsClient) write(op wsproto.Opcode, payload []byte) error {
	w.wbuf = w.out.append(w.wbuf[:0], op, payload)
	if _, err := w.c.Write(w.wbuf); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// read returns the next whole message, valid until the next read.
func (w *wsClient) read() (wsproto.Opcode, []byte, error) {
	for {
		op, msg, ok, err := w.in.next()
		if err != nil || ok {
			return op, msg, err
		}
		n, err := w.c.Read(w.in.space())
		w.in.filled(n)
		if err != nil && n == 0 {
			return 0, nil, fmt.Errorf("read: %w", err)
		}
	}
}

// echo writes binary message seq and checks its echo within timeout.
func (w *wsClient) echo(seq uint64, size int, scratch []byte, timeout time.Duration) error {
	w.c.SetDeadline(time.Now().Add(timeout))
	defer w.c.SetDeadline(time.Time{})
	fillMsg(scratch[:size], w.id, seq)
	if err := w.write(wsproto.OpBinary, scratch[:size]); err != nil {
		return err
	}
	op, msg, err := w.read()
	switch {
	case err != nil:
		return fmt.Errorf("reading the echo: %w", err)
	case op != wsproto.OpBinary:
		return fmt.Errorf("the echo of a binary message is %v", op)
	case len(msg) != size:
		return fmt.Errorf("an echo of %d bytes, sent %d", len(msg), size)
	}
	return checkMsg(msg, w.id, seq)
}
