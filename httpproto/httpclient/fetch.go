package httpclient

import (
	"context"
	"crypto/tls"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpclient"
)

// fetchState is where a request stands.
//
//	stQueued     waiting for a slot              → stConnecting, stSending, done
//	stConnecting connecting (proxy, TLS)         → stSending, done
//	stSending    request written, response read  → stQueued (redirect), stConnecting (retry), done
type fetchState uint8

const (
	stQueued fetchState = iota
	stConnecting
	stSending
)

// fetch is one request from Fetch to its callback, across redirects. The
// fields below "hop" describe the current hop and are reset by startHop.
//
// A fetch is recycled (Client.recycle) once its callback returned: seq
// is cleared while it is free and set anew by the next Fetch, hop keeps
// growing, and the storage of header and the buffers is kept, so that a
// steady stream of requests allocates nothing here.
type fetch struct {
	c   *Client
	req *Request
	cb  func(*Response, error)
	seq uint64 // which request this is (Client.seq)

	// Method values bound once per record, so that timers and the
	// callback's delivery cost no closure per request.
	onTimeoutFn, queueExpiredFn, sendBodyFn, deliverFn, produceFn func()

	outResp *Response // what deliverFn hands to cb
	outErr  error
	scratch []byte // for header values and the effective URL

	start      time.Time // wall clock, at Fetch
	url        httpproto.URL
	rawURL     string // the string url was parsed from
	method     string
	mcode      httpproto.Method
	header     httpproto.Headers
	body       []byte
	producer   BodyProducer
	user, pass string
	hasAuth    bool
	follow     bool
	redirLeft  int
	redirects  int
	decompress bool
	connectTO  time.Duration
	requestTO  time.Duration
	tlsConfig  *tls.Config
	forceNew   bool // the next hop must not reuse a connection
	retried    bool
	// proxyAuth is the request's Proxy-Authorization, taken out of header,
	// and proxyAuthFor the proxy ("" for none) of its first hop, the only
	// one it is sent to (userProxyAuth).
	proxyAuth, proxyAuthFor string
	proxyAuthBound          bool // proxyAuthFor is set

	slot       bool
	queued     bool
	queueTimer loop.Timer
	done       bool

	hop        int // increments with every hop: stale callbacks compare it
	state      fetchState
	hopStart   time.Time
	keepStart  bool      // the next startHop is a retry: hopStart stays
	connStart  time.Time // when this hop's connection was asked for
	timer      loop.Timer
	cancelDial context.CancelFunc
	proxy      httpproto.URL
	viaProxy   bool
	key        poolKey
	pc         *pconn
	reused     bool
	connectDur time.Duration
	gotByte    bool // a response byte arrived on this hop
	unsent     bool // the request's first write failed at once: the server saw none of it
	tunnel     bool // reading a proxy's answer to CONNECT
	switched   bool // the tunnel is open
	waitCont   bool // the body waits for 100 Continue
	contTimer  loop.Timer
	bodyStart  bool // the body (or its producer) was started
	produceHop int  // the hop whose producer is posted to start
	interim    int  // interim (1xx) responses read in this hop
	noReuse    bool
	resp       *Response
	following  bool // the response is a redirect to follow
	gzip       bool
	zbuf       []byte    // a compressed body, gathered whole
	gz         *gzStream // or decoded as it arrives, for OnChunk
	gzResp     *Response // the response waiting for gz to finish
	msgDone    bool
	writer     *BodyWriter
}

// live reports whether hop is the request's current hop and it is not done.
func (f *fetch) live(hop int) bool { return !f.done && f.hop == hop }

func (f *fetch) urlString() string {
	u := f.url
	u.Username, u.Password = "", ""
	if u.Host == "" {
		return ""
	}
	return u.String()
}

// op names the phase for an error.
func (f *fetch) op() string {
	switch {
	case f.queued:
		return "queue"
	case f.state == stConnecting:
		return "connect"
	case f.state == stSending:
		return "read"
	}
	return "request"
}

