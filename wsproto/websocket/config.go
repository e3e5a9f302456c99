package websocket

import (
	"time"

	"github.com/gale-io/gale/wsproto"
)

// Defaults of Config.
const (
	// DefaultCloseTimeout is how long a side that sent a Close frame waits
	// for the peer's before it drops the connection: 5 s, as Tornado.
	DefaultCloseTimeout = 5 * time.Second
	// DefaultWriteBufferLimit caps the bytes queued for a slow peer: 512
	// KiB, half the stream's default write high-water mark
	// (stream.Options.WriteHighWater, 1 MiB), above which the stream stops
	// reading, and twice its low-water mark, so that a connection kept full
	// within the limit still reads its peer's frames (pongs, Close).
	DefaultWriteBufferLimit = 512 << 10
	// DefaultHandshakeTimeout bounds a client's connect, TLS and opening
	// handshake: 20 s, Tornado's connect_timeout and request_timeout.
	DefaultHandshakeTimeout = 20 * time.Second
)

// Config is what server and client connections share. A zero field means
// its default. A Config may be shared by any number of connections, and
// must not change while they use it.
type Config struct {
	// MaxMessageSize caps an incoming message's size on the wire, in bytes
	// (compressed size for a compressed message), and, as Tornado's
	// max_message_size does, a compressed message's size once inflated
	// (Compression.MaxDecompressedSize, if set and smaller, caps it
	// further). A message announced bigger fails the connection with 1009
	// before its payload is read, one inflating past it with 1009 as well.
	// Default wsproto.DefaultMaxMessageSize (10 MiB, Tornado's
	// max_message_size).
	MaxMessageSize int
	// MaxFrameSize caps one incoming frame's payload, in bytes. Default
	// MaxMessageSize.
	MaxFrameSize int
	// Compression enables permessage-deflate (RFC 7692) with these
	// settings: a server accepts a client's offer, a client makes one.
	// nil (the default): a server declines every offer, a client offers
	// none. Tornado's get_compression_options / compression_options.
	Compression *wsproto.DeflateConfig
	// PingInterval, if positive, sends a Ping every interval; Tornado's
	// ping_interval. Default 0: no keepalive pings (and no timer at all).
	PingInterval time.Duration
	// PingTimeout: when no Pong (any Pong) arrives within this long after
	// a keepalive Ping, the connection is closed with 1000 "ping timed
	// out" (Tornado 6.5's ping_timeout) and OnClose reports
	// ErrPingTimeout. Default PingInterval; values above it are clamped to
	// it, as in Tornado; negative: no check.
	PingTimeout time.Duration
	// CloseTimeout is how long to wait for the peer's Close frame after
	// sending ours (and, on a client, for the server to close TCP after
	// the handshake) before dropping the connection. Default
	// DefaultCloseTimeout (5 s).
	CloseTimeout time.Duration
	// WriteBufferLimit caps the bytes queued for the peer and not yet
	// taken by the kernel (Conn.Buffered): a write that would go past it
	// returns ErrBackpressure and queues nothing, and OnDrain follows once
	// the queue has fallen to half of it. A message is always accepted
	// when nothing is queued, whatever its size. Control frames (pings,
	// pongs, close) are never refused for this limit. The stream's own
	// cap (stream.Options.MaxWriteBufferSize, none by default) applies as
	// well: see Conn.WriteMessage; a Close frame it refuses drops the
	// connection. Keep it below the stream's WriteHighWater (1 MiB by
	// default): while more than that is queued the stream reads nothing,
	// so the peer's Close frame goes unseen, and its pongs too (keepalive
	// then takes the peer's progress on the backlog for its answer; see
	// docs/websocket.md). Default DefaultWriteBufferLimit (512 KiB);
	// negative: no limit.
	WriteBufferLimit int
}

func (c *Config) maxMessage() int {
	if c == nil || c.MaxMessageSize <= 0 {
		return wsproto.DefaultMaxMessageSize
	}
	return c.MaxMessageSize
}

// deflateConfig returns the connection's compression settings:
// Compression with MaxDecompressedSize capped by MaxMessageSize (a
// decompression bomb must not exceed the limit the program set for
// messages). Compression must not be nil.
func (c *Config) deflateConfig() wsproto.DeflateConfig {
	dc := *c.Compression
	if m := c.maxMessage(); dc.MaxDecompressedSize <= 0 || dc.MaxDecompressedSize > m {
		dc.MaxDecompressedSize = m
	}
	return dc
}

func (c *Config) pingInterval() time.Duration {
	if c == nil || c.PingInterval <= 0 {
		return 0
	}
	return c.PingInterval
}

func (c *Config) pingTimeout() time.Duration {
	iv := c.pingInterval()
	switch {
	case iv == 0 || c.PingTimeout < 0:
		return 0
	case c.PingTimeout == 0 || c.PingTimeout > iv:
		return iv
	}
	return c.PingTimeout
}

func (c *Config) closeTimeout() time.Duration {
	if c == nil || c.CloseTimeout <= 0 {
		return DefaultCloseTimeout
	}
	return c.CloseTimeout
}

func (c *Config) writeLimit() int {
	switch {
	case c == nil || c.WriteBufferLimit == 0:
		return DefaultWriteBufferLimit
	case c.WriteBufferLimit < 0:
		return 0
	}
	return c.WriteBufferLimit
}

func (c *Config) threshold() int {
	if c.Compression == nil || c.Compression.Threshold <= 0 {
		return wsproto.DefaultDeflateThreshold
	}
	return c.Compression.Threshold
}
