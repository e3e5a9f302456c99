// Package websocket is gale's WebSocket glue (RFC 6455, permessage-deflate
// from RFC 7692): it binds the pure codec in package wsproto to gale's
// streams, as a server (Upgrade from an httpserver Handler, UpgradeHTTP from
// a net/http Handler served by httpserver.NetHTTP) and as a client (Dial),
// with one Handler interface for both: the counterpart of Tornado's
// websocket module.
//
// # Connections
//
// A Conn runs on one loop. Its Handler gets OnOpen, then OnMessage for
// every whole message (fragments are gathered, compressed messages inflated
// and text checked for UTF-8), and OnClose exactly once, however the
// connection ended; optional PingHandler, PongHandler and DrainHandler see
// pings, pongs and the end of backpressure. Conn methods must be called on
// the loop's goroutine; from elsewhere, c.Loop().Post.
//
// Reading parses frames in place in the stream's buffer: a message that
// arrived in one piece is handed to OnMessage as a view of that buffer,
// without a copy; a fragmented one is gathered in a pooled buffer released
// after the message. A peer that breaks the protocol gets a Close frame
// with the code the codec names (1002, 1007, 1009) and the connection ends
// (CloseError.Err is the *wsproto.Error).
//
// Closing: Close sends a Close frame and waits up to Config.CloseTimeout (5
// s) for the peer's; a peer's Close is echoed with its code. After both,
// the server closes TCP as soon as its last bytes are out (even when the
// client half-closed already) and the client waits for it (RFC 6455
// section 7.1.1). After a Close frame no data frame is sent (ErrClosed);
// once this side has sent one, the peer's messages are still read (to
// reach its Close frame) but not delivered to OnMessage.
//
// Keepalive: with Config.PingInterval, a Ping goes out every interval, and
// a peer that sends no Pong within Config.PingTimeout is closed with 1000
// "ping timed out", as in Tornado 6.5. Without it no timer exists.
//
// Backpressure: a write that would take the bytes queued for the peer past
// Config.WriteBufferLimit (512 KiB) is refused with ErrBackpressure and the
// message is not queued; OnDrain follows once the queue has fallen to half.
// Independently, the stream stops reading from a peer while more than its
// write high-water mark (1 MiB by default) waits to be sent (a single
// message bigger than that, say), so an echoing server does not read
// faster than its peer reads. The limit stays below that mark so that a
// connection kept busy within it still reads its peer's pongs and Close
// frame.
//
// # Memory
//
// An idle connection holds no buffer and no compressor: about 600 bytes of
// heap per endpoint, stream included (TestIdleMemory measures). Buffers come
// from pools for one message. A Deflater (about 630 KiB) or Inflater (about
// 100 KiB) is made at its first use and kept while it keeps a compression
// context; for a direction without context takeover it is taken from a
// pool for each message. A server with many compressed connections should
// set Compression.ServerNoContextTakeover (and ClientNoContextTakeover) so
// that it needs about one compressor per loop, not per connection.
//
// Steady-state echo (server and client) allocates nothing per message
// (TestEchoAllocs guards it).
//
// # Tornado mapping
//
//	WebSocketHandler                      Handler, served with Upgrade (or UpgradeHTTP)
//	open / on_message / on_close          OnOpen / OnMessage / OnClose
//	on_ping / on_pong                     PingHandler / PongHandler
//	write_message(msg, binary)            Conn.WriteMessage, WriteText, WriteBinary (WritePrepared for broadcasts)
//	ping(data)                            Conn.Ping
//	close(code, reason)                   Conn.Close (Abort drops the connection)
//	close_code, close_reason              CloseError.Code, Reason
//	check_origin                          ServerOptions.CheckOrigin
//	select_subprotocol                    ServerOptions.Subprotocols (wsproto.SelectSubprotocol)
//	selected_subprotocol                  Conn.Subprotocol
//	get_compression_options               ServerOptions.Compression (a *wsproto.DeflateConfig; nil: off)
//	websocket_ping_interval / _timeout    Config.PingInterval / PingTimeout
//	websocket_max_message_size            Config.MaxMessageSize (10 MiB)
//	websocket_connect                     Dial (DialOptions)
//	WebSocketClientConnection             Conn (client side) with a Handler instead of read_message
//	WebSocketClosedError                  ErrClosed
//
// Differences: gale checks what Tornado leaves alone (masking direction,
// close codes, Sec-WebSocket-Key's form, UTF-8 fails with a 1007 Close frame
// rather than a bare TCP close), declines a permessage-deflate offer it
// cannot accept instead of failing the handshake, accepts only version 13,
// and answers a non-GET handshake with 405.
package websocket
