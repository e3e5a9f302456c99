package httpbench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/gale-io/gale/bench/internal/h1"
	"github.com/gale-io/gale/bench/internal/peer"
	"github.com/gale-io/gale/bench/internal/server"
)

func init() { server.Register("http", "gnet", func() server.Server { return new(gnetServer) }) }

// gnetServer serves HTTP with gnet v2 the way gnet's own TechEmpower entry
// does: gnet has no HTTP, so OnTraffic frames the requests itself, here
// with the minimal framer of internal/h1 (the end of the head, the request
// line, Content-Length, chunked bodies), and answers every complete request
// in the buffer with one Write: pipelined requests cost one write. Whole
// responses are prebuilt once a second (common.go), so GET /plaintext is
// one append. It is honest, not strict: it checks what framing needs, and
// no more (no header syntax, no HTTP/1.0 keep-alive rules, no Expect).
//
// Bodies: a sized body that has fully arrived is echoed from gnet's read
// buffer without a copy; one that spans reads, and every chunked body, is
// gathered per connection. Above 64 MiB (Content-Length, or chunks adding
// up) the answer is 413 and the connection closes; a request that cannot
// be framed gets 400, a head over 64 KiB 431, and the connection closes.
//
// Timeouts: each connection has a deadline, 30 s after it opened or after
// its last completed request, less one tick; gnet's ticker goroutine closes
// the connections past it every tick (250 ms). So an idle keep-alive
// connection and a stalled request both end within 30 s.
//
// Options as for the echo server (echo/gnet.go): NumEventLoop =
// Config.Loops, one SO_REUSEPORT listener per loop, LockOSThread,
// TCP_NODELAY, the default 64 KiB read buffer per loop; plus the ticker.
// No TLS: gnet has none.
type gnetServer struct {
	eng   gnet.Engine
	h     *gnetHTTP
	clock *clock
	done  chan error // gnet.Run's result
}

// gnetHTTP is the event handler. OnOpen, OnClose and OnTraffic run on
// the loops, OnTick on gnet's ticker goroutine; conns is what they share.
type gnetHTTP struct {
	gnet.BuiltinEventEngine
	booted chan gnetBoot
	clock  *clock
	tick   time.Duration
	grace  int64 // milliseconds from a connection's last request to its deadline: timeout less a tick

	mu    sync.Mutex
	conns map[*gnetConn]gnet.Conn
}

type gnetBoot struct {
	eng  gnet.Engine
	addr net.Addr
	err  error
}

// gnetConn is one connection's state, used by its loop only, except
// deadline, which the ticker reads.
type gnetConn struct {
	out      []byte       // responses to write at the end of OnTraffic
	deadline atomic.Int64 // unix millisecond after which the ticker closes the connection
	// The request whose body is being read:
	inBody bool
	kind   reqKind
	close  bool    // it said Connection: close
	body   h1.Body // its body's framing
	buf    []byte  // its echo body, when it spans reads or is chunked
}

type reqKind uint8

const (
	reqNotFound  reqKind = iota
	reqPlaintext         // GET /plaintext
	reqEcho              // POST /echo
)

func (s *gnetServer) Start(cfg server.Config) (net.Addr, error) {
	if cfg.TLS != nil {
		return nil, fmt.Errorf("gnet http server: %w", server.ErrNoTLS)
	}
	addr, release, err := peer.ReservePort(cfg.Addr, cfg.Loops)
	if err != nil {
		return nil, fmt.Errorf("gnet http server: %w", err)
	}
	defer release()
	s.clock = newClock("gnet")
	tick := min(250*time.Millisecond, timeout/4)
	s.h = &gnetHTTP{
		booted: make(chan gnetBoot, 1), clock: s.clock, tick: tick, grace: (timeout - tick).Milliseconds(),
		conns: make(map[*gnetConn]gnet.Conn),
	}
	s.done = make(chan error, 1)
	go func() {
		s.done <- gnet.Run(s.h, "tcp://"+addr,
			gnet.WithMulticore(true),
			gnet.WithNumEventLoop(cfg.Loops),
			gnet.WithReusePort(true), // one listener per loop; also what Config.ReusePort asks
			gnet.WithLockOSThread(true),
			gnet.WithTicker(true),
			gnet.WithLogger(peer.GnetLogger{}),
		)
	}()
	select {
	case b := <-s.h.booted:
		if b.err != nil {
			_ = b.eng.Stop(context.Background())
			<-s.done
			s.clock.stop()
			return nil, fmt.Errorf("gnet http server: %w", b.err)
		}
		s.eng = b.eng
		return b.addr, nil
	case err := <-s.done:
		s.clock.stop()
		if err == nil {
			err = errors.New("gnet.Run returned before OnBoot")
		}
		return nil, fmt.Errorf("gnet http server: %w", err)
	}
}

