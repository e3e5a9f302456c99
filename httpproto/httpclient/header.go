package httpclient

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gale-io/gale/httpproto"
)

// requestHeader returns the header fields to send, with the client's
// additions. Values are built in f.scratch and copied by AddBytes, so
// that nothing here allocates once the record's storage has grown.
func (f *fetch) requestHeader() *httpproto.Headers {
	h := &f.header
	if !h.Has("Host") {
		f.scratch = appendAuthority(f.scratch[:0], &f.url)
		h.AddBytes(hdrHost, f.scratch)
	}
	if !h.Has("User-Agent") {
		h.Add("User-Agent", f.c.cfg.UserAgent)
	}
	// Not for a Range request (net/http's rule, golang.org/issue/8923): a
	// server that compresses before it cuts the range sends a piece of a
	// gzip stream, which cannot be decompressed.
	if f.decompress && !h.Has("Accept-Encoding") && !h.Has("Range") {
		h.Add("Accept-Encoding", "gzip")
	}
	if !h.Has("Authorization") {
		switch {
		case f.hasAuth:
			f.scratch = appendBasicAuth(f.scratch[:0], f.user, f.pass)
			h.AddBytes(hdrAuthorization, f.scratch)
		case f.url.Username != "" || f.url.Password != "":
			f.scratch = appendBasicAuth(f.scratch[:0], f.url.Username, f.url.Password)
			h.AddBytes(hdrAuthorization, f.scratch)
		}
	}
	// Proxy-Authorization is added for this hop's proxy only: a previous
	// hop's must not reach another proxy or an origin server. Through a
	// CONNECT tunnel the request reaches the origin: credentials for the
	// proxy go on the CONNECT only (openTunnel).
	h.Del("Proxy-Authorization")
	if !f.viaProxy || f.url.Scheme == "http" {
		// The proxy URL's credentials win over the request's field, as
		// on a CONNECT (openTunnel) and in net/http.
		if f.viaProxy && f.proxy.Username != "" {
			f.scratch = appendBasicAuth(f.scratch[:0], f.proxy.Username, f.proxy.Password)
			h.AddBytes(hdrProxyAuthorization, f.scratch)
		} else if v := f.userProxyAuth(); v != "" {
			h.Add("Proxy-Authorization", v)
		}
	}
	if f.req.ExpectContinue && (len(f.body) > 0 || f.producer != nil) && !h.Has("Expect") {
		h.Add("Expect", "100-continue")
	}
	if f.method == "POST" && !h.Has("Content-Type") {
		h.Add("Content-Type", "application/x-www-form-urlencoded")
	}
	return h
}

// userProxyAuth is the request's own Proxy-Authorization if this hop goes
// where its first hop went (the same proxy, or none: then the request
// meant it for the origin server), else "".
func (f *fetch) userProxyAuth() string {
	if f.proxyAuthFor != f.key.proxy {
		return ""
	}
	return f.proxyAuth
}

var (
	hdrHost               = []byte("Host")
	hdrAuthorization      = []byte("Authorization")
	hdrProxyAuthorization = []byte("Proxy-Authorization")
)

// appendBasicAuth appends the value of a basic Authorization header (RFC
// 7617): "Basic " and base64 of "user:pass". The plain credentials are
// staged past the end of dst and wiped.
func appendBasicAuth(dst []byte, user, pass string) []byte {
	raw := len(user) + 1 + len(pass)
	enc := base64.StdEncoding.EncodedLen(raw)
	start := len(dst)
	dst = slices.Grow(dst, len("Basic ")+enc+raw)
	dst = append(dst, "Basic "...)
	at := len(dst) + enc
	buf := dst[:at+raw]
	n := copy(buf[at:], user)
	buf[at+n] = ':'
	copy(buf[at+n+1:], pass)
	base64.StdEncoding.Encode(buf[start+len("Basic "):at], buf[at:])
	clear(buf[at:])
	return buf[:at]
}

// appendAuthority appends u.Authority() (the Host header's value) without
// allocating.
func appendAuthority(dst []byte, u *httpproto.URL) []byte {
	if strings.IndexByte(u.Host, ':') >= 0 {
		dst = append(dst, '[')
		dst = append(dst, u.Host...)
		dst = append(dst, ']')
	} else {
		dst = append(dst, u.Host...)
	}
	if u.Port != 0 && u.Port != httpproto.DefaultPort(u.Scheme) {
		dst = append(dst, ':')
		dst = strconv.AppendInt(dst, int64(u.Port), 10)
	}
	return dst
}

// appendURL appends what urlString returns for u (which has a host): u
// without userinfo, as URL.String writes it.
func appendURL(dst []byte, u *httpproto.URL) []byte {
	dst = append(dst, u.Scheme...)
	dst = append(dst, "://"...)
	dst = appendAuthority(dst, u)
	if u.Path != "" && u.Path[0] != '/' {
		dst = append(dst, '/')
	}
	dst = append(dst, u.Path...)
	if u.RawQuery != "" {
		dst = append(dst, '?')
		dst = append(dst, u.RawQuery...)
	}
	if u.Fragment != "" {
		dst = append(dst, '#')
		dst = append(dst, u.Fragment...)
	}
	return dst
}

// effectiveURL is urlString for Response.EffectiveURL: the string the URL
// was parsed from when that is what urlString would build, so that the
// common case allocates nothing.
func (f *fetch) effectiveURL() string {
	if f.url.Host == "" {
		return ""
	}
	f.scratch = appendURL(f.scratch[:0], &f.url)
	if string(f.scratch) == f.rawURL {
		return f.rawURL
	}
	return string(f.scratch)
}

// requestTarget is f.url.RequestURI(), sliced from the string the URL was
// parsed from when a query would make RequestURI concatenate.
func (f *fetch) requestTarget() string {
	u := &f.url
	if u.RawQuery == "" || u.Path == "" {
		return u.RequestURI()
	}
	raw := f.rawURL
	if q := strings.IndexByte(raw, '?'); q >= len(u.Path) &&
		raw[q-len(u.Path):q] == u.Path && strings.HasPrefix(raw[q+1:], u.RawQuery) {
		return raw[q-len(u.Path) : q+1+len(u.RawQuery)]
	}
	return u.RequestURI()
}

// maxPresize bounds the buffer reserved for a body from its
// Content-Length; a longer body grows it as it arrives.
const maxPresize = 1 << 20

// checkMethod is Tornado's check of a request's method and body, unless
// AllowNonstandardMethods: the method is one the simple client supports,
// and a body is given for POST, PUT and PATCH and for no other method.
func checkMethod(req *Request, method string) error {
	if req.AllowNonstandardMethods {
		return nil
	}
	expected := false
	switch method {
	case "POST", "PUT", "PATCH":
		expected = true
	case "GET", "HEAD", "DELETE", "OPTIONS":
	default:
		return fmt.Errorf("%w: unknown method %s", ErrNonstandard, method)
	}
	if present := req.Body != nil || req.BodyProducer != nil; present != expected {
		not := ""
		if expected {
			not = "not "
		}
		return fmt.Errorf("%w: body must %sbe nil for method %s", ErrNonstandard, not, method)
	}
	return nil
}
