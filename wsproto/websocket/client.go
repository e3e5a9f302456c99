package websocket

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpclient"
	"github.com/gale-io/gale/wsproto"
)

// DialOptions configure Dial. A nil *DialOptions means all defaults.
type DialOptions struct {
	Config
	// Header holds extra request fields: Origin, Cookie, Authorization,
	// User-Agent... A Host field replaces the one taken from the URL. The
	// fields the handshake itself sets (Upgrade, Connection,
	// Sec-WebSocket-Key, -Version, -Extensions) are ignored here. A
	// Sec-WebSocket-Protocol field is sent when Subprotocols is empty, and
	// its values are then the offer.
	Header *httpproto.Headers
	// Subprotocols are offered in this order of preference (replacing a
	// Sec-WebSocket-Protocol field in Header); the server's choice must be
	// one of them.
	Subprotocols []string
	// HandshakeTimeout bounds the whole opening: name resolution, TCP
	// connect, TLS and the HTTP exchange. Default DefaultHandshakeTimeout
	// (20 s, Tornado's connect_timeout and request_timeout).
	HandshakeTimeout time.Duration
	// TLS configures wss:// connections (ALPN offers only "http/1.1" when
	// NextProtos names anything else); ServerName defaults to the URL's
	// host. Default: crypto/tls defaults (the certificate is verified).
	TLS *tls.Config
	// TCP configures the connect (resolver, address family, source
	// address, stream options). Its Timeout and TLS are overridden by
	// HandshakeTimeout and TLS.
	TCP *tcpclient.Options
}

// Dial opens a WebSocket connection to url (ws://host[:port]/path?query or
// wss://...) on loop l, served by h: Tornado's websocket_connect. It must
// be called on l's goroutine (or before l runs). cb is called exactly once
// on l, never inside Dial: on success with (c, nil) right after h.OnOpen(c);
// on failure with (nil, err) and no method of h is called. err is a
// *tcpclient.Error when the connect failed, a *HandshakeError when the
// server answered but not with an acceptable 101 (Status is its status when
// that was not 101), or a context error on timeout or cancellation.
//
// The client sends a random Sec-WebSocket-Key (crypto/rand), offers
// opts.Subprotocols and, with opts.Compression, permessage-deflate; it
// checks the 101's Upgrade, Connection and Sec-WebSocket-Accept fields, that
// the subprotocol chosen is one it offered and the extension answer one it
// may accept (RFC 7692 section 5). Frames the server sent right behind the
// 101 are read first. Credentials in the URL (ws://user:pass@host/) are
// sent as a Basic Authorization field unless opts.Header has one, as
// Tornado does.
func Dial(ctx context.Context, l *loop.Loop, url string, h Handler, opts *DialOptions, cb func(*Conn, error)) {
	if opts == nil {
		opts = &defaultDialOptions
	}
	d := &dialer{ctx: ctx, l: l, h: h, opts: opts, cb: cb}
	if err := d.start(url); err != nil {
		d.done = true
		l.Post(func() { cb(nil, err) })
	}
}

var defaultDialOptions DialOptions

// dialer is one Dial in progress.
type dialer struct {
	ctx  context.Context
	l    *loop.Loop
	h    Handler
	opts *DialOptions
	cb   func(*Conn, error)

	host   string // for the Host field
	target string
	auth   string // Basic credentials from the URL's userinfo, or ""
	key    string
	protos []string // the subprotocols the request offers
	st     *stream.Stream
	p      httpproto.Parser
	used   int
	expire time.Time
	timer  loop.Timer
	stop   func() bool // stops watching ctx
	done   bool
}