func (s *gnetServer) Stop(ctx context.Context) error {
	defer s.clock.stop()
	// Engine.Stop polls for the shutdown every 500 ms.
	if err := s.eng.Stop(ctx); err != nil {
		return fmt.Errorf("gnet http server: stop: %w", err)
	}
	select {
	case err := <-s.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *gnetHTTP) OnBoot(eng gnet.Engine) gnet.Action {
	addr, err := peer.GnetAddr(eng)
	h.booted <- gnetBoot{eng, addr, err}
	return gnet.None
}

func (h *gnetHTTP) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	gc := new(gnetConn)
	gc.deadline.Store(time.Now().UnixMilli() + h.grace)
	c.SetContext(gc)
	h.mu.Lock()
	h.conns[gc] = c
	h.mu.Unlock()
	return nil, gnet.None
}

func (h *gnetHTTP) OnClose(c gnet.Conn, _ error) gnet.Action {
	if gc, ok := c.Context().(*gnetConn); ok {
		h.mu.Lock()
		delete(h.conns, gc)
		h.mu.Unlock()
	}
	return gnet.None
}

// OnTick closes the connections past their deadline (Close is safe from
// any goroutine: it queues the close on the connection's loop).
func (h *gnetHTTP) OnTick() (time.Duration, gnet.Action) {
	now := time.Now().UnixMilli()
	h.mu.Lock()
	for gc, c := range h.conns {
		if gc.deadline.Load() < now {
			_ = c.Close()
		}
	}
	h.mu.Unlock()
	return h.tick, gnet.None
}

func (h *gnetHTTP) OnTraffic(c gnet.Conn) gnet.Action {
	gc := c.Context().(*gnetConn)
	buf, _ := c.Peek(-1)
	st := h.clock.now()
	used, completed, closeConn := gc.serve(buf, st)
	_, _ = c.Discard(used)
	if completed {
		gc.deadline.Store(time.Now().UnixMilli() + h.grace)
	}
	if len(gc.out) > 0 {
		_, _ = c.Write(gc.out) // writes now, queues what the kernel does not take; on error gnet closes
		gc.out = gc.out[:0]
		if cap(gc.out) > 64<<10 {
			gc.out = nil // do not keep a large echo's buffer on an idle connection
		}
	}
	if closeConn {
		return gnet.Close // after what was written (gnet flushes its queue before closing)
	}
	return gnet.None
}

// serve frames and answers every complete request at the start of buf,
// appending the responses to gc.out, and keeps the state of one whose body
// is incomplete. It returns how many bytes of buf it used (a partial head
// is left in gnet's buffer for the next call), whether a request
// completed, and whether the connection must close after the responses.
func (gc *gnetConn) serve(buf []byte, st *stamp) (used int, completed, closeConn bool) {
	p := buf
	for {
		if !gc.inBody {
			hl, err := h1.HeadLen(p)
			if err != nil {
				gc.out = append(gc.out, st.headTooLarge...)
				return len(buf), completed, true
			}
			if hl == 0 {
				break
			}
			start, fields := h1.SplitHead(p[:hl])
			method, target, err := h1.ParseRequestLine(start)
			var f h1.Fields
			if err == nil {
				f, err = h1.ParseFields(fields)
			}
			if err != nil {
				gc.out = append(gc.out, st.badRequest...)
				return len(buf), completed, true
			}
			p = p[hl:]
			if err := gc.body.Reset(f, MaxBody); err != nil { // ErrTooLarge
				gc.out = append(gc.out, st.tooLarge...)
				return len(buf), completed, true
			}
			gc.inBody, gc.kind, gc.close = true, route(method, target), f.Close
			gc.buf = gc.buf[:0]
		}
		var whole []byte // a body that arrived in one piece, echoed from buf
		for !gc.body.Done() {
			data, n, err := gc.body.Next(p)
			if err != nil {
				if errors.Is(err, h1.ErrTooLarge) {
					gc.out = append(gc.out, st.tooLarge...)
				} else {
					gc.out = append(gc.out, st.badRequest...)
				}
				return len(buf), completed, true
			}
			p = p[n:]
			if gc.kind == reqEcho && len(data) > 0 {
				if len(gc.buf) == 0 && whole == nil && gc.body.Done() {
					whole = data
				} else {
					gc.buf = append(gc.buf, data...)
				}
			}
			if n == 0 {
				break
			}
		}
		if !gc.body.Done() {
			break // the rest of the body comes with the next reads
		}
		gc.inBody = false
		completed = true
		switch gc.kind {
		case reqPlaintext:
			gc.out = append(gc.out, st.plain...)
		case reqEcho:
			body := whole
			if body == nil {
				body = gc.buf
			}
			gc.out = append(gc.out, st.echoHead...)
			gc.out = strconv.AppendInt(gc.out, int64(len(body)), 10)
			gc.out = append(gc.out, "\r\n\r\n"...)
			gc.out = append(gc.out, body...)
			if cap(gc.buf) > 64<<10 {
				gc.buf = nil
			}
		default:
			gc.out = append(gc.out, st.notFound...)
		}
		if gc.close {
			return len(buf), completed, true
		}
	}
	return len(buf) - len(p), completed, false
}

// route tells what a request asks for from its method and target (the
// query, if any, is ignored).
func route(method, target []byte) reqKind {
	if i := bytes.IndexByte(target, '?'); i >= 0 {
		target = target[:i]
	}
	switch {
	case string(target) == "/plaintext" && string(method) == "GET":
		return reqPlaintext
	case string(target) == "/echo" && string(method) == "POST":
		return reqEcho
	}
	return reqNotFound
}
