package main

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpclient"
)

// maxReply bounds a reply line: a value is at most a request line long, so
// anything longer is a broken server.
const maxReply = 64 << 10

// newline is the reply delimiter. A package variable: []byte("\n") in the
// call would allocate on every read, since the stream keeps the slice.
var newline = []byte("\n")

// Client is one connection to a linekv server, on a loop. Requests may be
// pipelined: Do sends each at once, and the replies come back in order.
//
// Concurrency: like the stream under it, a Client belongs to its loop;
// call its methods on the loop's goroutine (Post to get there).
type Client struct {
	s       *stream.Stream
	waiting []func(reply string, err error) // oldest first
	onLine  func([]byte, error)
}

// errBadCommand is the error of a command that would not fit on one line.
var errBadCommand = errors.New("linekv: a command cannot contain a line break")

// Dial connects to addr ("host:port") on l and calls cb on l's goroutine
// with the client, or with the error (a *tcpclient.Error when the connect
// failed). Call it on l's goroutine.
func Dial(ctx context.Context, l *loop.Loop, addr string, cb func(*Client, error)) {
	host, portStr, err := net.SplitHostPort(addr)
	var port int
	if err == nil {
		port, err = strconv.Atoi(portStr)
	}
	if err != nil {
		// Like gale's own APIs, never call back inside the call.
		l.Post(func() { cb(nil, err) })
		return
	}
	opts := &tcpclient.Options{Timeout: 10 * time.Second, NoDelay: true}
	tcpclient.Connect(ctx, l, host, port, opts, func(s *stream.Stream, err error) {
		if err != nil {
			cb(nil, err)
			return
		}
		c := &Client{s: s}
		c.onLine = c.line
		cb(c, nil)
	})
}

// Do sends one command ("SET k v", "GET k", "DEL k", "QUIT") and calls cb
// with its reply line, without the line break, or with an error: a
// *stream.ClosedError when the connection closed first.
func (c *Client) Do(cmd string, cb func(reply string, err error)) {
	if strings.ContainsAny(cmd, "\r\n") {
		c.s.Loop().Post(func() { cb("", errBadCommand) })
		return
	}
	// Write copies what the kernel does not take at once: the slice is
	// ours again when it returns.
	if err := c.s.Write([]byte(cmd+"\n"), nil); err != nil {
		c.s.Loop().Post(func() { cb("", err) })
		return
	}
	c.waiting = append(c.waiting, cb)
	if !c.s.Reading() {
		c.readReply()
	}
}

// readReply starts the read of the next reply: one read at a time per
// stream, so replies to pipelined commands are read one after another.
func (c *Client) readReply() {
	if err := c.s.ReadUntil(newline, maxReply, c.onLine); err != nil {
		c.fail(err)
	}
}

// line is the ReadUntil callback. data is a view of the stream's buffer,
// valid until the callback returns: string(...) copies it.
func (c *Client) line(data []byte, err error) {
	if err != nil {
		c.fail(err)
		return
	}
	cb := c.waiting[0]
	c.waiting = c.waiting[1:]
	cb(strings.TrimSuffix(string(data), "\n"), nil)
	// cb may have sent more (and started the read); else read on while
	// replies are owed.
	if len(c.waiting) > 0 && !c.s.Reading() {
		c.readReply()
	}
}

// fail gives err to every command waiting for a reply.
func (c *Client) fail(err error) {
	waiting := c.waiting
	c.waiting = nil
	for _, cb := range waiting {
		cb("", err)
	}
}

// SetCloseCallback sets a function called on the loop once the connection
// has closed, with what closed it (nil after Close, io.EOF when the
// server closed it).
func (c *Client) SetCloseCallback(cb func(err error)) { c.s.SetCloseCallback(cb) }

// Close closes the connection; commands still waiting get a
// *stream.ClosedError.
func (c *Client) Close() { c.s.Close() }