// init checks the request and takes its settings.
func (f *fetch) init() error {
	req, cfg := f.req, &f.c.cfg
	f.start = time.Now()
	u, err := httpproto.ParseURL(req.URL)
	if err != nil {
		return &Error{Op: "request", Err: err}
	}
	f.url, f.rawURL = u, req.URL
	if u.Scheme != "http" && u.Scheme != "https" {
		return &Error{Op: "request", URL: f.urlString(), Err: fmt.Errorf("%w: scheme %q", ErrUnsupported, u.Scheme)}
	}
	f.method = req.Method
	if f.method == "" {
		f.method = "GET"
	}
	if !httpproto.ValidToken([]byte(f.method)) {
		return &Error{Op: "request", URL: f.urlString(), Err: fmt.Errorf("%w: method %q", ErrUnsupported, f.method)}
	}
	if err := checkMethod(req, f.method); err != nil {
		return &Error{Op: "request", URL: f.urlString(), Err: err}
	}
	if req.Header != nil {
		// Copied into the record's own storage (kept across requests):
		// redirects and the client's additions change the copy only.
		for i := range req.Header.Len() {
			fl := req.Header.At(i)
			f.header.AddBytes(fl.Name, fl.Value)
		}
		if f.header.Has("Proxy-Authorization") {
			// The proxy's, not the origin's: each hop adds it back only
			// where the first hop went (userProxyAuth).
			f.proxyAuth = f.header.GetString("Proxy-Authorization")
			f.header.Del("Proxy-Authorization")
		}
	}
	f.body, f.producer = req.Body, req.BodyProducer
	f.user, f.pass, f.hasAuth = req.Username, req.Password, req.Username != ""
	f.follow = !cfg.NoFollowRedirects
	if req.FollowRedirects != Default {
		f.follow = req.FollowRedirects == On
	}
	f.redirLeft = cfg.MaxRedirects
	if req.MaxRedirects != 0 {
		f.redirLeft = req.MaxRedirects
	}
	if f.redirLeft < 0 {
		// Negative follows none: the redirect is the response, as with
		// following off, not a limit reached (RedirectLimit).
		f.follow, f.redirLeft = false, 0
	}
	f.decompress = !cfg.NoDecompress
	if req.Decompress != Default {
		f.decompress = req.Decompress == On
	}
	f.connectTO, f.requestTO = cfg.ConnectTimeout, cfg.RequestTimeout
	if req.ConnectTimeout != 0 {
		f.connectTO = req.ConnectTimeout
	}
	if req.RequestTimeout != 0 {
		f.requestTO = req.RequestTimeout
	}
	f.tlsConfig = cfg.TLS
	if req.TLS != nil {
		f.tlsConfig = req.TLS
	}
	return nil
}

// connectTimeout is Tornado's min(connect_timeout, request_timeout),
// ignoring the unset ones; 0 for none.
func (f *fetch) connectTimeout() time.Duration {
	switch {
	case f.connectTO <= 0:
		return max(f.requestTO, 0)
	case f.requestTO <= 0:
		return f.connectTO
	}
	return min(f.connectTO, f.requestTO)
}

func (f *fetch) queueTimeout() time.Duration {
	if f.c.cfg.QueueTimeout != 0 {
		return max(f.c.cfg.QueueTimeout, 0)
	}
	return f.connectTimeout()
}