func (d *dialer) start(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("websocket: bad URL: %w", err)
	}
	secure := false
	switch strings.ToLower(u.Scheme) {
	case "ws", "http":
	case "wss", "https":
		secure = true
	default:
		return fmt.Errorf("websocket: bad URL scheme %q (want ws or wss)", u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("websocket: URL %q has no host", rawURL)
	}
	port := 80
	if secure {
		port = 443
	}
	if ps := u.Port(); ps != "" {
		if port, err = strconv.Atoi(ps); err != nil || port <= 0 || port > 65535 {
			return fmt.Errorf("websocket: bad port in URL %q", rawURL)
		}
	}
	d.host, d.target = u.Host, u.RequestURI()
	if u.User != nil {
		// As Tornado's websocket_connect and httpclient do: the URL's
		// credentials become a Basic Authorization field (RFC 7617).
		user := u.User.Username()
		pass, _ := u.User.Password()
		if user != "" || pass != "" {
			d.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
		}
	}
	var raw [16]byte
	rand.Read(raw[:])
	d.key = base64.StdEncoding.EncodeToString(raw[:])

	timeout := d.opts.HandshakeTimeout
	if timeout <= 0 {
		timeout = DefaultHandshakeTimeout
	}
	d.expire = time.Now().Add(timeout)
	var to tcpclient.Options
	if d.opts.TCP != nil {
		to = *d.opts.TCP
	}
	to.Timeout = timeout
	to.NoDelay = true
	to.TLS = nil
	if secure {
		to.TLS = d.opts.TLS
		if to.TLS == nil {
			to.TLS = &tls.Config{}
		}
		if p := to.TLS.NextProtos; len(p) > 0 && (len(p) > 1 || p[0] != "http/1.1") {
			// The opening handshake is HTTP/1.1 (RFC 6455): a
			// configuration that also offers "h2" must not let the
			// server pick HTTP/2, on which the upgrade would fail.
			to.TLS = to.TLS.Clone()
			to.TLS.NextProtos = []string{"http/1.1"}
		}
	}
	tcpclient.Connect(d.ctx, d.l, host, port, &to, d.connected)
	return nil
}

func (d *dialer) connected(st *stream.Stream, err error) {
	if err != nil {
		d.finish(nil, err)
		return
	}
	d.st = st
	d.timer = d.l.CallLater(time.Until(d.expire), d.timedOut)
	d.stop = context.AfterFunc(d.ctx, func() { d.l.Post(d.cancelled) })
	head, err := d.request()
	if err != nil {
		d.fail(err)
		return
	}
	if err := st.Write(head, nil); err != nil {
		d.fail(err)
		return
	}
	d.p.InitResponse(nil)
	d.p.ExpectResponseTo(httpproto.MethodGet)
	d.read()
}

// request builds the opening handshake (RFC 6455 section 4.1).
func (d *dialer) request() ([]byte, error) {
	var h httpproto.Headers
	h.Set("Host", d.host)
	if d.opts.Header != nil {
		for name, value := range d.opts.Header.All() {
			switch strings.ToLower(string(name)) {
			case "upgrade", "connection", "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions":
			case "host":
				h.Set("Host", string(value))
			default:
				h.AddBytes(name, value)
			}
		}
	}
	if d.auth != "" && !h.Has("Authorization") {
		h.Set("Authorization", d.auth)
	}
	h.Set("Upgrade", "websocket")
	h.Set("Connection", "Upgrade")
	h.Set("Sec-WebSocket-Key", d.key)
	h.Set("Sec-WebSocket-Version", "13")
	if len(d.opts.Subprotocols) > 0 {
		h.Set("Sec-WebSocket-Protocol", strings.Join(d.opts.Subprotocols, ", "))
	}
	// What the server may choose from: Subprotocols, or a field given in
	// Header (RFC 6455 section 4.1: one "present in the client's
	// handshake").
	d.protos = d.protos[:0]
	for _, v := range h.Values("Sec-WebSocket-Protocol") {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				d.protos = append(d.protos, p)
			}
		}
	}
	if d.opts.Compression != nil {
		h.Set("Sec-WebSocket-Extensions", wsproto.OfferValue(d.opts.Compression))
	}
	return httpproto.AppendRequestHead(nil, "GET", d.target, &h)
}

func (d *dialer) read() {
	want := len(d.st.Buffered()) + 1
	if err := d.st.Peek(want, d.onData); err != nil {
		d.fail(err)
	}
}

