package httpserver

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/netutil"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpserver"
)

// Handler handles one request whose body has been read whole (r.Body). It
// runs on the connection's loop and answers through w, now or later (from
// another callback on the same loop): the request and w stay valid until
// w.Finish. The next request on the connection is not read before then
// (pipelined requests wait in the buffer, answered in order). A panic in
// it (or in a StreamHandler or BodyDelegate) is logged to Options.Logger
// and closes the connection, after the responses finished before it.
type Handler func(w *ResponseWriter, r *Request)

// BodyDelegate receives a request's body as it arrives, Tornado's
// HTTPMessageDelegate: StreamHandler returns one when a request's head is
// read. Data's chunk is valid only during the call, and at most 64 KiB
// (Tornado's chunk_size), whatever one read brought; a gzip body is
// decompressed first when Options.Gzip decodes request bodies. Finish is
// called once the whole body has been read; the delegate answers through
// the ResponseWriter it was given, now or later. A delegate may answer
// early, before the body is complete (with a 413, say): the server then
// stops reading and closes the connection after the response, as Tornado
// does.
//
// A body that does not complete (malformed framing, over the body limit,
// a gzip body that does not inflate within it, the client's input ending
// or the connection closing) gets no Finish: instead, the delegate learns
// of it through the callback it registered with ResponseWriter.OnClose
// (Tornado's on_connection_close), called once, with the cause. Unless the
// delegate began its response, the client gets the error status (400, 413;
// none for a body it cut short) and the connection closes; the delegate's
// writes then fail. (After Finish, OnClose still reports a client that
// leaves before the response is finished.)
type BodyDelegate interface {
	Data(chunk []byte)
	Finish()
}

// Options configure a Server. A nil *Options means all defaults; a zero
// field means that field's default.
type Options struct {
	// StreamHandler, if set, is called when a request's head has been
	// read, before its body. It returns a BodyDelegate to stream the body
	// through, or nil to have the body read whole and the request passed
	// to the Server's Handler. It may answer at once through w (a 401
	// before an upload, say).
	StreamHandler func(w *ResponseWriter, r *Request) BodyDelegate

	// Limits bound what a client may send: request-line length (414),
	// header bytes (431; Tornado's 64 KiB), header count (431), body size
	// (413; Tornado's 100 MiB). See httpproto.Limits for the defaults.
	Limits httpproto.Limits

	// HeaderTimeout closes a connection whose request head has not
	// arrived in full this long after its first byte (slowloris), after
	// answering 408. Default 30 s.
	HeaderTimeout time.Duration
	// BodyTimeout closes a connection when no byte of a request body
	// arrives for this long. Default 60 s.
	BodyTimeout time.Duration
	// IdleTimeout closes a kept-alive connection that has not started
	// another request this long after the last response was written in
	// full (a response the client is still reading is not idle time).
	// Default 60 s (Tornado's default, the same timer as its header
	// timeout, is 3600 s).
	IdleTimeout time.Duration
	// WriteTimeout closes a connection whose finished response waits to
	// be written while the client takes none of it for this long (it
	// stopped reading), timed from when the response went out (or from
	// the last time the client was seen taking some of it). It bounds how
	// long such a client holds the connection, and how long Shutdown waits
	// for it. Default 60 s.
	WriteTimeout time.Duration

	// NoKeepAlive closes every connection after one response.
	NoKeepAlive bool
	// ServerName, if set, is sent as the Server field of every response
	// that does not set one.
	ServerName string

	// TrustedProxies are the networks whose X-Forwarded-For, X-Real-Ip,
	// X-Forwarded-Proto and X-Scheme fields are believed (Tornado's
	// xheaders with trusted_downstream): Request.RemoteIP and Scheme come
	// from them for a connection from one of these networks. Default none:
	// the fields are ignored.
	TrustedProxies []netip.Prefix

	// Gzip compresses responses for clients that accept gzip (every
	// response then carries Vary: Accept-Encoding, as in Tornado), and
	// decompresses gzip request bodies, for the Handler and for a
	// StreamHandler's delegate (the request's body limit,
	// Limits.MaxBodySize or its SetMaxBodySize, bounds the decompressed
	// size). Default nil: off. See GzipOptions.
	Gzip *GzipOptions

	// TCP configures the underlying tcpserver: loops, SO_REUSEPORT,
	// backlog, connection limit, TLS, PROXY protocol, stream buffers. Its
	// OnShutdown is the HTTP server's own and must be nil; NoDelay is
	// always set, and streams are half-open (a client that shuts down its
	// side still gets its answers).
	TCP tcpserver.Options

	// Logger receives malformed-request and handler-panic reports.
	// Default slog.Default().
	Logger *slog.Logger
}