// startHop starts the current hop: a pooled connection or a new one.
func (f *fetch) startHop() {
	f.hop++
	f.state = stConnecting
	now := f.c.l.Now()
	f.connStart = now
	if !f.keepStart {
		f.hopStart = now
	}
	f.keepStart = false
	f.pc, f.reused, f.connectDur, f.gotByte, f.unsent = nil, false, 0, false, false
	f.tunnel, f.switched, f.waitCont, f.bodyStart, f.noReuse = false, false, false, false, false
	f.interim = 0
	f.resp, f.following, f.gzip, f.zbuf, f.msgDone, f.writer = nil, false, false, nil, false, nil
	f.gz, f.gzResp = nil, nil
	f.viaProxy = false
	f.key = poolKey{}
	if d := f.connectTimeout(); d > 0 {
		deadline := now.Add(d)
		if f.requestTO > 0 {
			// A retry's request timeout still counts from the first
			// attempt (hopStart), so it may come before the connect one.
			deadline = minTime(deadline, f.hopStart.Add(f.requestTO))
		}
		f.timer = f.c.l.CallAt(deadline, f.onTimeoutFn)
	}
	if f.req.UnixSocket == "" && f.c.cfg.Proxy != nil {
		p, err := f.c.cfg.Proxy(f.url)
		if err != nil {
			f.fail(&Error{Op: "proxy", URL: f.urlString(), Err: err})
			return
		}
		if p != "" {
			pu, err := httpproto.ParseURL(p)
			if err == nil && pu.Scheme != "http" {
				err = fmt.Errorf("%w: proxy scheme %q", ErrUnsupported, pu.Scheme)
			}
			if err != nil {
				f.fail(&Error{Op: "proxy", URL: f.urlString(), Err: err})
				return
			}
			f.proxy, f.viaProxy = pu, true
			f.key.proxy = p
		}
	}
	if !f.proxyAuthBound {
		f.proxyAuthFor, f.proxyAuthBound = f.key.proxy, true
	}
	if f.viaProxy && f.url.Scheme == "https" && f.proxy.Username == "" {
		f.key.proxyAuth = f.userProxyAuth() // what openTunnel sends
	}
	f.key.scheme, f.key.host, f.key.port, f.key.unix = f.url.Scheme, f.url.Host, f.url.Port, f.req.UnixSocket
	if f.url.Scheme == "https" {
		f.key.tls = f.tlsConfig
	}
	if !f.forceNew {
		if pc := f.c.takeIdle(f.key); pc != nil {
			f.reused = true
			f.attach(pc)
			f.ready()
			return
		}
	}
	f.forceNew = false
	f.dial()
}

func (f *fetch) attach(pc *pconn) {
	f.pc = pc
	pc.f = f
}

// dial opens a connection: to the Unix socket, the proxy or the host.
func (f *fetch) dial() {
	cfg := &f.c.cfg
	// TCP_NODELAY always, as Tornado's simple client and net/http set it:
	// otherwise each piece of a produced body written after the head waits
	// for the server's delayed ACK (40 ms).
	opts := &tcpclient.Options{Resolver: cfg.Resolver, LocalAddr: cfg.LocalAddr, NoDelay: true, Stream: cfg.Stream}
	var ctx context.Context
	ctx, f.cancelDial = context.WithCancel(context.Background())
	hop := f.hop
	cb := func(s *stream.Stream, err error) {
		if !f.live(hop) {
			if s != nil {
				s.Close()
			}
			return
		}
		f.cancelDial()
		f.cancelDial = nil
		if err != nil {
			f.fail(&Error{Op: "connect", URL: f.urlString(), Err: err})
			return
		}
		f.connected(newPconn(f.c, f.key, s))
	}
	switch {
	case f.req.UnixSocket != "":
		tcpclient.ConnectUnix(ctx, f.c.l, f.req.UnixSocket, opts, cb)
	case f.viaProxy:
		tcpclient.Connect(ctx, f.c.l, f.proxy.Host, f.proxy.Port, opts, cb)
	default:
		tcpclient.Connect(ctx, f.c.l, f.url.Host, f.url.Port, opts, cb)
	}
}

// connected goes on from a new connection: a tunnel, TLS, or the request.
func (f *fetch) connected(pc *pconn) {
	f.attach(pc)
	switch {
	case f.viaProxy && f.url.Scheme == "https":
		f.openTunnel(pc)
	case f.url.Scheme == "https":
		f.startTLS(pc)
	default:
		f.ready()
	}
}

