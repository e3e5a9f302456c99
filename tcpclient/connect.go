package tcpclient

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream"
)

// Connect opens a TCP connection to host:port on loop l and calls cb with
// the connected stream, or with an *Error (see Error for the causes).
//
// host is a name, resolved with Options.Resolver, or an IP literal
// (brackets and an IPv6 zone allowed), used as is. The resolved addresses
// are raced as RFC 8305 (Happy Eyeballs v2) describes: ordered by
// alternating address families, starting with the family of the
// resolver's first answer (section 4); one attempt is started, and the
// next one when the current has not connected within
// Options.AttemptDelay, or at once when it fails (section 5), so several
// may be in flight. The first to connect wins; the other attempts and
// pending timers are cancelled and their sockets closed. When every
// attempt has failed, the error is the last one's.
//
// ctx bounds the connect: when it is cancelled or reaches its deadline
// (or when Options.Timeout expires, whichever comes first) the connect
// fails with ctx's error (context.DeadlineExceeded for a timeout) and
// every socket in flight is closed. Once cb has been called, ctx no longer
// matters: the stream lives on. ctx is watched with context.AfterFunc,
// which costs no goroutine unless ctx ends while the connect runs (for the
// context package's own contexts; another implementation of Context may
// cost one).
//
// Connect must be called on l's goroutine (or before l runs), like every
// loop method. cb runs on l's goroutine exactly once, never inside
// Connect, and owns the stream (it must close it); if l is closed before
// the connect finishes, cb is not called.
func Connect(ctx context.Context, l *loop.Loop, host string, port int, opts *Options, cb func(*stream.Stream, error)) {
	d := &dial{l: l, ctx: ctx, host: host, port: port, cb: cb, inline: true}
	d.cfg.set(opts)
	d.begin()
	d.inline = false
}

// dial is one Connect in progress. It lives on the loop's goroutine; only
// ctxDone runs elsewhere, and it only posts to the loop.
type dial struct {
	l    *loop.Loop
	ctx  context.Context
	host string
	port int
	cfg  config
	cb   func(*stream.Stream, error)

	addrs    []netip.AddrPort // in the order they are tried
	next     int              // addrs[next] is the next to try
	inflight []*stream.Stream // attempts connecting
	lastErr  error            // the last failed attempt's error
	lastAddr netip.AddrPort   // and its address

	delay         loop.Timer         // starts the next attempt
	deadline      loop.Timer         // Options.Timeout or ctx's deadline
	stopCtx       func() bool        // stops the context.AfterFunc
	cancelResolve context.CancelFunc // abandons the resolver's lookup

	one    [1]netip.AddrPort // addrs of an IP literal, without allocating
	buf    [2]*stream.Stream // inflight's first backing array
	inline bool              // inside Connect: cb must be posted
	done   bool              // cb has been called (or posted)

	handshaking bool           // the TLS handshake with tlsAddr is under way
	tlsAddr     netip.AddrPort // the winner's address
}

func (d *dial) begin() {
	if err := d.check(); err != nil {
		d.fail("connect", err, netip.AddrPort{})
		return
	}
	if err := d.ctx.Err(); err != nil {
		d.fail("connect", err, netip.AddrPort{})
		return
	}
	d.inflight = d.buf[:0]
	deadline, ok := d.ctx.Deadline()
	if d.cfg.timeout > 0 {
		if t := d.l.Now().Add(d.cfg.timeout); !ok || t.Before(deadline) {
			deadline, ok = t, true
		}
	}
	if ok {
		d.deadline = d.l.CallAt(deadline, d.expire)
	}
	if d.ctx.Done() != nil {
		d.stopCtx = context.AfterFunc(d.ctx, d.ctxDone)
	}
	if a, ok := parseLiteral(d.host); ok {
		d.one[0] = netip.AddrPortFrom(a, uint16(d.port))
		d.resolved(d.one[:], nil)
		return
	}
	var rctx context.Context
	rctx, d.cancelResolve = context.WithCancel(d.ctx)
	d.cfg.resolver.Resolve(rctx, d.l, d.host, d.port, d.cfg.network, d.resolved)
}

