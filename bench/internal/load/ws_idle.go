package load

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/gale-io/gale/bench/internal/procstat"
)

// WSIdleConfig describes a ws idle-memory run.
type WSIdleConfig struct {
	Addr     string
	Path     string        // "" means DefaultWSPath
	Conns    int           // WebSocket connections to hold open
	Size     int           // bytes of the one binary message each connection echoes
	Compress bool          // offer permessage-deflate
	Settle   time.Duration // wait with all connections open before reading VmRSS
	Hold     time.Duration // then keep them open this much longer
	TLS      *tls.Config
	Dialers  int           // connections opened at once; 0 means DefaultDialers
	Timeout  time.Duration // bounds each upgrade and echo; 0 means 10 s
	// ServerPID is the server to measure; without it only the upgrades and
	// echoes are checked.
	ServerPID int
}

// WSIdleResult is the outcome of a ws idle run (mode "ws-idle").
type WSIdleResult struct {
	Mode     string `json:"mode"` // "ws-idle"
	Addr     string `json:"addr"`
	Path     string `json:"path"`
	Conns    int    `json:"conns"`
	Size     int    `json:"size_bytes"`
	Compress bool   `json:"compress"`      // permessage-deflate was offered
	Deflate  int64  `json:"deflate_conns"` // connections that agreed on it
	TLS      bool   `json:"tls"`
	// ConnectSeconds is how long opening, upgrading and echoing on all
	// connections took.
	ConnectSeconds float64 `json:"connect_s"`
	Settle         float64 `json:"settle_s"`
	HoldSeconds    float64 `json:"hold_s"`
	Errors         int64   `json:"errors"`
	Error          string  `json:"error,omitempty"`
	PID            int     `json:"server_pid,omitempty"`
	RSSBefore      int64   `json:"server_rss_before_bytes,omitempty"`
	RSSIdle        int64   `json:"server_rss_idle_bytes,omitempty"`
	BytesPerConn   float64 `json:"server_bytes_per_conn,omitempty"`
	Threads        int     `json:"server_threads,omitempty"`
}

// RunWSIdle is the idle run of the ws mode: read the server's VmRSS, open
// and upgrade the connections (Dialers at a time), have each echo one
// binary message (so the server has run its read and write paths on it),
// wait Settle, read VmRSS again and report the growth per connection; then
// hold them Hold longer and have every connection echo once more, to prove
// the server kept them all.
func RunWSIdle(ctx context.Context, cfg WSIdleConfig) (*WSIdleResult, error) {
	if cfg.Conns < 1 || cfg.Size < 1 {
		return nil, errors.New("load: ws idle needs conns >= 1 and size >= 1")
	}
	if cfg.Path == "" {
		cfg.Path = DefaultWSPath
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = dialTimeout
	}
	res := &WSIdleResult{Mode: "ws-idle", Addr: cfg.Addr, Path: cfg.Path, Conns: cfg.Conns, Size: cfg.Size,
		Compress: cfg.Compress, TLS: cfg.TLS != nil, Settle: cfg.Settle.Seconds(), PID: cfg.ServerPID}
	var before procstat.Sample
	var err error
	if cfg.ServerPID > 0 {
		if before, err = procstat.Read(cfg.ServerPID); err != nil {
			return nil, fmt.Errorf("load: measuring server %d: %w", cfg.ServerPID, err)
		}
	}
	start := time.Now()
	clients, deflate, err := dialWSAll(ctx, cfg.Addr, cfg.Path, cfg.Conns, cfg.Dialers, cfg.TLS, cfg.Compress, cfg.Size, cfg.Timeout)
	if err != nil {
		return nil, err
	}
	defer closeWS(clients)
	res.ConnectSeconds = time.Since(start).Seconds()
	res.Deflate = deflate
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
	holdStart := time.Now()
	if !sleepCtx(ctx, cfg.Hold) {
		return nil, ctx.Err()
	}
	res.HoldSeconds = time.Since(holdStart).Seconds()
	scratch := make([]byte, cfg.Size)
	for i, w := range clients {
		if err := w.echo(1, cfg.Size, scratch, cfg.Timeout); err != nil {
			res.Errors++
			if res.Error == "" {
				res.Error = fmt.Sprintf("connection %d after the hold: %v", i, err)
			}
		}
	}
	return res, nil
}

// dialWSAll opens, upgrades and echoes once on n connections, dialers at a
// time; it returns them in order with the count that agreed on
// permessage-deflate, or closes them all and returns the first error.
func dialWSAll(ctx context.Context, addr, path string, n, dialers int, tlsConf *tls.Config, compress bool,
	size int, timeout time.Duration) ([]*wsClient, int64, error) {
	clients := make([]*wsClient, n)
	var deflate atomic.Int64
	_, err := dialAll(ctx, nil, addr, n, dialers, tlsConf, func(i int, c net.Conn) error {
		w, err := newWSClient(c, i, addr, path, compress, max(size, 64), timeout)
		if err != nil {
			return err
		}
		if w.deflate {
			deflate.Add(1)
		}
		clients[i] = w
		return w.echo(0, size, make([]byte, size), timeout)
	})
	if err != nil {
		return nil, 0, err
	}
	return clients, deflate.Load(), nil
}

func closeWS(clients []*wsClient) {
	for _, w := range clients {
		if w != nil {
			w.c.Close()
		}
	}
}