// GzipOptions configure gzip content coding.
type GzipOptions struct {
	// Level is the compression level, 1 (fastest) to 9 (smallest).
	// Default 6, as Tornado's GZipContentEncoding.
	Level int
	// MinSize is the smallest response body compressed, in bytes; smaller
	// ones are sent as they are. Default 1024. A response flushed before
	// it ends is compressed whatever its size (its size is not known
	// yet), as in Tornado.
	MinSize int
	// ContentTypes are the media types compressed (prefix match such as
	// "text/"). Default text/*, application/json, application/javascript,
	// application/xml, image/svg+xml.
	ContentTypes []string
	// NoRequestBodies turns off the decompression of request bodies.
	NoRequestBodies bool
}

// Server is an HTTP/1.1 server on a tcpserver: Tornado's HTTPServer with
// HTTP1ServerConnection, on N loops.
//
// Concurrency: Listen, AddListener, Start, Shutdown, Close, Addrs and
// Stats may be called from any goroutine; handlers run on the loops.
type Server struct {
	h      Handler
	opts   Options
	tcp    *tcpserver.Server
	log    *slog.Logger
	gz     *gzipState
	mu     sync.Mutex
	loops  map[*loop.Loop]*loopState
	closed bool
	// nhServer is what a NetHTTP handler finds under
	// http.ServerContextKey (see netHTTPServer).
	nhOnce   sync.Once
	nhServer *http.Server
}

// Default timeouts.
const (
	DefaultHeaderTimeout = 30 * time.Second
	DefaultBodyTimeout   = 60 * time.Second
	DefaultIdleTimeout   = 60 * time.Second
	DefaultWriteTimeout  = 60 * time.Second
)

// New returns a server that passes whole requests to h (h may be nil when
// Options.StreamHandler handles every request).
func New(h Handler, opts *Options) *Server {
	s := &Server{h: h, loops: map[*loop.Loop]*loopState{}}
	if opts != nil {
		s.opts = *opts
	}
	o := &s.opts
	if o.HeaderTimeout <= 0 {
		o.HeaderTimeout = DefaultHeaderTimeout
	}
	if o.BodyTimeout <= 0 {
		o.BodyTimeout = DefaultBodyTimeout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	s.log = o.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	if o.Gzip != nil {
		s.gz = newGzipState(o.Gzip)
	}
	tcpOpts := o.TCP
	tcpOpts.OnShutdown = s.onShutdown
	// Half-open: a client that sends its requests and shuts down its
	// side still gets the answers (the connection closes after them).
	so := stream.Options{}
	if tcpOpts.Stream != nil {
		so = *tcpOpts.Stream
	}
	so.AllowHalfOpen = true
	tcpOpts.Stream = &so
	// TCP_NODELAY, as net/http does and Tornado's finish(): otherwise
	// the last small write of a multi-write response waits for the
	// client's delayed ACK (40 ms here).
	tcpOpts.NoDelay = true
	if tcpOpts.Logger == nil {
		tcpOpts.Logger = o.Logger
	}
	s.tcp = tcpserver.New(s.serve, &tcpOpts)
	return s
}

// Listen binds addr ("host:port"; see netutil.BindSockets) for the server.
func (s *Server) Listen(addr string) error { return s.tcp.Listen(addr) }

// AddListener adds a listening socket bound elsewhere.
func (s *Server) AddListener(ln *netutil.Listener) error { return s.tcp.AddListener(ln) }

// Start starts the loops and begins accepting.
func (s *Server) Start() error { return s.tcp.Start() }

// Addrs returns the addresses the server listens on.
func (s *Server) Addrs() []net.Addr { return s.tcp.Addrs() }

// Stats returns the connection counts.
func (s *Server) Stats() tcpserver.Stats { return s.tcp.Stats() }

// Loops returns the server's loops (after Start).
func (s *Server) Loops() []*loop.Loop { return s.tcp.Loops() }

// Shutdown stops accepting, closes idle connections, lets every request in
// progress finish (its response then carries Connection: close; a
// response still being written to the client is in progress too, within
// WriteTimeout when the client stops reading), and
// returns once all connections have closed, or force-closes them when ctx
// ends and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.tcp.Shutdown(ctx)
	s.stopLoops()
	return err
}