// check validates the arguments. The port comes first: an Error with Port 0
// reads as ConnectUnix's (see Error.unix) unless its cause is the bad port.
func (d *dial) check() error {
	if d.port < 1 || d.port > 65535 {
		return &net.AddrError{Err: "invalid port", Addr: strconv.Itoa(d.port)}
	}
	switch d.cfg.network {
	case "tcp", "tcp4", "tcp6":
	default:
		return net.UnknownNetworkError(d.cfg.network)
	}
	if d.cfg.localPort < 0 || d.cfg.localPort > 65535 {
		return &net.AddrError{Err: "invalid local port", Addr: strconv.Itoa(d.cfg.localPort)}
	}
	return nil
}

// parseLiteral recognises an IP address, bracketed or not.
func parseLiteral(s string) (netip.Addr, bool) {
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	if a.Is4In6() && a.Zone() == "" {
		a = a.Unmap()
	}
	return a, true
}

// usable reports whether a may be tried: of the family Network allows and
// of LocalAddr's family when that is set.
func (d *dial) usable(a netip.Addr) bool {
	v4 := a.Unmap().Is4()
	switch {
	case d.cfg.network == "tcp4" && !v4, d.cfg.network == "tcp6" && v4:
		return false
	case d.cfg.localAddr.IsValid() && d.cfg.localAddr.Is4() != v4:
		return false
	}
	return true
}

// resolved takes the resolver's answer (or an IP literal) and starts the
// race.
func (d *dial) resolved(addrs []netip.AddrPort, err error) {
	if d.done {
		return // the deadline or ctx came first
	}
	if d.cancelResolve != nil {
		d.cancelResolve()
		d.cancelResolve = nil
	}
	if err != nil {
		d.fail("resolve", err, netip.AddrPort{})
		return
	}
	unusable := func(ap netip.AddrPort) bool { return !d.usable(ap.Addr()) }
	if slices.ContainsFunc(addrs, unusable) {
		addrs = slices.DeleteFunc(slices.Clone(addrs), unusable) // the slice is the resolver's
	}
	if len(addrs) == 0 {
		d.fail("connect", &net.AddrError{Err: "no suitable address", Addr: d.host}, netip.AddrPort{})
		return
	}
	d.addrs = interleave(addrs)
	d.tryNext()
}

// tryNext starts an attempt on the next address (going on to the one after
// at once if starting fails), and arms the Connection Attempt Delay when
// more addresses wait. With no address left and no attempt in flight, the
// connect has failed.
func (d *dial) tryNext() {
	d.delay.Cancel()
	d.delay = loop.Timer{}
	for d.next < len(d.addrs) {
		ap := d.addrs[d.next]
		d.next++
		if err := d.start(ap); err != nil {
			d.lastErr, d.lastAddr = err, ap
			continue
		}
		if d.next < len(d.addrs) {
			d.delay = d.l.CallLater(d.cfg.delay, d.tryNext)
		}
		return
	}
	if len(d.inflight) == 0 {
		d.fail("connect", d.lastErr, d.lastAddr)
	}
}

// start opens a socket for ap and starts connecting it.
func (d *dial) start(ap netip.AddrPort) error {
	fd, err := openSocket(ap.Addr(), d.cfg.localAddr, d.cfg.localPort)
	if err != nil {
		return err
	}
	s, err := stream.New(d.l, fd, d.cfg.stream)
	if err != nil {
		closeSocket(fd)
		return err
	}
	if err := s.Connect(ap, func(err error) { d.attemptDone(s, ap, err) }); err != nil {
		s.Close()
		return cause(err)
	}
	d.inflight = append(d.inflight, s)
	return nil
}

