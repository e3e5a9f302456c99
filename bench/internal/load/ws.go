package load

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/gale-io/gale/wsproto"
)

// WSConfig describes a ws run: WebSocket connections each sending Size-byte
// binary messages and reading their echoes, Pipeline in flight at a time.
type WSConfig struct {
	Addr string // HOST:PORT of the server; also the Host header
	Path string // the endpoint; "" means DefaultWSPath
	// Conns are upgraded one after another before the warmup starts.
	Conns int
	// Size is the payload of each message, in bytes (at least 1):
	// pseudo-random bytes determined by (connection, message number), as
	// the echo run's messages.
	Size     int
	Pipeline int // messages in flight per connection; 0 means 1
	// Compress offers permessage-deflate (with wsproto's defaults); where
	// the server agrees, messages from wsproto's threshold (128 bytes) up
	// are sent compressed and compressed echoes are inflated.
	Compress  bool
	Warmup    time.Duration // traffic before the measured window, not counted
	Duration  time.Duration // the measured window
	Drain     time.Duration // as EchoConfig.Drain
	TLS       *tls.Config   // nil for ws://
	Dialers   int           // connections opened at once; 0 means DefaultDialers
	ServerPID int           // server process to measure; 0 for none
	Driver    string        // as EchoConfig.Driver
	Workers   int           // as EchoConfig.Workers
}

// WSResult is the outcome of a ws run (mode "ws").
type WSResult struct {
	Mode     string  `json:"mode"`   // "ws"
	Driver   string  `json:"driver"` // how the load generator drove the connections: epoll or net
	Addr     string  `json:"addr"`
	Path     string  `json:"path"`
	Conns    int     `json:"conns"`
	Size     int     `json:"size_bytes"` // payload bytes per message
	Pipeline int     `json:"pipeline"`   // messages in flight per connection
	Compress bool    `json:"compress"`   // permessage-deflate was offered
	Deflate  int     `json:"deflate_conns"`
	TLS      bool    `json:"tls"`
	Warmup   float64 `json:"warmup_s"`
	// Measured: requests are messages whose echo came back whole, binary
	// and intact in the window; latency from the write of a message to the
	// read of the last byte of its echo.
	Measured
	LoadCPU
	*ServerWindow
}

// RunWS upgrades the connections and has each write a binary message, read
// its echo back and check it, over and over (keeping Pipeline in flight),
// until the window closes. A failed upgrade, a wrong echo, a Close or
// Ping from the server, a connection the server closes, or an echo still
// missing Drain after the window are errors, counted in the result; RunWS
// itself returns an error only when the run could not take place.
func RunWS(ctx context.Context, cfg WSConfig) (*WSResult, error) {
	if cfg.Conns < 1 || cfg.Size < 1 || cfg.Duration <= 0 {
		return nil, errors.New("load: ws needs conns >= 1, size >= 1 and duration > 0")
	}
	if cfg.Path == "" {
		cfg.Path = DefaultWSPath
	}
	cfg.Pipeline = max(cfg.Pipeline, 1)
	var deflate atomic.Int64
	out, err := runSessions(ctx, runConfig{
		addr: cfg.Addr, conns: cfg.Conns, warmup: cfg.Warmup, duration: cfg.Duration, drain: cfg.Drain,
		tls: cfg.TLS, dialers: cfg.Dialers, serverPID: cfg.ServerPID, driver: cfg.Driver, workers: cfg.Workers,
	}, func(i int, c net.Conn) session {
		s := newWSState(i, c, cfg)
		if s.deflate {
			deflate.Add(1)
		}
		return s
	})
	if err != nil {
		return nil, err
	}
	return &WSResult{
		Mode: "ws", Driver: out.driver, Addr: cfg.Addr, Path: cfg.Path, Conns: cfg.Conns, Size: cfg.Size,
		Pipeline: cfg.Pipeline, Compress: cfg.Compress, Deflate: int(deflate.Load()), TLS: cfg.TLS != nil,
		Warmup: cfg.Warmup.Seconds(), Measured: out.Measured, LoadCPU: out.LoadCPU, ServerWindow: out.ServerWindow,
	}, nil
}

// wsState is one connection's ws bookkeeping: the frames written, the
// echoes parsed and checked.
type wsState struct {
	connBase
	size, depth int
	deflate     bool
	failed      bool // the upgrade failed: nothing is sent
	in          *wsIn
	out         *wsOut
	payload     []byte      // scratch for one message's payload
	wbuf        []byte      // the frames of one write
	sentAt      []time.Time // write time of message seq, at sentAt[seq%depth]
	sent, recv  uint64
}

// newWSState upgrades c (the drivers take the connection over only after
// every session was made); a failed upgrade makes a session that sends
// nothing and reports the failure.
func newWSState(id int, c net.Conn, cfg WSConfig) *wsState {
	s := &wsState{
		connBase: connBase{id: id, conn: c, stats: new(connStats)},
		size:     cfg.Size, depth: cfg.Pipeline,
		payload: make([]byte, cfg.Size),
		sentAt:  make([]time.Time, cfg.Pipeline),
	}
	params, left, err := wsHandshake(c, cfg.Addr, cfg.Path, cfg.Compress, dialTimeout)
	if err != nil {
		s.err = fmt.Errorf("connection %d: %w", id, err)
		s.failed = true
		params = nil
	}
	s.deflate = params != nil
	bufSize := min(max(4<<10, cfg.Pipeline*(cfg.Size+wsproto.MaxHeaderLen)), 64<<10)
	s.in = newWSIn(params, bufSize, cfg.Size, left)
	s.out = newWSOut(params, id)
	return s
}

func (s *wsState) initial(now time.Time) []byte {
	if s.failed {
		return nil
	}
	return s.next(s.depth, now)
}

func (s *wsState) unread() []byte { return s.in.space() }

func (s *wsState) received(n int, now time.Time, phase int32) (int, error) {
	s.in.filled(n)
	done := 0
	for {
		op, msg, ok, err := s.in.next()
		if err == nil && ok {
			switch {
			case s.recv == s.sent:
				err = errors.New("a message that answers no message sent")
			case op != wsproto.OpBinary:
				err = fmt.Errorf("the echo of a binary message is %v", op)
			case len(msg) != s.size:
				err = fmt.Errorf("an echo of %d bytes, sent %d", len(msg), s.size)
			default:
				err = checkMsg(msg, s.id, s.recv)
			}
		}
		if err != nil {
			var mm *MismatchError
			if !errors.As(err, &mm) {
				err = fmt.Errorf("connection %d, message %d: %w", s.id, s.recv, err)
			}
			s.err = err
			return done, err
		}
		if !ok {
			return done, nil
		}
		if phase == phaseMeasure {
			s.stats.hist.add(now.Sub(s.sentAt[s.recv%uint64(s.depth)]))
			s.stats.requests.Add(1)
		}
		s.recv++
		done++
	}
}

func (s *wsState) next(k int, now time.Time) []byte {
	b := s.wbuf[:0]
	for range k {
		fillMsg(s.payload, s.id, s.sent)
		b = s.out.append(b, wsproto.OpBinary, s.payload)
		s.sentAt[s.sent%uint64(s.depth)] = now
		s.sent++
	}
	s.wbuf = b
	return b
}

func (s *wsState) idle() bool { return s.recv == s.sent }

func (s *wsState) missingErr(cause string) error {
	if s.failed {
		return s.err
	}
	return fmt.Errorf("connection %d: %d echoes missing %s (%d bytes of message %d arrived)",
		s.id, s.sent-s.recv, cause, len(s.in.msg), s.recv)
}