// openTunnel asks the proxy for a tunnel to the target (RFC 9110 section
// 9.3.6).
func (f *fetch) openTunnel(pc *pconn) {
	target := f.url.HostPort()
	var h httpproto.Headers
	h.Add("Host", target)
	if f.proxy.Username != "" {
		f.scratch = appendBasicAuth(f.scratch[:0], f.proxy.Username, f.proxy.Password)
		h.AddBytes([]byte("Proxy-Authorization"), f.scratch)
	} else if v := f.userProxyAuth(); v != "" {
		// The request's own Proxy-Authorization is the proxy's: it goes
		// on the CONNECT (requestHeader keeps it from the origin).
		h.Add("Proxy-Authorization", v)
	}
	out, err := httpproto.AppendRequestHead(pc.out[:0], "CONNECT", target, &h)
	if err != nil {
		f.fail(&Error{Op: "proxy", URL: f.urlString(), Err: err})
		return
	}
	pc.keepOut(out)
	f.tunnel = true
	pc.p.ExpectResponseTo(httpproto.MethodConnect)
	if err := pc.s.Write(out, nil); err != nil {
		f.fail(&Error{Op: "proxy", URL: f.urlString(), Err: err})
		return
	}
	pc.read()
}

// tunnelOpen runs once the proxy answered CONNECT with 2xx.
func (f *fetch) tunnelOpen(pc *pconn) {
	f.tunnel, f.switched = false, false
	pc.p.Reset()
	f.startTLS(pc)
}

func (f *fetch) startTLS(pc *pconn) {
	var cfg *tls.Config
	if f.tlsConfig != nil {
		cfg = f.tlsConfig.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = f.url.Host
	}
	if p := cfg.NextProtos; len(p) > 0 && (len(p) > 1 || p[0] != "http/1.1") {
		// This client speaks HTTP/1.1 only: a configuration that also
		// offers "h2" (shared with an HTTP/2 client) must not let the
		// server pick a protocol the request then fails on.
		cfg.NextProtos = []string{"http/1.1"}
	}
	hop := f.hop
	if err := pc.s.StartTLS(cfg, false, func(err error) {
		if !f.live(hop) {
			return
		}
		if err != nil {
			f.fail(&Error{Op: "connect", URL: f.urlString(), Err: &tcpclient.Error{Op: "tls", Host: f.url.Host, Port: f.url.Port, Err: err}})
			return
		}
		f.ready()
	}); err != nil {
		f.fail(&Error{Op: "connect", URL: f.urlString(), Err: err})
	}
}

