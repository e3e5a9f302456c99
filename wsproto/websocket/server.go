package websocket

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"unsafe"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/httpproto/httpserver"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/wsproto"
)

// Upgrade answers a WebSocket opening handshake (RFC 6455 section 4.2)
// from an httpserver Handler, on the connection's loop, and turns the
// connection into a WebSocket served by h: Tornado's WebSocketHandler.get.
//
// It checks the request: a GET (else 405), HTTP/1.1, Upgrade: websocket
// and Connection: upgrade (else 400), the Origin against
// opts.CheckOrigin (else 403), Sec-WebSocket-Version 13 (else 426 with
// Sec-WebSocket-Version: 13), a non-empty Host and a valid
// Sec-WebSocket-Key (else 400). A failed check is answered (with the
// fields the handler set on w, less framing ones, and Connection: close),
// the response finished and a *HandshakeError returned.
// Otherwise it selects the subprotocol, negotiates permessage-deflate if
// opts.Compression is set (an offer with unknown parameters is declined
// and the next one considered), sends the 101 with opts.Header's extra
// fields, and takes the stream over (ResponseWriter.Detach): w and r must
// not be used again. Bytes the client sent right after the request are
// read first.
//
// h.OnOpen runs on a later turn of the loop, then reading starts; the
// returned Conn may be written to at once.
func Upgrade(w *httpserver.ResponseWriter, r *httpserver.Request, h Handler, opts *ServerOptions) (*Conn, error) {
	// The handshake reads the request through views of its bytes, which
	// stay valid until Detach below; negotiate copies what outlives it.
	// An upgrade thus leaves no garbage of the request behind.
	var sc viewScratch
	fields := &r.Header
	req := upgradeRequest{
		method:     view(r.RawMethod),
		http11:     r.Version >= httpproto.HTTP11,
		host:       view(r.Host),
		upgrade:    sc.values(0, fields, "Upgrade"),
		connection: sc.values(1, fields, "Connection"),
		origin:     sc.values(2, fields, "Origin"),
		version:    sc.values(3, fields, "Sec-WebSocket-Version"),
		key:        sc.values(4, fields, "Sec-WebSocket-Key"),
		protocols:  sc.values(5, fields, "Sec-WebSocket-Protocol"),
		extensions: sc.values(6, fields, "Sec-WebSocket-Extensions"),
	}
	if len(req.origin) == 0 {
		req.origin = sc.values(2, fields, "Sec-WebSocket-Origin")
	}
	a := negotiate(&req, opts)
	if a.status != 101 {
		// The program's own fields (CORS, a cookie) go with the refusal,
		// as Tornado and UpgradeHTTP (http.Error) keep them; those that
		// would misframe or mislabel the text body do not.
		for _, name := range []string{"Content-Length", "Transfer-Encoding", "Content-Encoding", "Content-Range"} {
			w.Header().Del(name)
		}
		a.errorHeader(w.Header())
		w.Respond(a.status, "text/plain; charset=utf-8", []byte(a.reason+"\n"))
		return nil, a.error()
	}
	w.SetStatus(101, "")
	a.responseHeader(w.Header(), opts)
	if err := w.SendHead(); err != nil {
		return nil, err
	}
	st, err := w.Detach()
	if err != nil {
		return nil, err
	}
	c := newConn(st, wsproto.Server, h, opts.config(), a.comp, a.subprotocol)
	if err := st.Loop().Post(c.open); err != nil {
		st.Close()
		return nil, err
	}
	return c, nil
}

// streamer is the hijacked net.Conn of httpserver.NetHTTP: it can hand its
// stream to a protocol that runs on the loop.
type streamer interface {
	Stream() *stream.Stream
}

