package load

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/gale-io/gale/bench/internal/procstat"
)

// IdleConfig describes an idle-memory run.
type IdleConfig struct {
	Addr    string
	Conns   int           // connections to hold open
	Size    int           // bytes of the one message each connection echoes
	Settle  time.Duration // wait with all connections open before reading VmRSS
	Hold    time.Duration // extra time to keep them open after that (for watching by hand)
	TLS     *tls.Config
	Dialers int // connections opened at once; 0 means DefaultDialers
	// Timeout bounds each connection's echo; 0 means 10 s.
	Timeout time.Duration
	// ServerPID is the server to measure; without it only the connecting
	// and echoing are checked.
	ServerPID int
}

// RunIdle reads the server's VmRSS, opens the connections (Dialers at a
// time), has each echo one message, waits Settle with all of them open and
// idle, reads VmRSS again and reports the difference per connection.
//
// The echo matters: it makes the server finish accepting and run its read
// path on every connection, so lazily allocated per-connection state is
// counted, while the connection is idle again when measured.
func RunIdle(ctx context.Context, cfg IdleConfig) (*IdleResult, error) {
	if cfg.Conns < 1 || cfg.Size < 1 {
		return nil, errors.New("load: idle needs conns >= 1 and size >= 1")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = dialTimeout
	}
	res := &IdleResult{
		Mode: "idle", Addr: cfg.Addr, Conns: cfg.Conns, Size: cfg.Size, TLS: cfg.TLS != nil,
		Settle: cfg.Settle.Seconds(), PID: cfg.ServerPID,
	}
	var before procstat.Sample
	if cfg.ServerPID > 0 {
		var err error
		if before, err = procstat.Read(cfg.ServerPID); err != nil {
			return nil, fmt.Errorf("load: measuring server %d: %w", cfg.ServerPID, err)
		}
	}
	start := time.Now()
	conns, err := dialAll(ctx, cfg.Addr, cfg.Conns, cfg.Dialers, cfg.TLS, func(i int, c net.Conn) error {
		return echoOnce(c, i, 0, cfg.Size, cfg.Timeout)
	})
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	res.ConnectSeconds = time.Since(start).Seconds()

	if !sleepCtx(ctx, cfg.Settle) {
		return nil, ctx.Err()
	}
	if cfg.ServerPID > 0 {
		idle, err := procstat.Read(cfg.ServerPID)
		if err != nil {
			return nil, fmt.Errorf("load: measuring server %d: %w", cfg.ServerPID, err)
		}
		res.RSSBefore, res.RSSIdle, res.Threads = before.RSS, idle.RSS, idle.Threads
		res.BytesPerConn = float64(idle.RSS-before.RSS) / float64(cfg.Conns)
	}
	if !sleepCtx(ctx, cfg.Hold) {
		return nil, ctx.Err()
	}
	// The connections are still open and idle; check they still work.
	for i, c := range conns {
		if err := echoOnce(c, i, 1, cfg.Size, cfg.Timeout); err != nil {
			res.Errors++
			if res.Error == "" {
				res.Error = err.Error()
			}
		}
	}
	return res, nil
}

// echoOnce writes message seq and checks its echo within timeout.
func echoOnce(c net.Conn, id int, seq uint64, size int, timeout time.Duration) error {
	c.SetDeadline(time.Now().Add(timeout))
	defer c.SetDeadline(time.Time{})
	msg := make([]byte, 2*size)
	fillMsg(msg[:size], id, seq)
	if _, err := c.Write(msg[:size]); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if _, err := io.ReadFull(c, msg[size:]); err != nil {
		return fmt.Errorf("reading the echo: %w", err)
	}
	return checkMsg(msg[size:], id, seq)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
