package tcpserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/netutil"
	"github.com/gale-io/gale/poller"
	"github.com/gale-io/gale/stream"
)

// Handler serves one connection: it is called on the connection's loop with
// the new stream, and owns it from then on (it must close it, or let the
// peer or an error close it). s.RemoteAddr() is the client's address: the
// socket's peer, or the client a trusted proxy named in a PROXY header.
type Handler func(s *stream.Stream)

// Options configure a Server. A nil *Options gives the defaults documented
// on each field.
type Options struct {
	// Loops is the number of loops, each on its own goroutine; every
	// connection stays on one loop for its life. Default
	// runtime.GOMAXPROCS(0).
	Loops int
	// ReusePort gives every loop its own listening socket with
	// SO_REUSEPORT, and lets the kernel spread connections across them
	// (Linux, DragonFly, FreeBSD; see netutil.BindOptions.ReusePort). By
	// default one loop accepts and hands connections to the loops in
	// turn, which works everywhere and balances evenly.
	ReusePort bool
	// Backlog is the listen backlog. Default netutil.DefaultBacklog (128).
	Backlog int
	// MaxConns caps the open connections; a connection accepted beyond it
	// is closed at once (and counted in Stats.Rejected). Default 0: no
	// cap.
	MaxConns int
	// NoDelay sets TCP_NODELAY on every connection.
	NoDelay bool
	// KeepAlive turns on TCP keepalive on every TCP connection: probes
	// start after this much silence and repeat at this interval (whole
	// seconds), so that a peer that vanished without a FIN (a dropped
	// network, a crashed host) is noticed, its connection closed with the
	// error, however long the protocol leaves it idle (net/http's
	// default). Default DefaultKeepAlive (15 s: with Linux's 9 probes, a
	// dead peer is found in about 2.5 minutes); negative: off (no probes,
	// the system's default).
	KeepAlive time.Duration
	// TLS, if set, makes every connection TLS: the server runs the
	// handshake (stream.StartTLS) and calls the Handler once it is done.
	// Connections whose handshake fails are closed without reaching it.
	TLS *tls.Config
	// HandshakeTimeout closes a connection whose TLS handshake has not
	// finished in time. Default 10 s.
	HandshakeTimeout time.Duration
	// Proxy, if it trusts anyone, turns on the PROXY protocol (v1 and v2)
	// for connections from the trusted networks: each must start with a
	// header, which gives the Handler the client's address (see
	// netutil.ProxyPolicy for the rules). The header comes before TLS.
	// Default nil: off.
	Proxy *netutil.ProxyPolicy
	// OnShutdown, if set, is called on each open connection's loop when
	// Shutdown begins, so that the protocol can end it gracefully: close it
	// at once if it is idle, or after the request in progress. Without it,
	// a connection's stream.Stream.ShutdownHandler is called, if it has
	// one. A connection whose Handler starts after Shutdown began (its TLS
	// handshake or PROXY header was under way) is told right after the
	// Handler returns, and only then: each connection is told once, and
	// never before its Handler has it. Then Shutdown waits for the connections to close by
	// themselves (or for its context to end).
	OnShutdown func(s *stream.Stream)
	// Stream configures every connection's stream. The server keeps its own
	// copy (it sets OnClose to track connections, calling yours after).
	Stream *stream.Options
	// Loop configures the server's loops.
	Loop *loop.Options
	// Logger receives the server's warnings. Default slog.Default().
	Logger *slog.Logger
}

// Stats counts a server's connections.
type Stats struct {
	Open     int64 // connections open now
	Accepted int64 // connections accepted (past MaxConns), ever, including those whose TLS handshake or PROXY header then failed
	Rejected int64 // connections closed at once because of MaxConns
}

