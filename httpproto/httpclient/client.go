package httpclient

import (
	"context"
	"crypto/tls"
	"errors"
	"slices"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/loop"
)

// Client fetches HTTP requests on one loop: Tornado's AsyncHTTPClient
// (the simple client), with keep-alive pooling.
//
// Concurrency: a Client belongs to its loop. New, Fetch and Close must be
// called on the loop's goroutine (or, for New, before the loop runs), and
// every callback runs there. Do is the exception: it is safe from any
// goroutine other than the loop's.
type Client struct {
	l      *loop.Loop
	cfg    config
	active int                  // requests holding a slot
	queue  []*fetch             // waiting for a slot, oldest first
	live   map[*fetch]struct{}  // every request not yet finished
	idle   map[poolKey]idleList // pooled connections per key
	conns  map[*pconn]struct{}  // every open connection
	free   []*fetch             // finished requests, for reuse
	seq    uint64               // numbers the requests
	closed bool
	newest *fetch // the last Fetch's request, for Do
}

// idleList is the idle connections of one pool key, linked through
// pconn.older and pconn.newer, so that pooling a connection and taking it
// back allocate nothing.
type idleList struct {
	oldest, newest *pconn
	n              int
}

// poolKey is what a connection can be reused for: everything that went
// into connecting it. Options that are the same for every connection of
// a Client (the local address, the resolver, the stream options) are not
// part of it.
type poolKey struct {
	scheme string
	host   string
	port   int
	proxy  string      // the proxy URL, "" for none
	tls    *tls.Config // by identity
	unix   string
	// proxyAuth is the request's own Proxy-Authorization a CONNECT tunnel
	// was opened with: the proxy authorized the tunnel for it only.
	proxyAuth string
}

// New returns a Client that runs on l with opts (nil for the defaults).
func New(l *loop.Loop, opts *Options) *Client {
	c := &Client{
		l:     l,
		live:  make(map[*fetch]struct{}),
		idle:  make(map[poolKey]idleList),
		conns: make(map[*pconn]struct{}),
	}
	c.cfg.set(opts)
	return c
}

// Fetch starts req and calls cb with its response, or with an *Error when
// there is none (see Error; Tornado's 599). A response with any status is
// a response: see Response.Err for Tornado's raise_error behaviour.
//
// At most Options.MaxClients requests are active at once; others wait in
// FIFO order, each for at most Options.QueueTimeout. cb runs on the loop,
// exactly once, never inside Fetch.
func (c *Client) Fetch(req *Request, cb func(*Response, error)) {
	f := c.newFetch()
	f.req, f.cb = req, cb
	c.live[f] = struct{}{}
	c.newest = f
	if c.closed {
		f.fail(&Error{Op: "request", URL: req.URL, Err: ErrClosed})
		return
	}
	if err := f.init(); err != nil {
		f.fail(err)
		return
	}
	c.enqueue(f)
}

// Do is Fetch for any goroutine but the loop's: it posts the request to
// the loop and waits for the result, or for ctx to end (the request is
// then aborted with ctx's error), or for the loop to close (an *Error
// matching loop.ErrClosed, or ctx's error if ctx has ended too).
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	ch := make(chan doResult, 1)
	var f *fetch
	var seq uint64 // f is recycled once finished: seq tells whether it still is this request
	if err := c.l.Post(func() {
		c.Fetch(req, func(r *Response, err error) { ch <- doResult{r, err} })
		if f = c.newest; f != nil {
			seq = f.seq
		}
	}); err != nil {
		// The loop closed before: the same *Error as when it closes
		// during the wait.
		return c.closedResult(ch, req, closedCause(ctx))
	}
	// A loop closed meanwhile drops the callbacks still queued (the
	// request's and the abort's): nobody would answer, so Done ends the
	// wait too (see loop.Loop.Done).
	select {
	case res := <-ch:
		return res.r, res.err
	case <-c.l.Done():
		return c.closedResult(ch, req, closedCause(ctx))
	case <-ctx.Done():
		if c.l.Post(func() {
			if f != nil && f.seq == seq && !f.done {
				f.fail(&Error{Op: f.op(), URL: f.urlString(), Err: ctx.Err()})
			}
		}) != nil {
			return c.closedResult(ch, req, ctx.Err())
		}
		select {
		case res := <-ch:
			if res.err == nil {
				return res.r, nil
			}
			return nil, res.err
		case <-c.l.Done():
			return c.closedResult(ch, req, ctx.Err())
		}
	}
}