// ready sends the request on the connected f.pc.
func (f *fetch) ready() {
	pc := f.pc
	f.state = stSending
	if !f.reused {
		f.connectDur = f.c.l.Now().Sub(f.connStart)
	}
	f.timer.Cancel()
	f.timer = loop.Timer{}
	if f.requestTO > 0 {
		f.timer = f.c.l.CallAt(f.hopStart.Add(f.requestTO), f.onTimeoutFn)
	}
	f.mcode = httpproto.ParseMethod([]byte(f.method))
	pc.p.ExpectResponseTo(f.mcode)
	pc.enc.Reset()
	h := f.requestHeader()
	size := int64(len(f.body))
	if f.producer != nil {
		size = -1
		if f.req.BodyLength > 0 {
			size = f.req.BodyLength
		}
	}
	target := f.requestTarget()
	if f.viaProxy && f.url.Scheme == "http" {
		u := f.url
		u.Username, u.Password, u.Fragment = "", "", ""
		if u.Path == "" {
			u.Path = "/" // as origin-form has it (RFC 9112 section 3.2.1)
		}
		target = u.String()
	}
	// Without pooling, "Connection: close" unless the request has a
	// Connection field, as Tornado sends it: the server closes after its
	// response instead of waiting for another request.
	keepAlive := f.c.cfg.MaxIdlePerHost >= 0 || h.Has("Connection")
	out, err := pc.enc.AppendRequestHead(pc.out[:0], f.method, target, h, size, keepAlive)
	if err != nil {
		f.fail(&Error{Op: "request", URL: f.urlString(), Err: err})
		return
	}
	f.waitCont = f.req.ExpectContinue && (len(f.body) > 0 || f.producer != nil)
	if !f.waitCont && f.producer == nil {
		out, err = f.appendBody(pc, out)
		if err != nil {
			f.fail(&Error{Op: "request", URL: f.urlString(), Err: err})
			return
		}
	}
	pc.keepOut(out)
	// No write callback: a failed write closes the stream, which fails
	// the hop (through the pending read or the close callback), and a
	// callback would cost the stream an allocation per request.
	err = pc.s.Write(out, nil)
	if err == nil && pc.s.Closed() {
		// The write failed at once and closed the stream (a pooled
		// connection the server reset before the loop saw it).
		if err = pc.s.Err(); err == nil {
			err = stream.ErrClosed
		}
	}
	if err != nil {
		// Nothing was queued before the request, and a write that fails
		// at once sends nothing: the server saw none of it, so any request
		// may go again (connFailed), as net/http retries it.
		f.unsent = true
		f.connFailed("write", err)
		return
	}
	if f.waitCont {
		if d := f.c.cfg.ContinueTimeout; d > 0 {
			f.contTimer = f.c.l.CallLater(d, f.sendBodyFn)
		}
	} else if f.producer != nil {
		// On a turn of its own: over a pooled connection, ready runs
		// inside Fetch, which must not call back.
		f.produceHop = f.hop
		f.c.l.Post(f.produceFn)
	}
	pc.read()
}

// produce starts the producer ready posted, unless the hop ended (or its
// answer came) meanwhile.
func (f *fetch) produce() {
	if !f.live(f.produceHop) || f.state != stSending || f.pc == nil || f.producer == nil || f.bodyStart || f.waitCont || f.following {
		return
	}
	f.startProducer()
}

// appendBody appends a bytes body and the message's end.
func (f *fetch) appendBody(pc *pconn, out []byte) ([]byte, error) {
	f.bodyStart = true
	out, err := pc.enc.AppendBody(out, f.body)
	if err != nil {
		return out, err
	}
	return pc.enc.AppendEnd(out, nil)
}

// sendBody sends the body held back for 100 Continue.
func (f *fetch) sendBody() {
	if !f.waitCont {
		return
	}
	f.waitCont = false
	f.contTimer.Cancel()
	if f.producer != nil {
		f.startProducer()
		return
	}
	pc := f.pc
	out, err := f.appendBody(pc, pc.out[:0])
	if err != nil {
		f.fail(&Error{Op: "request", URL: f.urlString(), Err: err})
		return
	}
	pc.keepOut(out)
	if err := pc.s.Write(out, nil); err != nil {
		f.connFailed("write", err)
	}
}

func (f *fetch) startProducer() {
	f.bodyStart = true
	f.writer = &BodyWriter{f: f, hop: f.hop}
	f.producer(f.writer)
}

// bodyWrite is BodyWriter.Write.
func (f *fetch) bodyWrite(p []byte, cb func(error)) {
	pc := f.pc
	out, err := pc.enc.AppendBody(pc.out[:0], p)
	if err != nil {
		f.c.l.Post(func() { cb(err) })
		f.fail(&Error{Op: "write", URL: f.urlString(), Err: err})
		return
	}
	pc.keepOut(out)
	if len(out) == 0 {
		f.c.l.Post(func() { cb(nil) })
		return
	}
	wd := f.writeDone(f.hop)
	if err := pc.s.Write(out, func(err error) { cb(err); wd(err) }); err != nil {
		f.c.l.Post(func() { cb(err) })
		f.connFailed("write", err)
	}
}