// Server accepts TCP connections and hands each, as a stream on one of its
// loops, to a Handler: Tornado's TCPServer, on N loops.
//
// Concurrency: Listen, AddListener, Start, Shutdown, Close, Stats, Addrs
// and Loops are safe from any goroutine (but not from the server's own
// loops for Shutdown and Close, which wait for them, nor for Listen and
// AddListener after Start, which wait for the loop that will accept). The
// Handler and everything it does run on the connection's loop.
type Server struct {
	handler Handler
	opts    Options
	sopts   stream.Options
	log     *slog.Logger

	mu        sync.Mutex
	loops     []*worker
	listeners []*netutil.Listener
	// loopOf[i] is the loop that accepts on listeners[i] with ReusePort
	// (an index into loops, taken modulo their number).
	loopOf  []int
	started bool
	closed  bool

	open     atomic.Int64
	accepted atomic.Int64
	rejected atomic.Int64
	drained  chan struct{} // closed when open reaches 0 during Shutdown
	draining atomic.Bool
	force    chan struct{} // closed by a later Shutdown (or Close) whose ctx ended
	forced   sync.Once
	finished chan struct{} // closed when the first Shutdown returns

	next int // round-robin position, on the accepting loop
}

// worker is one loop and the connections it owns.
type worker struct {
	l *loop.Loop
	// conns holds the open connections, true once the Handler has one:
	// those in their PROXY header or TLS handshake are not the protocol's
	// yet, so Shutdown does not tell them (handle does, later).
	conns     map[*stream.Stream]bool
	acceptors []*netutil.Acceptor
	done      chan error
	// draining is set on the loop once Shutdown has told its connections:
	// a handler that starts later (after a TLS handshake or PROXY header
	// that was under way) is told as soon as it has its stream.
	draining bool
}

// New returns a server that will hand connections to h. Call Listen (or
// AddListener) and Start.
func New(h Handler, opts *Options) *Server {
	s := &Server{handler: h, drained: make(chan struct{}), force: make(chan struct{}), finished: make(chan struct{})}
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.Loops <= 0 {
		s.opts.Loops = runtime.GOMAXPROCS(0)
	}
	if s.opts.KeepAlive == 0 {
		s.opts.KeepAlive = DefaultKeepAlive
	}
	if s.opts.Stream != nil {
		s.sopts = *s.opts.Stream
	}
	userClose := s.sopts.OnClose
	s.sopts.OnClose = func(st *stream.Stream, err error) {
		s.untrack(st)
		if userClose != nil {
			userClose(st, err)
		}
	}
	s.log = s.opts.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// Listen binds addr ("host:port"; an empty host means every interface,
// IPv4 and IPv6; port 0 picks a free port) with netutil.BindSockets. With
// Options.ReusePort it binds one socket per loop and address.
func (s *Server) Listen(addr string) error {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return fmt.Errorf("tcpserver: bad port in %q", addr)
	}
	bo := &netutil.BindOptions{Backlog: s.opts.Backlog, ReusePort: s.opts.ReusePort}
	lns, err := netutil.BindSockets(port, host, bo)
	if err != nil {
		return err
	}
	// Without ReusePort one round of sockets (one per address) is
	// accepted on the first loop. With it each loop gets a round of its
	// own, every address: the rest bind the port the first got.
	rounds := [][]*netutil.Listener{lns}
	if s.opts.ReusePort {
		port = lns[0].Addr().(*net.TCPAddr).Port
		for i := 1; i < s.opts.Loops; i++ {
			more, err := netutil.BindSockets(port, host, bo)
			if err != nil {
				for _, r := range rounds {
					closeAll(r)
				}
				return err
			}
			rounds = append(rounds, more)
		}
	}
	for r, round := range rounds {
		for j, ln := range round {
			if err := s.addListener(ln, r); err != nil {
				closeAll(round[j:]) // the server owns those before
				for _, rest := range rounds[r+1:] {
					closeAll(rest)
				}
				return err
			}
		}
	}
	return nil
}

func closeAll(lns []*netutil.Listener) {
	for _, ln := range lns {
		ln.Close()
	}
}

// AddListener makes the server accept on ln (it owns ln from now on).
// Without ReusePort every listener is accepted on the first loop; with it,
// listeners are spread over the loops in turn. Listeners added after Start
// begin accepting at once.
func (s *Server) AddListener(ln *netutil.Listener) error { return s.addListener(ln, -1) }