// closedCause is the cause Do gives when the loop closed: ctx's error if
// ctx ended too (the select picks either when both ended before it looked),
// else loop.ErrClosed.
func closedCause(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return loop.ErrClosed
}

// closedResult is Do's result once the loop closed: the request's, if its
// callback ran, else an *Error with cause.
func (c *Client) closedResult(ch <-chan doResult, req *Request, cause error) (*Response, error) {
	select {
	case res := <-ch:
		return res.r, res.err
	default:
	}
	url := ""
	if u, err := httpproto.ParseURL(req.URL); err == nil {
		u.Username, u.Password = "", ""
		url = u.String()
	}
	return nil, &Error{Op: "request", URL: url, Err: cause}
}

// doResult is what Do's callback hands back.
type doResult struct {
	r   *Response
	err error
}

// Close fails every queued and active request with ErrClosed and closes
// every connection. Fetch after Close fails the same way.
func (c *Client) Close() {
	if c.closed {
		return
	}
	c.closed = true
	for f := range c.live {
		f.fail(&Error{Op: f.op(), URL: f.urlString(), Err: ErrClosed})
	}
	for pc := range c.conns {
		pc.close(ErrClosed)
	}
}

// enqueue starts f if a slot is free, else queues it.
func (c *Client) enqueue(f *fetch) {
	if c.active < c.cfg.MaxClients && len(c.queue) == 0 {
		c.active++
		f.slot = true
		f.startHop()
		return
	}
	c.queue = append(c.queue, f)
	f.queued = true
	if d := f.queueTimeout(); d > 0 {
		f.queueTimer = c.l.CallLater(d, f.queueExpiredFn)
	}
}

// dequeue removes f from the queue.
func (c *Client) dequeue(f *fetch) {
	if i := slices.Index(c.queue, f); i >= 0 {
		c.queue = slices.Delete(c.queue, i, i+1)
	}
	f.queued = false
	f.queueTimer.Cancel()
}

// release frees f's slot and starts queued requests.
func (c *Client) release(f *fetch) {
	if !f.slot {
		return
	}
	f.slot = false
	c.active--
	for c.active < c.cfg.MaxClients && len(c.queue) > 0 && !c.closed {
		n := c.queue[0]
		c.dequeue(n)
		c.active++
		n.slot = true
		n.startHop()
	}
}

// takeIdle returns a pooled connection for key, the most recently used,
// or nil. Connections that closed, or hold bytes nobody asked for, are
// dropped.
func (c *Client) takeIdle(key poolKey) *pconn {
	for {
		l, ok := c.idle[key]
		if !ok {
			return nil
		}
		pc := l.newest
		c.unlinkIdle(pc)
		if pc.s.Closed() || len(pc.s.Buffered()) > 0 {
			pc.close(errUnsolicited)
			continue
		}
		// The response's read starts here, in place of putIdle's: it
		// fails at once when the peer ended its side of a half-open
		// stream (Options.Stream's AllowHalfOpen) and the idle read has
		// not been told yet; such a connection is dropped before a
		// request is written to it.
		pc.s.CancelRead()
		if err := pc.s.Peek(1, pc.onDataFn); err != nil {
			pc.close(err)
			continue
		}
		return pc
	}
}

