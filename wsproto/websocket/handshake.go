package websocket

import (
	"net/url"
	"strings"
	"sync"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/wsproto"
)

// ServerOptions configure Upgrade and UpgradeHTTP. A nil *ServerOptions
// means all defaults. One ServerOptions may serve any number of
// connections and must not change while they use it.
type ServerOptions struct {
	Config
	// CheckOrigin decides whether a browser's cross-origin request may
	// connect (Tornado's check_origin). origin is the Origin header
	// (Sec-WebSocket-Origin for old clients), host the Host header. It is
	// not called for requests without an Origin (non-browser clients).
	// Default: the origin's host[:port] must equal Host, compared
	// case-insensitively, and the origin carry no userinfo (Tornado
	// compares its whole netloc). A refusal is answered 403.
	CheckOrigin func(origin, host string) bool
	// Subprotocols are the subprotocols the server speaks, chosen with
	// wsproto.SelectSubprotocol: the first the client offers that is in
	// this list (Tornado's select_subprotocol). Default none.
	Subprotocols []string
	// Header holds extra fields for the 101 response (Set-Cookie, say).
	Header *httpproto.Headers
}

func (o *ServerOptions) config() *Config {
	if o == nil {
		return &defaultConfig
	}
	return &o.Config
}

// upgradeRequest is what the server handshake reads from a request,
// whichever HTTP API it came through.
type upgradeRequest struct {
	method     string
	http11     bool
	host       string
	upgrade    []string
	connection []string
	origin     []string
	version    []string
	key        []string
	protocols  []string
	extensions []string
}

// upgradeAnswer is the outcome of the server handshake: a 101 to send, or
// an error status.
type upgradeAnswer struct {
	status int    // 101, or the error status
	reason string // for an error
	err    error  // a malformed header's error, if any

	accept      [wsproto.AcceptKeyLen]byte
	subprotocol string
	extension   string // the Sec-WebSocket-Extensions answer, or ""
	comp        *compression
}

// offersScratch holds the arrays negotiate parses extension offers into,
// so that a handshake does not allocate them.
var offersScratch = sync.Pool{New: func() any { return new([]wsproto.Extension) }}

// negotiate runs the server's checks (RFC 6455 section 4.2.1, in
// Tornado's order where they overlap) and picks the subprotocol and
// extensions.
func negotiate(r *upgradeRequest, o *ServerOptions) upgradeAnswer {
	bad := func(status int, reason string) upgradeAnswer { return upgradeAnswer{status: status, reason: reason} }
	if r.method != "GET" {
		return bad(405, "WebSocket handshake must be a GET request")
	}
	if !r.http11 {
		return bad(400, "WebSocket handshake needs HTTP/1.1")
	}
	if !hasToken(r.upgrade, "websocket") {
		return bad(400, `Can "Upgrade" only to "WebSocket".`)
	}
	if !hasToken(r.connection, "upgrade") {
		return bad(400, `"Connection" must be "Upgrade".`)
	}
	if len(r.origin) > 0 {
		ok := false
		if o != nil && o.CheckOrigin != nil {
			// The request's strings may be views of its buffer (Upgrade):
			// the program's function gets copies it may keep.
			ok = o.CheckOrigin(strings.Clone(r.origin[0]), strings.Clone(r.host))
		} else {
			ok = defaultCheckOrigin(r.origin[0], r.host)
		}
		if !ok {
			return bad(403, "Cross origin websockets not allowed")
		}
	}
	if len(r.version) != 1 || strings.TrimSpace(r.version[0]) != "13" {
		return bad(426, "Unsupported WebSocket version: only 13 is supported")
	}
	if strings.TrimSpace(r.host) == "" {
		// RFC 6455 section 4.2.1: the Host field names the server's
		// authority. HTTP/1.1 lets it be empty (RFC 9112 section 3.2);
		// a handshake may not, and Tornado answers 400 too.
		return bad(400, "Missing/Invalid WebSocket headers: Host")
	}
	if len(r.key) != 1 || !wsproto.ValidClientKey(strings.TrimSpace(r.key[0])) {
		return bad(400, "Missing/Invalid WebSocket headers: Sec-WebSocket-Key")
	}
	a := upgradeAnswer{status: 101}
	wsproto.AppendAcceptKey(a.accept[:0], strings.TrimSpace(r.key[0]))
	if len(r.protocols) > 0 {
		offered, err := wsproto.ParseTokenList(strings.Join(r.protocols, ","))
		if err != nil {
			return upgradeAnswer{status: 400, reason: "Invalid Sec-WebSocket-Protocol", err: err}
		}
		if o != nil {
			a.subprotocol, _ = wsproto.SelectSubprotocol(offered, o.Subprotocols)
			a.subprotocol = strings.Clone(a.subprotocol) // it outlives the request
		}
	}
	if o != nil && o.Compression != nil && len(r.extensions) > 0 {
		scratch := offersScratch.Get().(*[]wsproto.Extension)
		offers, err := wsproto.AppendExtensions(*scratch, strings.Join(r.extensions, ","))
		if err != nil {
			// What was parsed before the error is in the pooled array.
			*scratch = clearOffers(*scratch)
			offersScratch.Put(scratch)
			return upgradeAnswer{status: 400, reason: "Invalid Sec-WebSocket-Extensions", err: err}
		}
		p, resp, ok := wsproto.NegotiateDeflateServer(offers, o.Compression)
		*scratch = clearOffers(offers)
		offersScratch.Put(scratch)
		if ok {
			a.extension = resp // made by wsproto, not a view of the request
			dc := o.Config.deflateConfig()
			a.comp = newCompression(wsproto.Server, p, &dc)
		}
	}
	return a
}

