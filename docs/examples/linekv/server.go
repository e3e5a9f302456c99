package main

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpserver"
)

// Config configures a Server. Zero fields take the defaults below.
type Config struct {
	// Loops is the number of event loops. Default GOMAXPROCS.
	Loops int
	// MaxLine is the longest request line, in bytes, "\n" included. A
	// longer line is answered "ERR line too long" and the connection is
	// closed. Default DefaultMaxLine.
	MaxLine int
	// Idle closes a connection that sends nothing for this long. Default
	// DefaultIdle; negative disables.
	Idle time.Duration
	// Linger bounds how long a connection being closed after a last reply
	// keeps reading (and dropping) what its client still sends. Default
	// DefaultLinger.
	Linger time.Duration
}

// Defaults for Config.
const (
	DefaultMaxLine = 1024
	DefaultIdle    = 5 * time.Minute
	DefaultLinger  = 2 * time.Second
)

// Server is a linekv server: a tcpserver.Server whose handler speaks the
// protocol, and the store its connections share.
//
// Concurrency: Listen, Start, Addr and Shutdown are safe from any
// goroutine. Each connection lives on one of the server's loops.
type Server struct {
	cfg      Config
	tcp      *tcpserver.Server
	store    store
	draining atomic.Bool
	// conns maps each *loop.Loop to its open connections (a connSet).
	// A set is only touched on its own loop's goroutine, so it needs no
	// lock; the sync.Map only finds it.
	conns sync.Map
}

type connSet map[*conn]struct{}

// NewServer returns a server; call Listen and Start.
func NewServer(cfg Config) *Server {
	if cfg.MaxLine <= 0 {
		cfg.MaxLine = DefaultMaxLine
	}
	if cfg.Idle == 0 {
		cfg.Idle = DefaultIdle
	}
	if cfg.Linger <= 0 {
		cfg.Linger = DefaultLinger
	}
	srv := &Server{cfg: cfg, store: store{m: make(map[string]string)}}
	srv.tcp = tcpserver.New(srv.serve, &tcpserver.Options{
		Loops:   cfg.Loops,
		NoDelay: true, // replies are small and each one is awaited
		Stream: &stream.Options{
			// A client may send its last requests and half-close
			// (shutdown(SHUT_WR), "nc -N"): still answer them.
			AllowHalfOpen: true,
		},
	})
	return srv
}

// Listen binds addr ("host:port"; port 0 picks a free port).
func (srv *Server) Listen(addr string) error { return srv.tcp.Listen(addr) }

// Start starts the loops and accepting.
func (srv *Server) Start() error { return srv.tcp.Start() }

// Addr returns the first address the server listens on.
func (srv *Server) Addr() net.Addr { return srv.tcp.Addrs()[0] }

// Shutdown stops accepting and closes the idle connections at once; a
// connection in the middle of a request gets its reply and is closed
// after it. Connections still open when ctx ends are closed. It returns
// ctx.Err() if it had to force any closed.
func (srv *Server) Shutdown(ctx context.Context) error {
	srv.draining.Store(true)
	for _, l := range srv.tcp.Loops() {
		// Post is the way into a loop from another goroutine; what it
		// runs may touch the loop's connections without a lock.
		l.Post(func() {
			for c := range srv.connsOn(l) {
				if len(c.s.Buffered()) == 0 && !c.s.Writing() {
					c.s.Close() // between requests: no reply is owed
				}
			}
		})
	}
	return srv.tcp.Shutdown(ctx)
}

// connsOn returns the connections of loop l. Call it on l's goroutine.
func (srv *Server) connsOn(l *loop.Loop) connSet {
	if set, ok := srv.conns.Load(l); ok {
		return set.(connSet)
	}
	set, _ := srv.conns.LoadOrStore(l, make(connSet))
	return set.(connSet)
}

// conn is one client connection. Everything in it runs on s's loop.
type conn struct {
	srv      *Server
	s        *stream.Stream
	out      []byte     // replies of the current batch, written with one Write
	quit     bool       // QUIT was read: answer, then hang up
	replied  bool       // hanging up: the last replies reached the kernel
	peerDone bool       // hanging up: the client's input ended
	idle     loop.Timer // the idle timeout, then the linger timeout

	// The callbacks, bound once: a method value passed on every read
	// would allocate each time.
	onData  func([]byte, error)
	onDrain func([]byte, error)
	onSent  func(error)
	onIdle  func()
}

// serve is the tcpserver.Handler: it runs on the connection's loop.
func (srv *Server) serve(s *stream.Stream) {
	c := &conn{srv: srv, s: s}
	c.onData, c.onDrain, c.onSent, c.onIdle = c.read, c.drain, c.sent, c.idleTimeout
	set := srv.connsOn(s.Loop())
	set[c] = struct{}{}
	s.SetCloseCallback(func(error) {
		delete(set, c)
		c.idle.Cancel()
	})
	if srv.draining.Load() {
		s.Close()
		return
	}
	c.resetIdle()
	c.s.Peek(1, c.onData)
}