// addListener adds ln, accepted with ReusePort on loop loopIdx (modulo the
// loops), or on the next loop in turn if loopIdx is negative.
func (s *Server) addListener(ln *netutil.Listener, loopIdx int) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errServerClosed
	}
	if loopIdx < 0 {
		loopIdx = len(s.listeners)
	}
	s.listeners = append(s.listeners, ln)
	s.loopOf = append(s.loopOf, loopIdx)
	var errc <-chan error
	if s.started {
		errc = s.startAccepting(len(s.listeners) - 1)
	}
	s.mu.Unlock()
	if errc == nil {
		return nil
	}
	return <-errc
}

var errServerClosed = errors.New("tcpserver: server closed")

// Addrs returns the addresses the server listens on.
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []net.Addr
	for _, ln := range s.listeners {
		out = append(out, ln.Addr())
	}
	return out
}

// Loops returns the server's loops (after Start), for work that must run
// beside its connections.
func (s *Server) Loops() []*loop.Loop {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*loop.Loop, len(s.loops))
	for i, w := range s.loops {
		out[i] = w.l
	}
	return out
}

// Stats returns the connection counts.
func (s *Server) Stats() Stats {
	return Stats{Open: s.open.Load(), Accepted: s.accepted.Load(), Rejected: s.rejected.Load()}
}