// UpgradeHTTP is Upgrade for a net/http Handler served on gale by
// httpserver.NetHTTP, on the handler's goroutine: it makes the same checks
// (answering failures with http.Error), hijacks the connection, takes its
// stream and continues on the stream's loop, where h's methods run. It
// returns once the 101 is queued; from this goroutine, use the Conn only
// through c.Loop().Post.
//
// A connection that is not served by httpserver.NetHTTP (net/http's own
// server, say) cannot be taken over: UpgradeHTTP then answers 501 (no
// hijacking) or 500 (a hijacked connection of another kind, which it
// closes) and returns a *HandshakeError wrapping ErrNotHijackable.
func UpgradeHTTP(w http.ResponseWriter, r *http.Request, h Handler, opts *ServerOptions) (*Conn, error) {
	req := upgradeRequest{
		method:     r.Method,
		http11:     r.ProtoAtLeast(1, 1),
		host:       r.Host,
		upgrade:    r.Header.Values("Upgrade"),
		connection: r.Header.Values("Connection"),
		origin:     r.Header.Values("Origin"),
		version:    r.Header.Values("Sec-WebSocket-Version"),
		key:        r.Header.Values("Sec-WebSocket-Key"),
		protocols:  r.Header.Values("Sec-WebSocket-Protocol"),
		extensions: r.Header.Values("Sec-WebSocket-Extensions"),
	}
	if len(req.origin) == 0 {
		req.origin = r.Header.Values("Sec-WebSocket-Origin")
	}
	a := negotiate(&req, opts)
	if a.status != 101 {
		var eh httpproto.Headers
		a.errorHeader(&eh)
		for name, value := range eh.All() {
			w.Header().Set(string(name), string(value))
		}
		http.Error(w, a.reason, a.status)
		return nil, a.error()
	}
	// The fields the handler set on w.Header() (a cookie, say) go with the
	// 101, as they do through Upgrade's ResponseWriter.
	var head httpproto.Headers
	for name, values := range w.Header() {
		for _, v := range values {
			head.Add(name, v)
		}
	}
	a.responseHeader(&head, opts)
	resp, err := httpproto.AppendResponseHead(nil, 101, "", &head)
	if err != nil {
		http.Error(w, "invalid response header", 500)
		return nil, &HandshakeError{Status: 500, Reason: "invalid 101 header", Err: err}
	}
	nc, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "WebSocket needs a hijackable connection", 501)
		return nil, &HandshakeError{Status: 501, Reason: "cannot hijack", Err: fmt.Errorf("%w: %w", ErrNotHijackable, err)}
	}
	sc, ok := nc.(streamer)
	if !ok {
		nc.Write([]byte("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
		nc.Close()
		return nil, &HandshakeError{Status: 500, Reason: fmt.Sprintf("hijacked a %T", nc), Err: ErrNotHijackable}
	}
	st := sc.Stream()
	cfg := opts.config()
	// loop.Call, not a bare Post: if the loop closes before the function
	// runs, the handler's goroutine gets loop.ErrClosed instead of waiting
	// for ever.
	c, err := loop.Call(context.Background(), st.Loop(), func() (*Conn, error) {
		if st.Closed() {
			return nil, ErrClosed
		}
		if err := st.Write(resp, nil); err != nil {
			st.Close()
			return nil, err
		}
		c := newConn(st, wsproto.Server, h, cfg, a.comp, a.subprotocol)
		c.open()
		return c, nil
	})
	if err != nil {
		if errors.Is(err, stream.ErrClosed) || errors.Is(err, loop.ErrClosed) {
			err = ErrClosed
		}
		return nil, err
	}
	return c, nil
}

// viewScratch holds, on Upgrade's stack, the views of the request's
// handshake fields: up to two values per field without allocating.
type viewScratch struct {
	raw  [7][2][]byte
	strs [7][2]string
}

// values returns the values of the fields named name as strings viewing
// h's bytes (see view), in slot i of the scratch.
func (sc *viewScratch) values(i int, h *httpproto.Headers, name string) []string {
	raw := h.AppendValues(sc.raw[i][:0], name)
	out := sc.strs[i][:0]
	for _, v := range raw {
		out = append(out, view(v))
	}
	return out
}

// view returns b's bytes as a string without copying them: valid only as
// long as b is (here: until the request is detached).
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}
