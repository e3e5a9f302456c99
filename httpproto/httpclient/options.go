package httpclient

import (
	"crypto/tls"
	"net/netip"
	"time"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/netutil"
	"github.com/gale-io/gale/stream"
)

// The defaults, Tornado's where Tornado has one.
const (
	DefaultMaxClients      = 10               // SimpleAsyncHTTPClient max_clients
	DefaultConnectTimeout  = 20 * time.Second // HTTPRequest connect_timeout
	DefaultRequestTimeout  = 20 * time.Second // HTTPRequest request_timeout
	DefaultMaxRedirects    = 5                // HTTPRequest max_redirects
	DefaultIdleTimeout     = 90 * time.Second // as net/http's Transport
	DefaultContinueTimeout = time.Second      // as curl's Expect: 100-continue wait
	DefaultUserAgent       = "gale/httpclient"
)

// MaxInterimResponses bounds the interim (1xx) responses, such as 103
// Early Hints, read before one final response: a server that sends more
// fails the request with an *httpproto.Error (CodeBadResponse) rather than
// holding it until its timeout. net/http has a similar bound. Each interim
// head is also bounded by Options.MaxHeaderSize.
const MaxInterimResponses = 16

// Options configure a Client. A nil *Options gives the defaults documented
// on each field; a zero field means its default. New copies them.
type Options struct {
	// MaxClients is how many requests may be active at once (connecting,
	// sending or receiving); more wait in a FIFO queue. Default 10, Tornado's
	// max_clients.
	MaxClients int
	// QueueTimeout is how long a request may wait in the queue before it
	// fails with a TimeoutError of PhaseQueue. Default: the smaller of the
	// request's connect and request timeouts, as in Tornado.
	QueueTimeout time.Duration
	// ConnectTimeout bounds connecting: resolution, TCP, a proxy's CONNECT
	// and TLS. It counts from when the request leaves the queue, and never
	// exceeds RequestTimeout. Default 20 s; negative means no limit.
	// Request.ConnectTimeout overrides it.
	ConnectTimeout time.Duration
	// RequestTimeout bounds a whole request, from when it leaves the queue
	// to the end of the response (each redirect hop counts afresh, as in
	// Tornado). Default 20 s; negative means no limit.
	// Request.RequestTimeout overrides it.
	RequestTimeout time.Duration
	// ContinueTimeout is how long a request with Expect: 100-continue waits
	// for the interim 100 (or a final status) before sending its body
	// anyway (Tornado waits for ever; curl waits 1 s). Default 1 s;
	// negative means wait for ever.
	ContinueTimeout time.Duration
	// MaxRedirects is how many redirects a request follows at most.
	// Default 5; negative follows none (as NoFollowRedirects).
	// Request.MaxRedirects overrides it.
	MaxRedirects int
	// NoFollowRedirects turns following redirects off by default (Tornado's
	// follow_redirects=False); Request.FollowRedirects overrides it.
	NoFollowRedirects bool
	// MaxHeaderSize caps a response head in bytes, its status line
	// included (and its field count at one per 32 bytes). Default 64 KiB,
	// Tornado's max_header_size.
	MaxHeaderSize int
	// MaxBodySize caps a response body as it arrives (before
	// decompression), in bytes. Default 100 MiB, Tornado's max_body_size.
	MaxBodySize int64
	// MaxDecompressedSize caps a decompressed body in bytes (against
	// decompression bombs). Default MaxBodySize.
	MaxDecompressedSize int64
	// NoDecompress turns response decompression off by default (Tornado's
	// decompress_response=False); Request.Decompress overrides it.
	NoDecompress bool
	// UserAgent is sent when a request has no User-Agent header. Default
	// DefaultUserAgent.
	UserAgent string
	// TLS is the client TLS configuration for https. Default nil: crypto/tls
	// defaults, which verify the server's certificate against the system
	// roots. ServerName is set to the target host unless the configuration
	// names one, which then verifies every target (net/http's rule). ALPN
	// offers only "http/1.1" when NextProtos names anything else (a
	// configuration shared with an HTTP/2 client). Request.TLS overrides
	// it.
	TLS *tls.Config
	// Resolver resolves host names. Default netutil.NetResolver{}.
	Resolver netutil.Resolver
	// LocalAddr, if valid, is the source address of every connection
	// (Tornado's network_interface, as an IP literal).
	LocalAddr netip.Addr
	// Stream configures every connection's stream (its MaxBufferSize must
	// hold a response head). Default nil: stream's defaults, except that
	// reading never pauses while the request waits to be written
	// (WriteHighWater -1): the client reads only the responses it asked
	// for, and a server may answer before it has read a large body (a 413,
	// a redirect), which a paused stream would not see until the request
	// timed out. A WriteHighWater set here applies as given.
	Stream *stream.Options
	// Proxy returns the proxy URL ("http://user:pass@host:port") to send a
	// request for target through, or "" to connect directly. An http target
	// goes to the proxy in absolute form; an https target through a CONNECT
	// tunnel. Default nil: no proxy. FixedProxy makes one.
	Proxy func(target httpproto.URL) (string, error)
	// MaxIdlePerHost caps the idle keep-alive connections kept per pool key.
	// Default MaxClients; negative turns pooling off (Tornado's simple
	// client: one connection per request, each request saying
	// "Connection: close").
	MaxIdlePerHost int
	// IdleTimeout closes a pooled connection idle this long. Default 90 s.
	IdleTimeout time.Duration
}

// FixedProxy returns an Options.Proxy that sends every request through
// proxyURL.
func FixedProxy(proxyURL string) func(httpproto.URL) (string, error) {
	return func(httpproto.URL) (string, error) { return proxyURL, nil }
}

// config is Options with the defaults filled in.
type config struct {
	Options
	limits httpproto.Limits
}

// defaultStream is the streams' configuration when Options.Stream is nil
// (see there).
var defaultStream = &stream.Options{WriteHighWater: -1}

func (c *config) set(o *Options) {
	if o != nil {
		c.Options = *o
	}
	if c.MaxClients <= 0 {
		c.MaxClients = DefaultMaxClients
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.ContinueTimeout == 0 {
		c.ContinueTimeout = DefaultContinueTimeout
	}
	if c.MaxRedirects == 0 {
		c.MaxRedirects = DefaultMaxRedirects
	}
	if c.MaxHeaderSize <= 0 {
		c.MaxHeaderSize = httpproto.DefaultMaxHeaderBytes
	}
	if c.MaxBodySize <= 0 {
		c.MaxBodySize = httpproto.DefaultMaxBodySize
	}
	if c.MaxDecompressedSize <= 0 {
		c.MaxDecompressedSize = c.MaxBodySize
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	if c.Resolver == nil {
		c.Resolver = netutil.NetResolver{}
	}
	if c.Stream == nil {
		c.Stream = defaultStream
	}
	if c.MaxIdlePerHost == 0 {
		c.MaxIdlePerHost = c.MaxClients
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	// MaxHeaderSize bounds a response head, as Tornado's max_header_size:
	// the codec's default caps on the field count (100) and the start line
	// (8 KiB) are a server's, and would refuse heads that Tornado and
	// net/http read (many Set-Cookie fields). The count stays bounded, at
	// one field per 32 bytes of MaxHeaderSize, because the parser of a
	// pooled connection keeps the storage of the largest head it read.
	c.limits = httpproto.Limits{MaxHeaderBytes: c.MaxHeaderSize, MaxRequestLine: c.MaxHeaderSize,
		MaxHeaderCount: max(c.MaxHeaderSize/32, httpproto.DefaultMaxHeaderCount), MaxBodySize: c.MaxBodySize}
}