// bodyEnd is BodyWriter.End.
func (f *fetch) bodyEnd(err error) {
	if err != nil {
		f.fail(&Error{Op: "write", URL: f.urlString(), Err: err})
		return
	}
	pc := f.pc
	out, err := pc.enc.AppendEnd(pc.out[:0], nil)
	if err != nil {
		f.fail(&Error{Op: "write", URL: f.urlString(), Err: err})
		return
	}
	pc.keepOut(out)
	if err := pc.s.Write(out, nil); err != nil {
		f.connFailed("write", err)
	}
}

// writeDone returns a write callback: a failed write fails the hop, unless
// the hop's response was complete (f.pc released): closing the connection
// under a body the server did not wait for fails the write, while a
// streamed gzip body keeps the request live.
func (f *fetch) writeDone(hop int) func(error) {
	return func(err error) {
		if err != nil && f.live(hop) && f.pc != nil {
			f.connFailed("write", err)
		}
	}
}

// event takes one parser event; false stops the parsing loop.
func (f *fetch) event(pc *pconn, ev httpproto.Event) bool {
	switch ev.Kind {
	case httpproto.HeadDone:
		r := pc.p.Response()
		if r.Status < 200 {
			if f.interim++; f.interim > MaxInterimResponses {
				f.fail(&Error{Op: "read", URL: f.urlString(), Err: &httpproto.Error{Code: httpproto.CodeBadResponse,
					Detail: "more than " + strconv.Itoa(MaxInterimResponses) + " interim (1xx) responses"}})
				return false
			}
		}
		if f.tunnel {
			if r.Status < 200 || r.Status > 299 {
				if r.Status < 200 {
					return true // interim
				}
				f.fail(&Error{Op: "proxy", URL: f.urlString(), Err: &ProxyError{Status: r.Status, Reason: string(r.Reason)}})
				return false
			}
			return true // Switched follows
		}
		if r.Status < 200 {
			if r.Status == 101 {
				f.fail(&Error{Op: "read", URL: f.urlString(), Err: &httpproto.Error{Code: httpproto.CodeBadResponse, Detail: "unexpected 101 Switching Protocols"}})
				return false
			}
			if r.Status == 100 {
				f.sendBody()
			}
			return true
		}
		f.head(r)
		if f.done {
			return false // head refused the response
		}
	case httpproto.BodyData:
		switch {
		case f.following:
		case f.gz != nil:
			f.gz.feed(ev.Data)
		case f.gzip:
			f.zbuf = append(f.zbuf, ev.Data...)
		case f.req.OnChunk != nil:
			f.req.OnChunk(ev.Data)
		default:
			f.resp.Body = append(f.resp.Body, ev.Data...)
		}
	case httpproto.MessageDone:
		if t := pc.p.Trailers(); t.Len() > 0 && f.resp != nil {
			f.resp.Trailer = t.Clone()
		}
		f.msgDone = true
		return false
	case httpproto.Switched:
		if f.tunnel {
			f.switched = true
			return false
		}
		f.fail(&Error{Op: "read", URL: f.urlString(), Err: &httpproto.Error{Code: httpproto.CodeBadResponse, Detail: "unexpected protocol switch"}})
		return false
	}
	return true
}

