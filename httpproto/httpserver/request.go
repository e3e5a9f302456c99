package httpserver

import (
	"bytes"
	"crypto/tls"
	"net"
	"net/netip"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/stream"
)

// Request is one request, Tornado's HTTPServerRequest. It embeds the
// parsed head (method, target, version, Header, Host, framing) and adds
// what the connection knows.
//
// Lifetime: a Request and every slice in it are valid until the response
// to it is finished (ResponseWriter.Finish); the server then reuses them
// for the next request on the connection. Copy what must outlive that.
// A handler that answers later reads them through the Request when it
// needs them: once it has returned, the server copies the request out of
// the stream's read buffer and points the Request at the copy, so a slice
// taken from it before (b := r.Body, a Header value) is valid only until
// the handler returns. Like everything of a connection, it belongs to the
// connection's loop.
type Request struct {
	*httpproto.Request

	// Path and RawQuery split Target at the first '?' (still
	// percent-encoded; httpproto.ParseQuery decodes the query).
	Path, RawQuery []byte
	// Body is the whole request body for a Handler (decompressed when gzip
	// request decoding is on); nil with a BodyDelegate.
	Body []byte
	// Trailers holds the trailer fields of a chunked body (empty if none).
	Trailers httpproto.Headers

	// RemoteIP is the client's IP: the peer's, or for a connection from
	// Options.TrustedProxies the one X-Real-Ip or X-Forwarded-For gives.
	// It is the zero Addr for a peer that is not IP (a Unix socket).
	RemoteIP netip.Addr
	// Scheme is "http" or "https": the connection's, or for a trusted
	// proxy the one X-Scheme or X-Forwarded-Proto gives.
	Scheme string

	c      *conn
	remote netip.AddrPort // the peer's, if it is IP
	st     *stream.Stream
}

// RemoteAddrPort returns the peer's IP address and port (the client's,
// behind a trusted PROXY-protocol balancer), or the zero AddrPort for a
// peer that is not IP. Unlike RemoteAddr it does not allocate.
func (r *Request) RemoteAddrPort() netip.AddrPort { return r.remote }

// RemoteAddr returns the peer's address (the client's, behind a trusted
// PROXY-protocol balancer) as a net.Addr: a *net.TCPAddr for an IP peer,
// or what the stream reports otherwise (a *net.UnixAddr). It builds the
// address on each call; the connection does not keep one, since most
// requests never ask.
func (r *Request) RemoteAddr() net.Addr {
	if r.remote.IsValid() {
		return net.TCPAddrFromAddrPort(r.remote)
	}
	if r.st != nil {
		return r.st.RemoteAddr()
	}
	return nil
}

// TLS returns the connection's TLS state, and false for plain HTTP.
func (r *Request) TLS() (tls.ConnectionState, bool) { return r.c.s.TLSState() }

// PauseBody stops delivering body chunks to a BodyDelegate (and reading
// from the client) until ResumeBody: request-body backpressure, as when
// Tornado's data_received returns an awaitable. From a StreamHandler, for a
// request that expects 100-continue, it also holds the "100 Continue"
// until ResumeBody (an early answer replaces it). A pause ends with the
// request's response.
func (r *Request) PauseBody() { r.c.paused = true }

// ResumeBody resumes delivery after PauseBody.
func (r *Request) ResumeBody() {
	c := r.c
	if !c.paused {
		return
	}
	c.paused = false
	if !c.inData && c.state == stBody {
		c.resume()
	} else if d, ok := c.delegate.(*gzipStream); ok && d.finishing && c.state == stHandling {
		d.resumeFinish() // the end of a gzip body waits for it
	}
}

// SetMaxBodySize changes the body limit for this request only, from a
// StreamHandler (Tornado's set_max_body_size); beyond it the server
// answers 413. Once the body has been read it does nothing.
func (r *Request) SetMaxBodySize(n int64) {
	// Past the body the parser is on the next request already, which
	// the limit must not reach.
	if r.c.state == stBody {
		r.c.p.SetMaxBodySize(n)
	}
}

// splitTarget sets Path and RawQuery.
func (r *Request) splitTarget() {
	t := r.Target
	for i, c := range t {
		if c == '?' {
			r.Path, r.RawQuery = t[:i], t[i+1:]
			return
		}
	}
	r.Path, r.RawQuery = t, nil
}

// applyXHeaders sets RemoteIP and Scheme from the proxy fields when the
// peer is a trusted proxy (Tornado's xheaders): X-Real-Ip wins over
// X-Forwarded-For, which is walked from the right past trusted proxies;
// X-Scheme wins over X-Forwarded-Proto, whose last element counts; only
// valid IP literals and "http"/"https" are taken.
func (r *Request) applyXHeaders(trusted []netip.Prefix) {
	if len(trusted) == 0 || !inPrefixes(r.RemoteIP, trusted) {
		return
	}
	h := &r.Header
	if v := lastElement(h, "X-Real-Ip"); v != nil {
		if ip, err := netip.ParseAddr(string(v)); err == nil {
			r.RemoteIP = ip.Unmap()
		}
	} else {
		var vals [][]byte
		var buf [4][]byte
		vals = h.AppendValues(buf[:0], "X-Forwarded-For")
		found := false
		for i := len(vals) - 1; i >= 0 && !found; i-- {
			v := vals[i]
			for len(v) > 0 {
				j := len(v) - 1
				for j >= 0 && v[j] != ',' {
					j--
				}
				elem := bytes.Trim(v[j+1:], " \t")
				if j < 0 {
					v = v[:0]
				} else {
					v = v[:j]
				}
				ip, err := netip.ParseAddr(string(elem))
				if err != nil {
					found = true // a garbled hop: stop, keep what we have
					break
				}
				r.RemoteIP = ip.Unmap()
				if !inPrefixes(r.RemoteIP, trusted) {
					found = true
					break
				}
			}
		}
	}
	scheme := lastElement(h, "X-Scheme")
	if scheme == nil {
		scheme = lastElement(h, "X-Forwarded-Proto")
	}
	switch s := scheme; {
	case httpproto.EqualFold(s, "http"):
		r.Scheme = "http"
	case httpproto.EqualFold(s, "https"):
		r.Scheme = "https"
	}
}

// lastElement returns the last comma-separated element of the field name,
// trimmed, across all its field lines (nil if absent): the one the
// nearest proxy put there. A proxy that adds a line rather than replacing
// the field leaves the client's own value first, which must not count.
func lastElement(h *httpproto.Headers, name string) []byte {
	var buf [4][]byte
	vals := h.AppendValues(buf[:0], name)
	if len(vals) == 0 {
		return nil
	}
	v := vals[len(vals)-1]
	if i := bytes.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return bytes.Trim(v, " \t")
}

func inPrefixes(ip netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