// putIdle pools pc, closing the oldest idle connection of its key beyond
// Options.MaxIdlePerHost.
func (c *Client) putIdle(pc *pconn) {
	if c.closed || c.cfg.MaxIdlePerHost < 0 || pc.s.Closed() {
		pc.close(nil)
		return
	}
	l := c.idle[pc.key]
	pc.older, pc.newer = l.newest, nil
	if l.newest != nil {
		l.newest.newer = pc
	} else {
		l.oldest = pc
	}
	l.newest = pc
	l.n++
	c.idle[pc.key] = l
	pc.idle = true
	pc.idleTimer = c.l.CallLater(c.cfg.IdleTimeout, pc.idleExpiredFn)
	// A read stays pending while the connection is idle (the next
	// response's, then): a byte nobody asked for, or the end of the
	// stream, closes it at once (onData), as net/http closes it. The
	// stream's close watch alone would keep it, holding those bytes and
	// no longer watching, until a request took it or IdleTimeout passed;
	// and it misses the end of a half-open stream (Options.Stream's
	// AllowHalfOpen), which does not close it.
	if err := pc.s.Peek(1, pc.onDataFn); err != nil {
		c.unlinkIdle(pc)
		pc.close(err)
		return
	}
	for l.n > c.cfg.MaxIdlePerHost {
		old := l.oldest
		c.unlinkIdle(old)
		old.close(nil)
		l = c.idle[pc.key]
	}
}

// unlinkIdle takes the idle pc out of its key's list.
func (c *Client) unlinkIdle(pc *pconn) {
	l := c.idle[pc.key]
	if pc.older != nil {
		pc.older.newer = pc.newer
	} else {
		l.oldest = pc.newer
	}
	if pc.newer != nil {
		pc.newer.older = pc.older
	} else {
		l.newest = pc.older
	}
	pc.older, pc.newer = nil, nil
	if l.n--; l.n == 0 {
		delete(c.idle, pc.key)
	} else {
		c.idle[pc.key] = l
	}
	pc.idle = false
	pc.idleTimer.Cancel()
}

// dropIdle removes pc from the pool (it closed).
func (c *Client) dropIdle(pc *pconn) {
	if pc.idle {
		c.unlinkIdle(pc)
	}
}

// IdleConns returns how many connections the pool holds, for monitoring.
func (c *Client) IdleConns() int {
	n := 0
	for _, l := range c.idle {
		n += l.n
	}
	return n
}

// newFetch returns a request record: a finished one, or a new one with its
// callbacks bound once.
func (c *Client) newFetch() *fetch {
	c.seq++
	if n := len(c.free); n > 0 {
		f := c.free[n-1]
		c.free[n-1] = nil
		c.free = c.free[:n-1]
		f.seq = c.seq
		return f
	}
	f := &fetch{c: c, seq: c.seq}
	f.onTimeoutFn = f.onTimeout
	f.queueExpiredFn = f.queueExpired
	f.sendBodyFn = f.sendBody
	f.produceFn = f.produce
	f.deliverFn = f.deliver
	return f
}

// Bounds on what a recycled request record keeps.
const (
	maxFreeFetches = 64       // records kept beyond MaxClients
	maxKeptFields  = 64       // request header fields whose storage is kept
	maxKeptScratch = 64 << 10 // bytes of scratch and compressed-body buffers
)

// recycle keeps the finished f for the next Fetch, once its callback has
// returned. Everything that could still call into f (timers, a dial, TLS,
// writes) was stopped or checks f's hop, which only grows, so nothing from
// its previous life can act on its next.
func (c *Client) recycle(f *fetch) {
	if c.closed || len(c.free) >= c.cfg.MaxClients+maxFreeFetches {
		return
	}
	// seq is not kept: a free record answers to no request, so that an
	// abort Do posts for the finished request cannot act on it.
	keep := fetch{
		c: c, hop: f.hop,
		onTimeoutFn: f.onTimeoutFn, queueExpiredFn: f.queueExpiredFn,
		sendBodyFn: f.sendBodyFn, deliverFn: f.deliverFn, produceFn: f.produceFn,
	}
	if f.header.Len() <= maxKeptFields {
		keep.header = f.header
		keep.header.Reset()
	}
	if cap(f.scratch) <= maxKeptScratch {
		keep.scratch = f.scratch[:0]
	}
	if cap(f.zbuf) <= maxKeptScratch {
		keep.zbuf = f.zbuf[:0]
	}
	*f = keep
	c.free = append(c.free, f)
}

var errUnsolicited = errors.New("httpclient: data on an idle connection")