// Start creates the loops, runs each on its own goroutine, and starts
// accepting. It returns at once.
func (s *Server) Start() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errServerClosed
	}
	if s.started {
		s.mu.Unlock()
		return errors.New("tcpserver: already started")
	}
	for range s.opts.Loops {
		l, err := loop.New(s.opts.Loop)
		if err != nil {
			s.closeLoopsLocked()
			s.mu.Unlock()
			return err
		}
		s.loops = append(s.loops, &worker{l: l, conns: make(map[*stream.Stream]bool), done: make(chan error, 1)})
	}
	for _, w := range s.loops {
		go func() { w.done <- w.l.Run() }()
	}
	s.started = true
	errcs := make([]<-chan error, len(s.listeners))
	for i := range s.listeners {
		errcs[i] = s.startAccepting(i)
	}
	s.mu.Unlock()
	var first error
	for _, errc := range errcs {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// startAccepting posts the registration of listener i to its loop and
// returns the channel that gets its result; s.mu is held. Wait for that
// result after unlocking s.mu: the loop may be running a Handler that
// calls Addrs or Loops, which need s.mu. (A registration posted under
// s.mu runs before the acceptors' Stop that Shutdown posts later.)
func (s *Server) startAccepting(i int) <-chan error {
	ln := s.listeners[i]
	w := s.loops[0]
	if s.opts.ReusePort {
		w = s.loops[s.loopOf[i]%len(s.loops)]
	}
	errc := make(chan error, 1)
	err := w.l.Post(func() {
		a, err := netutil.AddAcceptHandler(w.l, ln, func(fd poller.FD, peer net.Addr) {
			s.accept(w, fd, peer)
		}, &netutil.AcceptOptions{Logger: s.opts.Logger, NoPeerAddr: !s.opts.Proxy.Enabled()})
		if err == nil {
			w.acceptors = append(w.acceptors, a)
		}
		errc <- err
	})
	if err != nil {
		errc <- err // the loop is closed: nothing would answer
	}
	return errc
}

// takeSlot counts a new connection open, unless MaxConns are open already.
// Loops accepting at once (ReusePort listeners) race for the last slot: a
// compare-and-swap lets exactly one of them have it.
func (s *Server) takeSlot() bool {
	m := int64(s.opts.MaxConns)
	for {
		n := s.open.Load()
		if m > 0 && n >= m {
			return false
		}
		if s.open.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// accept runs on the accepting loop: it picks the connection's loop.
func (s *Server) accept(from *worker, fd poller.FD, peer net.Addr) {
	if !s.takeSlot() {
		s.rejected.Add(1)
		closeFD(fd)
		return
	}
	to := from
	if !s.opts.ReusePort && len(s.loops) > 1 {
		to = s.loops[s.next%len(s.loops)]
		s.next++
	}
	if to == from {
		s.serve(to, fd, peer)
		return
	}
	if to.l.Post(func() { s.serve(to, fd, peer) }) != nil {
		closeFD(fd)
		s.connGone()
	}
}

// serve runs on the connection's loop.
func (s *Server) serve(w *worker, fd poller.FD, peer net.Addr) {
	st, err := stream.New(w.l, fd, &s.sopts)
	if err != nil {
		closeFD(fd)
		s.connGone()
		s.log.Warn("gale/tcpserver: cannot make a stream", "err", err)
		return
	}
	if s.opts.NoDelay {
		st.SetNoDelay(true)
	}
	if s.opts.KeepAlive > 0 {
		st.SetKeepAlive(true, s.opts.KeepAlive) // fails harmlessly on a Unix socket
	}
	w.conns[st] = false
	s.accepted.Add(1)
	if s.opts.Proxy.Trusts(peer) {
		s.readProxyHeader(w, st, peer)
		return
	}
	s.startConn(w, st)
}

// readProxyHeader reads a trusted peer's PROXY header in place from the
// stream's buffer, then starts the connection with the client's address.
func (s *Server) readProxyHeader(w *worker, st *stream.Stream, peer net.Addr) {
	timer := w.l.CallLater(s.opts.Proxy.Timeout(), func() {
		st.CloseWithError(ErrProxyTimeout)
	})
	var next func(buf []byte, err error)
	next = func(buf []byte, err error) {
		if err != nil {
			timer.Cancel()
			return // closed: the timer, the peer, or an error
		}
		h, n, err := netutil.ParseProxyHeader(buf)
		if err == netutil.ErrProxyNeedMore {
			st.Peek(len(buf)+1, next)
			return
		}
		timer.Cancel()
		if err != nil {
			s.log.Info("gale/tcpserver: bad PROXY header, closing connection", "peer", peer, "err", err)
			st.CloseWithError(err)
			return
		}
		st.Consume(n)
		if h.Command == netutil.ProxyCommandProxy && !h.Unknown() {
			if src, _ := h.Addrs(); src != nil {
				st.SetRemoteAddr(src)
			}
		}
		s.startConn(w, st)
	}
	st.Peek(1, next)
}

// ErrProxyTimeout is the cause a connection is closed with (see
// Options.Stream's OnClose) when its PROXY header did not arrive within
// the ProxyPolicy's HeaderTimeout.
var ErrProxyTimeout = errors.New("tcpserver: PROXY header timed out")

// startConn runs the TLS handshake if configured, then the handler.
func (s *Server) startConn(w *worker, st *stream.Stream) {
	if s.opts.TLS == nil {
		s.handle(w, st)
		return
	}
	timeout := s.opts.HandshakeTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	timer := w.l.CallLater(timeout, func() {
		st.CloseWithError(ErrHandshakeTimeout)
	})
	if err := st.StartTLS(s.opts.TLS, true, func(err error) {
		timer.Cancel()
		if err == nil {
			s.handle(w, st)
		}
	}); err != nil {
		timer.Cancel()
		st.CloseWithError(err)
	}
}

// ErrHandshakeTimeout is the cause a connection is closed with (see
// Options.Stream's OnClose) when its TLS handshake did not finish within
// Options.HandshakeTimeout.
var ErrHandshakeTimeout = errors.New("tcpserver: TLS handshake timed out")

// DefaultKeepAlive is Options.KeepAlive's default: TCP keepalive probes
// after 15 s of silence, every 15 s, as net/http sets them.
const DefaultKeepAlive = 15 * time.Second

// handle hands st to the Handler; if Shutdown has begun meanwhile, the
// connection is then told, as the others were. A Handler that panics
// leaves the stream in an unknown state: it is closed, as a stream closes
// when one of its callbacks panics, and the panic goes on to the loop.
func (s *Server) handle(w *worker, st *stream.Stream) {
	defer func() {
		if r := recover(); r != nil {
			st.CloseWithError(&stream.PanicError{Value: r})
			panic(r)
		}
	}()
	if _, open := w.conns[st]; open {
		w.conns[st] = true // the protocol's now: Shutdown tells it
	}
	s.handler(st)
	if w.draining && !st.Closed() {
		s.notifyShutdown(st)
	}
}

// notifyShutdown tells one connection that Shutdown has begun.
func (s *Server) notifyShutdown(st *stream.Stream) {
	if f := s.opts.OnShutdown; f != nil {
		f(st)
	} else if f := st.ShutdownHandler(); f != nil {
		f()
	}
}

// untrack is every stream's OnClose: it runs on the stream's loop.
func (s *Server) untrack(st *stream.Stream) {
	for _, w := range s.loops {
		if w.l == st.Loop() {
			delete(w.conns, st)
			break
		}
	}
	s.connGone()
}

func (s *Server) connGone() {
	if s.open.Add(-1) == 0 && s.draining.Load() {
		select {
		case <-s.drained:
		default:
			close(s.drained)
		}
	}
}

// Shutdown stops the server gracefully: it stops accepting and closes the
// listeners, waits for the open connections to close (their handlers
// finish their work and close them), and when ctx ends first closes the
// rest. Then it stops and closes the loops. It returns ctx.Err() if it had
// to force connections closed, else nil.
//
// A call while another runs waits for it to finish; if its own ctx ends
// first (Close's has ended already), it forces the connections closed at
// once, and the first call returns context.Canceled unless its own ctx
// ended too.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		select {
		case <-s.finished:
			return nil
		case <-ctx.Done():
			s.forced.Do(func() { close(s.force) })
			<-s.finished
			return ctx.Err()
		}
	}
	s.closed = true
	loops := s.loops
	listeners := s.listeners
	s.mu.Unlock()
	defer close(s.finished)

	// Stop accepting on every loop, then close the listeners.
	for _, w := range loops {
		onLoop(w, func() {
			for _, a := range w.acceptors {
				a.Stop()
			}
			w.acceptors = nil
		})
	}
	closeAll(listeners)

	s.draining.Store(true)
	for _, w := range loops {
		onLoop(w, func() {
			w.draining = true
			for st, handled := range w.conns {
				if handled {
					s.notifyShutdown(st)
				}
			}
		})
	}
	var forced error
	if s.open.Load() > 0 {
		select {
		case <-s.drained:
		case <-ctx.Done():
			forced = ctx.Err()
		case <-s.force:
			forced = ctx.Err()
			if forced == nil {
				forced = context.Canceled
			}
		}
		if forced != nil {
			for _, w := range loops {
				onLoop(w, func() {
					for st := range w.conns {
						st.Close()
					}
				})
			}
		}
	}
	// The streams closed, but a stream tells its callbacks through the
	// loop: its run is posted, and the close callback posted from there.
	// Let those run before the loops stop (Stop ends Run after the
	// current iteration, and Close drops what is still queued).
	for range closeNotifyHops {
		for _, w := range loops {
			onLoop(w, func() {})
		}
	}
	s.mu.Lock()
	s.closeLoopsLocked()
	s.mu.Unlock()
	return forced
}

// closeNotifyHops is how many posts away a stream's close callback is
// from its closing at most: the stream's run, then the callback. A round
// trip to the loop runs everything posted before it.
const closeNotifyHops = 2

// Close stops the server at once: like Shutdown with a context that has
// already ended.
func (s *Server) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// closeLoopsLocked stops every loop, waits for it, and closes it.
func (s *Server) closeLoopsLocked() {
	for _, w := range s.loops {
		if s.started {
			w.l.Stop()
			<-w.done
		}
		w.l.Close()
	}
	s.loops = nil
}

// onLoop runs f on w's loop and waits for it.
func onLoop(w *worker, f func()) {
	done := make(chan struct{})
	if w.l.Post(func() { f(); close(done) }) != nil {
		return
	}
	<-done
}