// onData parses the response head in place; the bytes after it are the
// server's first frames and stay buffered for the Conn.
func (d *dialer) onData(buf []byte, rerr error) {
	if d.done {
		return
	}
	used := 0
	for {
		ev, n, err := d.p.Next(buf[used:])
		used += n
		if err != nil {
			d.fail(&HandshakeError{Reason: "malformed response", Err: err})
			return
		}
		switch ev.Kind {
		case httpproto.HeadDone:
			resp := d.p.Response()
			if resp.Status >= 100 && resp.Status < 200 && resp.Status != 101 {
				continue // interim
			}
			if resp.Status != 101 {
				hdr := resp.Header.Clone()
				d.fail(&HandshakeError{Status: resp.Status, Reason: string(resp.Reason), Header: &hdr})
				return
			}
			continue // Switched follows
		case httpproto.Switched:
			d.st.Consume(used)
			d.switched()
			return
		case httpproto.None:
			if n > 0 {
				continue
			}
		default:
			continue
		}
		break
	}
	if rerr != nil {
		d.fail(&HandshakeError{Reason: "connection closed before the handshake's answer", Err: transportCause(rerr)})
		return
	}
	// The interim (1xx) heads parsed are done with: the parser expects
	// what follows them, not the same bytes again, at its next call.
	d.st.Consume(used)
	d.read()
}

// switched checks the 101 and hands the stream to a new Conn.
func (d *dialer) switched() {
	resp := d.p.Response()
	h := &resp.Header
	bad := func(reason string, err error) { d.fail(&HandshakeError{Status: 0, Reason: reason, Err: err}) }
	if !hasToken(h.Values("Upgrade"), "websocket") {
		bad(`101 without "Upgrade: websocket"`, nil)
		return
	}
	if !hasToken(h.Values("Connection"), "upgrade") {
		bad(`101 without "Connection: upgrade"`, nil)
		return
	}
	if accept := h.Values("Sec-WebSocket-Accept"); len(accept) != 1 || strings.TrimSpace(accept[0]) != wsproto.AcceptKey(d.key) {
		bad("wrong Sec-WebSocket-Accept", nil)
		return
	}
	proto := ""
	if ps := h.Values("Sec-WebSocket-Protocol"); len(ps) > 0 {
		proto = strings.TrimSpace(ps[0])
		if len(ps) > 1 || !slices.Contains(d.protos, proto) {
			bad("the server chose a subprotocol that was not offered", nil)
			return
		}
	}
	var comp *compression
	if exts := h.Values("Sec-WebSocket-Extensions"); len(exts) > 0 {
		if d.opts.Compression == nil {
			bad("the server answered an extension that was not offered", nil)
			return
		}
		p, err := wsproto.AcceptDeflateResponse(strings.Join(exts, ","), d.opts.Compression)
		if err != nil {
			bad("unacceptable Sec-WebSocket-Extensions", err)
			return
		}
		dc := d.opts.Config.deflateConfig()
		comp = newCompression(wsproto.Client, p, &dc)
	}
	d.end()
	cfg := &d.opts.Config
	c := newConn(d.st, wsproto.Client, d.h, cfg, comp, proto)
	hdr := h.Clone() // the parser's fields view a buffer that reading reuses
	c.resp = &hdr
	// cb comes even if OnOpen panics (the Conn is closed then, and OnClose
	// follows): the panic must not leave the dial without an outcome.
	opened := false
	defer func() {
		if !opened {
			d.cb(c, nil)
		}
		c.resp = nil
	}()
	c.open()
	opened = true
	d.cb(c, nil)
}

func (d *dialer) timedOut() {
	d.fail(fmt.Errorf("websocket: opening handshake: %w", context.DeadlineExceeded))
}

func (d *dialer) cancelled() {
	if err := d.ctx.Err(); err != nil {
		d.fail(fmt.Errorf("websocket: opening handshake: %w", err))
	}
}

// fail ends the Dial with err, closing the connection.
func (d *dialer) fail(err error) {
	if d.done {
		return
	}
	if errors.Is(err, stream.ErrClosed) {
		err = &HandshakeError{Reason: "connection closed during the handshake", Err: transportCause(err)}
	}
	d.st.Close()
	d.finish(nil, err)
}

func (d *dialer) end() {
	d.done = true
	d.timer.Cancel()
	if d.stop != nil {
		d.stop()
	}
}

func (d *dialer) finish(c *Conn, err error) {
	if d.done {
		return
	}
	d.end()
	d.cb(c, err)
}