// responseHeader fills h with the 101's fields.
func (a *upgradeAnswer) responseHeader(h *httpproto.Headers, o *ServerOptions) {
	if o != nil && o.Header != nil {
		for name, value := range o.Header.All() {
			h.AddBytes(name, value)
		}
	}
	h.Set("Upgrade", "websocket")
	h.Set("Connection", "Upgrade")
	h.Set("Sec-WebSocket-Accept", string(a.accept[:])) // a copy on the stack: Set copies it again
	if a.subprotocol != "" {
		h.Set("Sec-WebSocket-Protocol", a.subprotocol)
	}
	if a.extension != "" {
		h.Set("Sec-WebSocket-Extensions", a.extension)
	}
	h.Del("Content-Type")
	h.Del("Content-Length") // a 1xx has none (RFC 9110 section 8.6)
	h.Del("Transfer-Encoding")
}

// errorHeader fills h with an error answer's fields.
func (a *upgradeAnswer) errorHeader(h *httpproto.Headers) {
	switch a.status {
	case 426:
		h.Set("Sec-WebSocket-Version", "13")
	case 405:
		h.Set("Allow", "GET")
	}
	h.Set("Connection", "close")
}

func (a *upgradeAnswer) error() *HandshakeError {
	return &HandshakeError{Status: a.status, Reason: a.reason, Err: a.err}
}

// clearOffers drops the strings of parsed offers, which view the request,
// before their arrays are pooled (kept, with their capacity, for the next
// handshake), and returns the emptied slice.
func clearOffers(offers []wsproto.Extension) []wsproto.Extension {
	all := offers[:cap(offers)]
	for i := range all {
		all[i].Name = ""
		clear(all[i].Params[:cap(all[i].Params)])
	}
	return all[:0]
}

// defaultCheckOrigin is Tornado's check_origin: the origin's authority
// must be the Host the client addressed.
func defaultCheckOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.User != nil {
		return false // userinfo is no part of an origin; Tornado's netloc then differs from Host
	}
	return strings.EqualFold(u.Host, host)
}

// hasToken reports whether any of the comma-separated lists in values holds
// token, compared case-insensitively (RFC 9110 section 5.6.1).
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for v != "" {
			var elem string
			elem, v, _ = strings.Cut(v, ",")
			if strings.EqualFold(strings.Trim(elem, " \t"), token) {
				return true
			}
		}
	}
	return false
}