// head takes the final response head.
func (f *fetch) head(r *httpproto.Response) {
	if f.waitCont {
		// A final answer before 100 Continue: the body is not sent, and
		// the connection cannot carry another request.
		f.waitCont = false
		f.contTimer.Cancel()
		f.noReuse = true
	}
	if !r.KeepAlive {
		f.noReuse = true
	}
	// Tornado's reason: the status line's, or the code's standard text
	// when it is empty (the constant, not a copy, when they are equal).
	reason := httpproto.StatusText(r.Status)
	if len(r.Reason) > 0 && string(r.Reason) != reason {
		reason = string(r.Reason)
	}
	resp := &Response{
		Request: f.req,
		Status:  r.Status,
		Reason:  reason,
		Proto:   r.Version,
		Header:  r.Header.Clone(),
		Start:   f.start,
		Reused:  f.reused,
	}
	f.resp = resp
	f.following = f.shouldFollow(resp)
	if f.following {
		return
	}
	if c := otherTransferCoding(r); c != "" {
		// The parser framed the body (de-chunked it, or reads it to the
		// close) but left that coding on it: handing it out as the
		// content would be a silent corruption. net/http refuses such a
		// response too.
		f.fail(&Error{Op: "read", URL: f.urlString(), Err: &httpproto.Error{Code: httpproto.CodeUnsupportedTransferEncoding,
			Detail: "response transfer coding " + strconv.Quote(c) + " (only chunked is supported)"}})
		return
	}
	// Not a 206: its body is a range of the encoded representation, a
	// piece of a gzip stream that cannot be decoded on its own (net/http,
	// which does not ask for gzip with a Range, does not decode it either).
	if f.decompress && r.Status != 206 && isGzip(&resp.Header) {
		f.gzip = true
		renameHeader(&resp.Header, "Content-Encoding", "X-Consumed-Content-Encoding")
		if f.req.OnChunk != nil {
			f.gz = startGzStream(f)
		}
	}
	// A body of known length is gathered in one allocation (up to a
	// bound: the peer chooses the length).
	if n := r.ContentLength; n > 0 {
		n = min(n, maxPresize)
		switch {
		case f.gz != nil:
		case f.gzip:
			f.zbuf = slices.Grow(f.zbuf[:0], int(n))
		case f.req.OnChunk == nil:
			resp.Body = make([]byte, 0, n)
		}
	}
	if f.req.OnHeader != nil {
		f.req.OnHeader(resp)
	}
}

// complete ends a hop whose response arrived completely.
func (f *fetch) complete(pc *pconn) {
	f.timer.Cancel()
	f.contTimer.Cancel()
	f.pc = nil
	pc.f = nil
	// Pooled only if the exchange left it clean: the request sent in full
	// (nothing still queued: the server may have answered early) and not
	// marked "Connection: close" (RFC 9112 section 9.6), the response read
	// to its end and nothing after it.
	if f.noReuse || pc.enc.InBody() || !pc.enc.KeepAlive() || pc.s.Writing() ||
		!f.bodyStart && (len(f.body) > 0 || f.producer != nil) ||
		pc.p.State() != httpproto.StateIdle || len(pc.s.Buffered()) > 0 {
		pc.close(nil)
	} else {
		f.c.putIdle(pc)
	}
	resp := f.resp
	resp.RequestTime = f.c.l.Now().Sub(f.hopStart)
	resp.ConnectTime = f.connectDur
	resp.EffectiveURL = f.effectiveURL()
	resp.Redirects = f.redirects
	if f.following {
		if err := f.redirect(resp); err != nil {
			f.fail(err)
		}
		return
	}
	if f.gz != nil {
		// The rest of the body is decoding: gzDone finishes.
		f.gzResp = resp
		f.gz.end()
		return
	}
	if f.gzip {
		body, err := gunzip(f.zbuf, f.c.cfg.MaxDecompressedSize)
		f.zbuf = f.zbuf[:0]
		if err != nil {
			f.fail(&Error{Op: "decode", URL: f.urlString(), Err: err})
			return
		}
		resp.Body = body
	}
	f.finish(resp, nil)
}

