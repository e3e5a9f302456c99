package httpclient

import (
	"context"
	"crypto/tls"
	"errors"
	"slices"

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
	idle   map[poolKey][]*pconn // pooled connections, most recent last
	conns  map[*pconn]struct{}  // every open connection
	closed bool
	newest *fetch // the last Fetch's request, for Do
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
}

// New returns a Client that runs on l with opts (nil for the defaults).
func New(l *loop.Loop, opts *Options) *Client {
	c := &Client{
		l:     l,
		live:  make(map[*fetch]struct{}),
		idle:  make(map[poolKey][]*pconn),
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
	f := &fetch{c: c, req: req, cb: cb}
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
// then aborted with ctx's error).
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	type result struct {
		r   *Response
		err error
	}
	ch := make(chan result, 1)
	var f *fetch
	if err := c.l.Post(func() {
		c.Fetch(req, func(r *Response, err error) { ch <- result{r, err} })
		f = c.newest
	}); err != nil {
		return nil, err
	}
	select {
	case res := <-ch:
		return res.r, res.err
	case <-ctx.Done():
		c.l.Post(func() {
			if f != nil && !f.done {
				f.fail(&Error{Op: f.op(), URL: f.urlString(), Err: ctx.Err()})
			}
		})
		res := <-ch
		if res.err == nil {
			return res.r, nil
		}
		return nil, res.err
	}
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
		f.queueTimer = c.l.CallLater(d, func() {
			f.fail(&Error{Op: "queue", URL: f.urlString(), Err: &TimeoutError{Phase: PhaseQueue}})
		})
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

// takeIdle returns a pooled connection for key, or nil. Connections that
// closed, or hold bytes nobody asked for, are dropped.
func (c *Client) takeIdle(key poolKey) *pconn {
	list := c.idle[key]
	for len(list) > 0 {
		pc := list[len(list)-1]
		list = list[:len(list)-1]
		pc.idle = false
		pc.idleTimer.Cancel()
		if pc.s.Closed() || len(pc.s.Buffered()) > 0 {
			pc.close(errUnsolicited)
			continue
		}
		c.setIdle(key, list)
		return pc
	}
	c.setIdle(key, list)
	return nil
}

func (c *Client) setIdle(key poolKey, list []*pconn) {
	if len(list) == 0 {
		delete(c.idle, key)
		return
	}
	c.idle[key] = list
}

// putIdle pools pc, closing the oldest idle connection of its key beyond
// Options.MaxIdlePerHost.
func (c *Client) putIdle(pc *pconn) {
	if c.closed || c.cfg.MaxIdlePerHost < 0 || pc.s.Closed() {
		pc.close(nil)
		return
	}
	list := append(c.idle[pc.key], pc)
	pc.idle = true
	pc.idleTimer = c.l.CallLater(c.cfg.IdleTimeout, pc.idleExpired)
	for len(list) > c.cfg.MaxIdlePerHost {
		old := list[0]
		list = list[1:]
		old.idle = false
		old.close(nil)
	}
	c.setIdle(pc.key, list)
}

// dropIdle removes pc from the pool (it closed).
func (c *Client) dropIdle(pc *pconn) {
	if !pc.idle {
		return
	}
	pc.idle = false
	pc.idleTimer.Cancel()
	list := c.idle[pc.key]
	if i := slices.Index(list, pc); i >= 0 {
		list = slices.Delete(list, i, i+1)
	}
	c.setIdle(pc.key, list)
}

// IdleConns returns how many connections the pool holds, for monitoring.
func (c *Client) IdleConns() int {
	n := 0
	for _, list := range c.idle {
		n += len(list)
	}
	return n
}

var errUnsolicited = errors.New("httpclient: data on an idle connection")