// read is the Peek callback: buf holds every byte buffered, valid until
// the callback returns. It answers each complete line, consumes it, and
// asks for one byte more than it has when the next line is incomplete.
func (c *conn) read(buf []byte, err error) {
	maxLine := c.srv.cfg.MaxLine
	for !c.quit {
		i := bytes.IndexByte(buf[:min(len(buf), maxLine)], '\n')
		if i < 0 {
			break
		}
		c.handle(bytes.TrimSuffix(buf[:i], []byte("\r")))
		c.s.Consume(i + 1)
		buf = c.s.Buffered()
	}
	switch {
	case c.quit:
		c.hangUp("BYE")
	case len(buf) >= maxLine:
		c.hangUp("ERR line too long (max " + strconv.Itoa(maxLine) + " bytes)")
	case err != nil, c.srv.draining.Load() && len(buf) == 0:
		// The client closed its side (an incomplete last line is
		// dropped), the connection failed, or the server is shutting
		// down between two requests.
		c.hangUp("")
	default:
		c.flush()
		c.resetIdle()
		c.s.Peek(len(buf)+1, c.onData)
	}
}

// handle answers one request line (without its "\n"). line is a view of
// the stream's buffer: whatever is kept must be copied (string(k) does).
func (c *conn) handle(line []byte) {
	cmd, args, _ := bytes.Cut(line, []byte(" "))
	switch string(cmd) { // no allocation: the compiler compares in place
	case "SET":
		k, v, ok := bytes.Cut(args, []byte(" "))
		if !ok || len(k) == 0 {
			c.reply("ERR usage: SET key value")
			return
		}
		c.srv.store.set(string(k), string(v))
		c.reply("OK")
	case "GET":
		if len(args) == 0 || bytes.IndexByte(args, ' ') >= 0 {
			c.reply("ERR usage: GET key")
			return
		}
		if v, ok := c.srv.store.get(args); ok {
			c.out = append(append(c.out, "VALUE "...), v...)
			c.reply("")
		} else {
			c.reply("NOT_FOUND")
		}
	case "DEL":
		if len(args) == 0 || bytes.IndexByte(args, ' ') >= 0 {
			c.reply("ERR usage: DEL key")
			return
		}
		if c.srv.store.del(args) {
			c.reply("DELETED")
		} else {
			c.reply("NOT_FOUND")
		}
	case "QUIT":
		c.quit = true
	default:
		c.reply("ERR unknown command " + strconv.Quote(string(cmd)))
	}
}

// reply appends a reply line to the batch.
func (c *conn) reply(s string) {
	c.out = append(append(c.out, s...), '\n')
}

// flush writes the batch. Write copies what the kernel does not take at
// once, so out can be reused right away.
func (c *conn) flush() {
	if len(c.out) > 0 {
		c.s.Write(c.out, nil) // an error means the stream closed: nothing to do
		c.out = c.out[:0]
	}
}

// hangUp sends the replies so far and a last one (unless empty) and
// closes the connection gracefully: the replies, then end of file
// (CloseWrite), then whatever the client still sends is read and dropped
// until it closes its side too, or Linger passes. Closing at once, with
// input left unread, would make the kernel send a reset, which can destroy
// the replies before the client reads them. Call it with no read pending.
func (c *conn) hangUp(last string) {
	if last != "" {
		c.reply(last)
	}
	if c.s.Write(c.out, c.onSent) != nil {
		c.replied = true // the stream is closed already
	}
	c.out = c.out[:0]
	c.s.CloseWrite()
	c.idle.Cancel()
	c.idle = c.s.Loop().CallLater(c.srv.cfg.Linger, c.s.Close)
	c.s.ReadStream(c.onDrain)
}

// sent is the last Write's callback: the replies reached the kernel.
func (c *conn) sent(error) {
	c.replied = true
	c.closeIfDone()
}

// drain is the ReadStream callback of a connection being hung up: it drops
// the data, and notes the end of the client's input.
func (c *conn) drain(_ []byte, err error) {
	if err != nil { // io.EOF, or a *stream.ClosedError
		c.peerDone = true
		c.closeIfDone()
	}
}

// closeIfDone closes the stream once the replies are out and nothing is
// left unread: the kernel then ends the connection with a clean FIN.
func (c *conn) closeIfDone() {
	if c.replied && c.peerDone {
		c.s.Close()
	}
}

func (c *conn) resetIdle() {
	if c.srv.cfg.Idle > 0 {
		c.idle.Cancel()
		c.idle = c.s.Loop().CallLater(c.srv.cfg.Idle, c.onIdle)
	}
}

// idleTimeout closes a connection that sent nothing for Config.Idle: the
// pending Peek fails with a *stream.ClosedError and the close callback
// runs.
func (c *conn) idleTimeout() { c.s.CloseWithError(errIdle) }

var errIdle = &timeoutError{"linekv: idle timeout"}

type timeoutError struct{ s string }

func (e *timeoutError) Error() string { return e.s }
func (e *timeoutError) Timeout() bool { return true }

// store is the key-value map every connection shares. Connections run on
// several loops, so it takes a lock; the lock is only held for a map
// operation, never across I/O, so it never blocks a loop for long.
type store struct {
	mu sync.RWMutex
	m  map[string]string
}

func (st *store) set(k, v string) {
	st.mu.Lock()
	st.m[k] = v
	st.mu.Unlock()
}

func (st *store) get(k []byte) (string, bool) {
	st.mu.RLock()
	v, ok := st.m[string(k)] // no allocation for a lookup
	st.mu.RUnlock()
	return v, ok
}

func (st *store) del(k []byte) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := st.m[string(k)]; !ok {
		return false
	}
	delete(st.m, string(k))
	return true
}