// connFailed handles a connection that failed under the hop: a request
// that a pooled connection failed before any response byte is retried
// once on a new connection, if it can be replayed and is idempotent, or
// if none of it was sent (unsent: any request, as net/http has it). A
// produced body can be replayed until its producer is called (as while it
// waits for 100 Continue): nothing of it was consumed yet.
func (f *fetch) connFailed(op string, err error) {
	if f.done {
		return
	}
	if f.reused && !f.gotByte && !f.retried && (f.unsent || (f.producer == nil || !f.bodyStart) && f.idempotent()) {
		f.retried = true
		f.forceNew = true
		f.endHop()
		// The retry is the same attempt on another connection: its request
		// timeout, and the response's RequestTime, count from the first.
		f.keepStart = true
		f.startHop()
		return
	}
	switch {
	case f.tunnel:
		op = "proxy" // the proxy closed before answering CONNECT
	case f.state == stConnecting:
		op = "connect" // e.g. during the TLS handshake
	}
	f.fail(&Error{Op: op, URL: f.urlString(), Err: err})
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// idempotent reports whether the request may be sent twice: its method
// is idempotent (RFC 9110 section 9.2.2), or, as net/http has it, it
// carries an Idempotency-Key (or X-Idempotency-Key) field.
func (f *fetch) idempotent() bool {
	switch f.method {
	case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE":
		return true
	}
	return f.header.Has("Idempotency-Key") || f.header.Has("X-Idempotency-Key")
}

func (f *fetch) queueExpired() {
	f.queueTimer = loop.Timer{}
	f.fail(&Error{Op: "queue", URL: f.urlString(), Err: &TimeoutError{Phase: PhaseQueue}})
}

func (f *fetch) onTimeout() {
	f.timer = loop.Timer{}
	phase, op := PhaseRequest, "read"
	if f.state == stConnecting {
		phase, op = PhaseConnect, "connect"
	}
	f.fail(&Error{Op: op, URL: f.urlString(), Err: &TimeoutError{Phase: phase}})
}

// endHop stops what the current hop runs and closes its connection, if
// any.
func (f *fetch) endHop() {
	f.timer.Cancel()
	f.contTimer.Cancel()
	if f.gz != nil {
		f.gz.abort()
		f.gz, f.gzResp = nil, nil
	}
	if f.cancelDial != nil {
		f.cancelDial()
		f.cancelDial = nil
	}
	if pc := f.pc; pc != nil {
		f.pc = nil
		pc.close(nil)
	}
	f.hop++ // stale callbacks of the hop are ignored from now on
}

func (f *fetch) fail(err error) { f.finish(nil, err) }

// finish ends the request and posts its callback.
func (f *fetch) finish(resp *Response, err error) {
	if f.done {
		return
	}
	f.endHop()
	f.done = true
	if f.queued {
		f.c.dequeue(f)
	}
	delete(f.c.live, f)
	if f.c.newest == f {
		f.c.newest = nil
	}
	f.c.release(f)
	f.outResp, f.outErr = resp, err
	if perr := f.c.l.Post(f.deliverFn); perr != nil {
		f.deliver() // the loop is closed: nobody else will call it
	}
}

// deliver calls the request's callback, then recycles f.
func (f *fetch) deliver() {
	cb, resp, err := f.cb, f.outResp, f.outErr
	f.cb, f.outResp, f.outErr = nil, nil, nil
	cb(resp, err)
	f.c.recycle(f)
}

// otherTransferCoding returns the first transfer coding other than chunked
// of a response that has a body, or "".
func otherTransferCoding(r *httpproto.Response) string {
	if !r.Chunked && !r.CloseDelimited {
		return ""
	}
	for _, v := range r.Header.Values("Transfer-Encoding") {
		for c := range strings.SplitSeq(v, ",") {
			if c = strings.TrimSpace(c); !strings.EqualFold(c, "chunked") {
				return c
			}
		}
	}
	return ""
}

// isGzip reports a Content-Encoding of gzip (or x-gzip) alone.
func isGzip(h *httpproto.Headers) bool {
	if h.Count("Content-Encoding") != 1 {
		return false
	}
	v := strings.TrimSpace(h.GetString("Content-Encoding"))
	return strings.EqualFold(v, "gzip") || strings.EqualFold(v, "x-gzip")
}

// renameHeader renames every field named from.
func renameHeader(h *httpproto.Headers, from, to string) {
	vals := h.Values(from)
	h.Del(from)
	for _, v := range vals {
		h.Add(to, v)
	}
}