// Close closes the listeners and every connection at once.
func (s *Server) Close() error {
	err := s.tcp.Close()
	s.stopLoops()
	return err
}

func (s *Server) stopLoops() {
	s.mu.Lock()
	s.closed = true
	states := make([]*loopState, 0, len(s.loops))
	for _, ls := range s.loops {
		states = append(states, ls)
	}
	s.mu.Unlock()
	for _, ls := range states {
		ls.l.Post(ls.stop)
	}
}

// loopState is the server's per-loop state, touched only on that loop:
// its connections (for Shutdown), and a coarse clock and Date value
// refreshed every second, so that responses and deadlines cost no clock
// read.
type loopState struct {
	l       *loop.Loop
	srv     *Server
	conns   map[*stream.Stream]*conn
	now     int64  // monoNow at the last refresh
	date    []byte // "Date: <IMF-fixdate>\r\n"
	dateSec int64
	tick    *loop.Periodic
	// free holds connections detached by their handler (WebSocket
	// upgrades), ready for the next connection: an upgrade then leaves no
	// garbage of HTTP state behind (see conn.release). It holds up to
	// maxFreeConns, enough for a burst of clients connecting at once, and
	// halves every second it is not drawn from.
	free     []*conn
	freeUsed bool // free was drawn from since the last refresh
}

// maxFreeConns bounds loopState.free.
const maxFreeConns = 1024

func (s *Server) loopState(l *loop.Loop) *loopState {
	s.mu.Lock()
	defer s.mu.Unlock()
	ls := s.loops[l]
	if ls == nil {
		ls = &loopState{l: l, srv: s, conns: map[*stream.Stream]*conn{}}
		ls.refresh()
		if !s.closed {
			ls.tick = loop.NewPeriodic(l, time.Second, 0, ls.refresh)
			ls.tick.Start()
		}
		s.loops[l] = ls
	}
	return ls
}

func (ls *loopState) refresh() {
	if !ls.freeUsed && len(ls.free) > 0 {
		n := len(ls.free) / 2
		clear(ls.free[n:])
		ls.free = ls.free[:n]
	}
	ls.freeUsed = false
	wall := time.Now()
	ls.now = int64(wall.Sub(monoEpoch))
	sec := wall.Unix()
	if sec != ls.dateSec || ls.date == nil {
		ls.dateSec = sec
		ls.date = append(ls.date[:0], "Date: "...)
		ls.date = httpproto.AppendHTTPDate(ls.date, sec)
		ls.date = append(ls.date, '\r', '\n')
	}
}

// monoEpoch and monoNow give deadlines as plain integers (nanoseconds on
// the monotonic clock since the process started using the package), so
// that moving one per request is an addition, not time.Time arithmetic.
var monoEpoch = time.Now()

func monoNow() int64 { return int64(time.Since(monoEpoch)) }

func (ls *loopState) stop() {
	if ls.tick != nil {
		ls.tick.Stop()
		ls.tick = nil
	}
}

func (s *Server) onShutdown(st *stream.Stream) {
	ls := s.loopState(st.Loop())
	if c := ls.conns[st]; c != nil {
		c.shutdown()
	} else if f := st.ShutdownHandler(); f != nil {
		f() // a detached connection's new protocol ends it
	} else {
		st.Close()
	}
}
