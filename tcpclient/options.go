package tcpclient

import (
	"crypto/tls"
	"net/netip"
	"time"

	"github.com/gale-io/gale/netutil"
	"github.com/gale-io/gale/stream"
)

// DefaultAttemptDelay is the Connection Attempt Delay of RFC 8305 section
// 5 that Options.AttemptDelay defaults to: how long an attempt has before
// the next address is tried beside it.
const DefaultAttemptDelay = 250 * time.Millisecond

// DefaultKeepAlive is Options.KeepAlive's default: TCP keepalive probes
// after 15 s of silence, every 15 s, as net.Dialer sets them.
const DefaultKeepAlive = 15 * time.Second

// MinAttemptDelay is the smallest Options.AttemptDelay: RFC 8305 section
// 5 forbids staggering attempts by less than 10 ms (and advises at least
// 100 ms), so as not to flood a network with parallel SYNs.
const MinAttemptDelay = 10 * time.Millisecond

// Options configure Connect. A nil *Options gives the defaults documented
// on each field. Connect reads them before it returns; changing them
// afterwards does not affect it (except Stream, which the streams keep).
type Options struct {
	// Resolver turns the host name into addresses. Default
	// netutil.NetResolver{} (Go's resolver on another goroutine, the answer
	// posted to the loop). An IP literal host is never resolved.
	Resolver netutil.Resolver
	// Network is "tcp" (both address families), "tcp4" (IPv4 only) or
	// "tcp6" (IPv6 only), Tornado's af argument. Default "tcp".
	Network string
	// Timeout bounds the whole connect: resolution and every attempt (and
	// the TLS handshake, once there is one), as Tornado's timeout does.
	// When it expires the connect fails with an *Error that matches
	// context.DeadlineExceeded. Default 0 (or negative): no limit but
	// ctx's.
	Timeout time.Duration
	// AttemptDelay is RFC 8305's Connection Attempt Delay: an attempt that
	// has not connected within it gets company, and the next address is
	// tried beside it (an attempt that fails starts the next one at once).
	// Default DefaultAttemptDelay (250 ms); values below MinAttemptDelay
	// are raised to it.
	AttemptDelay time.Duration
	// LocalAddr, if valid, is the source address every attempt binds
	// before connecting (Tornado's source_ip). Only addresses of its
	// family are tried. Default: the zero Addr, the system picks.
	LocalAddr netip.Addr
	// LocalPort, if not 0, is the source port every attempt binds (Tornado's
	// source_port). Without LocalAddr it binds the unspecified address of
	// each attempt's family (Tornado binds a loopback address, which can
	// reach nothing else). On Unix, SO_REUSEADDR is set so that the port
	// can be bound again while an earlier connection from it lingers in
	// TIME_WAIT, and so that attempts racing to different addresses may
	// share it. Default 0: an ephemeral port.
	LocalPort int
	// NoDelay sets TCP_NODELAY on the connected stream.
	NoDelay bool
	// KeepAlive turns on TCP keepalive on the connected stream: probes
	// start after this much silence and repeat at this interval (whole
	// seconds), so that a server that vanished without a FIN is noticed
	// however long the protocol leaves the connection idle (net.Dialer's
	// default). Default DefaultKeepAlive (15 s); negative: off.
	KeepAlive time.Duration
	// Stream configures the stream of every attempt (Tornado's
	// max_buffer_size is Stream.MaxBufferSize). The streams keep the
	// pointer: do not change it afterwards, and reuse one *stream.Options
	// for many connections rather than making one per Connect. Its OnClose
	// also sees the attempts that lost the race, closed by Connect. Default
	// nil: stream's defaults.
	Stream *stream.Options
	// TLS, if set, makes Connect start TLS on the connected stream as a
	// client, with ServerName defaulting to the host (an IP literal
	// without brackets or IPv6 zone; Tornado's ssl_options); Connect calls
	// back once the handshake is done.
	TLS *tls.Config
}

// config is Options with the defaults filled in, kept by value in a dial.
type config struct {
	resolver  netutil.Resolver
	network   string
	timeout   time.Duration
	delay     time.Duration
	localAddr netip.Addr
	localPort int
	noDelay   bool
	keepAlive time.Duration
	stream    *stream.Options
	tls       *tls.Config
}

// defaultResolver is shared, so that the default costs no allocation.
var defaultResolver netutil.Resolver = netutil.NetResolver{}

func (c *config) set(o *Options) {
	if o != nil {
		*c = config{
			resolver:  o.Resolver,
			network:   o.Network,
			timeout:   o.Timeout,
			delay:     o.AttemptDelay,
			localAddr: o.LocalAddr.Unmap(),
			localPort: o.LocalPort,
			noDelay:   o.NoDelay,
			keepAlive: o.KeepAlive,
			stream:    o.Stream,
			tls:       o.TLS,
		}
	}
	if c.resolver == nil {
		c.resolver = defaultResolver
	}
	if c.network == "" {
		c.network = "tcp"
	}
	if c.keepAlive == 0 {
		c.keepAlive = DefaultKeepAlive
	}
	if c.delay <= 0 {
		c.delay = DefaultAttemptDelay
	}
	c.delay = max(c.delay, MinAttemptDelay)
}