// attemptDone is an attempt's connect callback.
func (d *dial) attemptDone(s *stream.Stream, ap netip.AddrPort, err error) {
	i := slices.Index(d.inflight, s)
	if i < 0 {
		// Cancelled: closed when another attempt won or the connect
		// failed. A success that was already on its way is dropped here.
		s.Close()
		return
	}
	d.inflight = slices.Delete(d.inflight, i, i+1)
	if err == nil && d.cfg.noDelay {
		if err = s.SetNoDelay(true); err != nil {
			s.Close()
		}
	}
	if err == nil && d.cfg.keepAlive > 0 {
		s.SetKeepAlive(true, d.cfg.keepAlive) // best effort, as net.Dialer's
	}
	if err != nil {
		d.lastErr, d.lastAddr = cause(err), ap
		d.tryNext()
		return
	}
	if d.cfg.tls != nil {
		d.startTLS(s, ap)
		return
	}
	d.finish(s, nil)
}

// startTLS runs the TLS handshake on the winner. The race is over (RFC 8305
// races TCP only): the other attempts are closed and no more start; the
// deadline and ctx still cover the handshake, as Tornado's timeout does.
func (d *dial) startTLS(s *stream.Stream, ap netip.AddrPort) {
	d.delay.Cancel()
	for _, o := range d.inflight {
		o.Close()
	}
	d.inflight = append(d.inflight[:0], s) // finish closes it on failure
	d.handshaking, d.tlsAddr = true, ap
	cfg := d.cfg.tls.Clone()
	if cfg.ServerName == "" {
		if a, ok := parseLiteral(d.host); ok {
			// An IPv6 zone names our interface, not the server: x509
			// would take "fe80::1%eth0" for a host name and refuse it.
			cfg.ServerName = a.WithZone("").String()
		} else {
			cfg.ServerName = strings.TrimSuffix(strings.TrimPrefix(d.host, "["), "]")
		}
	}
	tlsFailed := func(err error) {
		d.finish(nil, &Error{Op: "tls", Host: d.host, Port: d.port, Addr: ap, Err: err})
	}
	if err := s.StartTLS(cfg, false, func(err error) {
		if d.done {
			return // the deadline or ctx ended first and closed s
		}
		d.inflight = nil
		if err != nil {
			tlsFailed(err)
			return
		}
		d.finish(s, nil)
	}); err != nil {
		tlsFailed(err)
	}
}

// cause unwraps the stream's *ClosedError: a failed connect is not about a
// closed stream but about what closed it.
func cause(err error) error {
	var ce *stream.ClosedError
	if errors.As(err, &ce) && ce.Cause != nil {
		return ce.Cause
	}
	return err
}

// expire is the deadline's timer.
func (d *dial) expire() {
	d.deadline = loop.Timer{}
	op, addr := d.stage()
	d.fail(op, context.DeadlineExceeded, addr)
}

// stage names the step a deadline or cancellation interrupts, for Error's
// Op: resolving, connecting (the attempts' race) or the TLS handshake
// (with the address it runs on).
func (d *dial) stage() (string, netip.AddrPort) {
	switch {
	case d.cancelResolve != nil:
		return "resolve", netip.AddrPort{}
	case d.handshaking:
		return "tls", d.tlsAddr
	}
	return "connect", netip.AddrPort{}
}

// ctxDone runs on a goroutine of the context package when ctx ends first;
// it only hands over to the loop. If the loop is closed, nobody is left
// to tell.
func (d *dial) ctxDone() {
	d.l.Post(func() {
		if !d.done {
			op, addr := d.stage()
			d.fail(op, d.ctx.Err(), addr)
		}
	})
}

func (d *dial) fail(op string, err error, addr netip.AddrPort) {
	if err == nil {
		err = errors.New("no address to connect to")
	}
	d.finish(nil, &Error{Op: op, Host: d.host, Port: d.port, Addr: addr, Err: err})
}

// finish cancels whatever is still under way and calls cb once.
func (d *dial) finish(s *stream.Stream, err error) {
	if d.done {
		return
	}
	d.done = true
	d.delay.Cancel()
	d.deadline.Cancel()
	if d.stopCtx != nil {
		d.stopCtx()
	}
	if d.cancelResolve != nil {
		d.cancelResolve()
		d.cancelResolve = nil
	}
	for _, o := range d.inflight {
		o.Close()
	}
	clear(d.inflight)
	d.inflight = nil
	cb := d.cb
	d.cb = nil
	if d.inline {
		d.l.Post(func() { cb(s, err) })
		return
	}
	cb(s, err)
}
