package runner

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// WSOptions are the ws, ws-idle and broadcast scenarios'. Zero values mean
// the defaults.
type WSOptions struct {
	Conns            int           // ws: connections; 0 means 128
	Duration, Warmup time.Duration // ws: the window and the warmup; 0 means 3 s and 1 s
	IdleConns        int           // ws-idle: connections; 0 means 10,000
	BroadcastConns   int           // broadcast: connections; 0 means 10,000
	BroadcastSize    int           // broadcast: bytes of the message; 0 means 1024
	Rounds           int           // broadcast: broadcasts per sample; 0 means 5
}

func (w WSOptions) conns() int { return orDefault(w.Conns, 128) }
func (w WSOptions) duration() time.Duration {
	if w.Duration > 0 {
		return w.Duration
	}
	return 3 * time.Second
}
func (w WSOptions) warmup() time.Duration {
	if w.Warmup > 0 {
		return w.Warmup
	}
	return time.Second
}
func (w WSOptions) idleConns() int      { return orDefault(w.IdleConns, 10000) }
func (w WSOptions) broadcastConns() int { return orDefault(w.BroadcastConns, 10000) }
func (w WSOptions) broadcastSize() int  { return orDefault(w.BroadcastSize, 1024) }
func (w WSOptions) rounds() int         { return orDefault(w.Rounds, 5) }

func orDefault(v, d int) int {
	if v > 0 {
		return v
	}
	return d
}

// wsFlags are cmd/run's ws flags; nil means the defaults.
var wsFlags *WSOptions

// SetWSFlags gives the ws scenarios their options: cmd/run passes the
// variables its flags parse into (they stay out of Options, like the idle
// flags, so that adding them touched no shared file).
func SetWSFlags(p *WSOptions) { wsFlags = p }

func wsOpts() WSOptions {
	if wsFlags != nil {
		return *wsFlags
	}
	return WSOptions{}
}

// wsImpls are the ws mode's implementations; std is gorilla/websocket.
var wsImpls = []string{"gale", "std", "nbio"}

// wsBaselines: the targets are against gorilla/websocket (std).
func wsBaselines(sc **Scenario) func(o *Options) []string {
	return func(o *Options) []string {
		if slices.Contains(o.implsFor(*sc), "std") {
			return []string{"std"}
		}
		return nil
	}
}

func tlsArg(o *Options) []string {
	if o.TLS {
		return []string{"-tls"}
	}
	return nil
}

// ws: WS.Conns WebSocket connections in binary ping-pong, one message in
// flight each, a sample being two load runs against fresh servers: 64-byte
// and 4 KiB messages. Ratios against std (gorilla/websocket on net/http).
func init() {
	var sc *Scenario
	sc = &Scenario{
		Name: "ws",
		Mode: "ws",
		Describe: func(o *Options) string {
			w := wsOpts()
			return fmt.Sprintf("ws: %d WebSocket connections, binary ping-pong (1 message in flight), 64 B and 4 KiB; "+
				"%v after %v warmup", w.conns(), w.duration(), w.warmup())
		},
		LoadArgs: func(o *Options) []string {
			w := wsOpts()
			return append([]string{"-conns", strconv.Itoa(w.conns()),
				"-duration", w.duration().String(), "-warmup", w.warmup().String()}, tlsArg(o)...)
		},
		Variants: []Variant{
			{Key: "b64", Label: "64 B", LoadArgs: func(*Options) []string { return []string{"-size", "64"} }},
			{Key: "b4k", Label: "4 KiB", LoadArgs: func(*Options) []string { return []string{"-size", "4096"} }},
		},
		Timeout: func(o *Options) time.Duration {
			w := wsOpts()
			return w.warmup() + w.duration() + 90*time.Second
		},
		Estimate: func(o *Options) time.Duration {
			w := wsOpts()
			return 2 * (w.warmup() + w.duration() + 2*time.Second)
		},
		Noisy:     noisyWindow,
		Impls:     wsImpls,
		Baselines: wsBaselines(&sc),
		Columns:   throughputColumns(true, false),
	}
	register(sc)
}

// ws-idle: WS.IdleConns WebSocket connections held open after one 64-byte
// echo each, without compression and with permessage-deflate negotiated
// (each variant against a fresh server): the server's VmRSS growth per
// connection.
func init() {
	var sc *Scenario
	sc = &Scenario{
		Name: "ws-idle",
		Mode: "ws",
		Describe: func(o *Options) string {
			return fmt.Sprintf("ws-idle: %d WebSocket connections held open after one 64-byte echo each, without "+
				"and with permessage-deflate negotiated; server VmRSS delta / N", wsOpts().idleConns())
		},
		LoadArgs: func(o *Options) []string {
			return append([]string{"-idle", "-conns", strconv.Itoa(wsOpts().idleConns()), "-size", "64",
				"-settle", o.Settle.String()}, tlsArg(o)...)
		},
		Variants: []Variant{
			{Key: "plain", Label: "plain", LoadArgs: func(*Options) []string { return nil }},
			{Key: "deflate", Label: "deflate", LoadArgs: func(*Options) []string { return []string{"-compress"} }},
		},
		Timeout: func(o *Options) time.Duration {
			return o.Settle + 3*time.Minute + time.Duration(wsOpts().idleConns())*time.Millisecond
		},
		Estimate: func(o *Options) time.Duration {
			return 2 * (o.Settle + time.Duration(wsOpts().idleConns())*300*time.Microsecond + 2*time.Second)
		},
		Impls:     wsImpls,
		Baselines: wsBaselines(&sc),
		Columns: []Column{
			{Title: "mem/idle conn", Field: "server_bytes_per_conn", Format: fmtBytes, Better: "lower", Ratio: true},
			{Title: "threads", Field: "server_threads", Format: fmtCount, Better: "lower"},
			{Title: "deflate conns", Field: "deflate_conns", Format: fmtCount, Better: "higher"},
			{Title: "connect", Field: "connect_s", Format: fmtSeconds, Better: "lower"},
		},
	}
	register(sc)
}
