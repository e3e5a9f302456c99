// Package wsproto is gale's WebSocket codec (RFC 6455, and permessage-deflate
// from RFC 7692): it turns bytes into events and messages into bytes, and
// does nothing else. It performs no I/O, reads no clock, takes no lock and
// starts no goroutine (a test checks its imports), so it works under any
// event loop; gale's own glue, which binds it to a stream, lives elsewhere.
// The HTTP side of the handshake belongs to package httpproto; this package
// has only the WebSocket-specific pieces that need no HTTP parsing.
//
// # API overview
//
//   - Reading: a Reader decodes one direction of a connection. Next takes the
//     unconsumed input and returns one Event and how many bytes it used:
//     NeedMore, MessageStart, Data, MessageEnd, Ping, Pong or Close. The same
//     input gives the same events however it is split.
//   - Writing: AppendFrame, AppendMessage, AppendControl, AppendPing,
//     AppendPong and AppendClose append whole frames to a buffer;
//     AppendFrameHeader and ParseFrameHeader work on headers alone;
//     PreparedMessage encodes a broadcast once for many connections.
//   - Masking: Mask, a word-at-a-time XOR that works in pieces.
//   - Text: UTF8Validator, an incremental, fail-fast UTF-8 check.
//   - Closing: CloseCode, ValidWireCloseCode, ParseClosePayload,
//     AppendClosePayload.
//   - permessage-deflate: ParseExtensions, NegotiateDeflateServer (server),
//     OfferValue and AcceptDeflateResponse (client), DeflateParams (what was
//     agreed), DeflateConfig (what an endpoint wants), Deflater and Inflater.
//   - Handshake helpers: AcceptKey, ValidClientKey, ParseTokenList,
//     SelectSubprotocol.
//   - Errors: every error is an *Error with a kind for errors.Is
//     (ErrProtocol, ErrInvalidData, ErrTooBig, ErrHandshake,
//     ErrInvalidArgument), the close code to send and who is at fault.
//
// # Reading
//
// A message is MessageStart, then Data events (never empty, split wherever
// frames or reads ended), then MessageEnd; Ping and Pong events may come
// between its Data, and a Close event ends everything. The Reader keeps the
// state machine of RFC 6455 section 5.4 in one table (states.go): between
// messages (Idle) a Text or Binary frame starts a message; inside a
// fragmented one (InMessage) only its Continuation frames and control frames
// may come; after Close nothing is parsed. A frame the table does not allow
// is an ErrProtocol error naming the state and the frame.
//
// It also rejects, with close code 1002: frames masked the wrong way for the
// role (Tornado does not check; RFC 6455 section 5.1 says MUST), RSV2 and
// RSV3, RSV1 unless permessage-deflate was agreed and the frame starts a
// data message, reserved opcodes, fragmented or over-long control frames,
// lengths not in their minimal form and 64-bit lengths with the top bit set,
// a 1-byte close payload and close codes ValidWireCloseCode refuses (Tornado
// checks neither). Text that is not UTF-8 and close reasons that are not
// fail with 1007; sizes over the limits with 1009, as soon as the frame
// header announces them.
//
// Uncompressed text messages are validated as their Data arrives: the Data
// delivered is always the longest prefix that could still be valid, and the
// error comes at the first byte that makes it invalid (RFC 6455 section 8.1
// asks to fail fast). A compressed message cannot be validated before it is
// inflated, so whoever inflates it runs the output through a UTF8Validator.
//
// After a Close event the Reader consumes and ignores all further input; an
// error is final.
//
// # Buffer ownership
//
//   - Reader.Next unmasks payloads in place: Event.Payload (Data, Ping and
//     Pong payloads, the Close reason) is a slice of the input, valid as
//     long as the caller keeps those bytes. Copy it to keep it longer.
//   - Next consumes only what it used; the caller passes the rest again with
//     the bytes that arrived since. A frame header (at most 14 bytes) or a
//     control frame (at most 131) is consumed only when whole.
//   - The Append functions append to dst and return the extended slice, like
//     the append built-in; they never modify the payload they are given
//     (masking happens on the copy).
//   - Deflater.Compress appends to dst. Inflater.Inflate copies its input
//     (the pieces of a message are kept until the last one) and appends its
//     output to dst; on error it returns dst unchanged.
//   - ParseExtensions, ParseTokenList and ParseClosePayload return slices and
//     strings of their input.
//   - A PreparedMessage's frames are shared by every connection: read only.
//
// # Concurrency
//
// The functions are pure and safe to call from any goroutine. A Reader,
// Deflater, Inflater or UTF8Validator is not safe for concurrent use: each
// connection has its own, used by the loop goroutine that owns the
// connection. A Deflater or Inflater without context takeover holds nothing
// between messages and can be pooled and used by one connection at a time.
// PreparedMessage and *Error values are immutable and safe to share.
//
// # Limits and defaults
//
//	ReaderOptions.MaxMessageSize        10 MiB (Tornado's max_message_size), compressed size for compressed messages
//	ReaderOptions.MaxFrameSize          MaxMessageSize
//	DeflateConfig.MaxDecompressedSize   10 MiB, enforced while inflating (a 10 KiB bomb stops at the limit)
//	control frame payload               125 bytes (close reason: 123), fixed by the RFC
//	frame header                        14 bytes at most
//	DeflateConfig.Level                 1 (klauspost/compress/flate's BestSpeed)
//	DeflateConfig.Threshold             128 bytes: shorter messages go uncompressed
//	window bits                         15 unless negotiated down (8 to 15)
//
// # permessage-deflate choices
//
// Window size. server_max_window_bits and client_max_window_bits limit how
// far back the sender's LZ77 matches may reach, within a message and across
// messages. klauspost/compress/flate compresses with a 32 KiB window at
// levels 1 to 9, but NewWriterWindow gives an encoder (similar to level 5)
// with any window from 32 bytes to 32 KiB; the Deflater uses it whenever the
// agreed window is below 15 bits, so every value from 8 to 15 is honoured
// and NegotiateDeflateServer never has to decline an offer for its window
// (the tests decode the output with an independent decoder and check every
// distance). Not compressing with context would not help: the limit applies
// inside one message too. The Inflater always keeps a 32 KiB window, which
// reads any smaller one, so client_max_window_bits is always acceptable.
//
// Level. Measured on JSON-like text (compressed size / original, speed on
// one core of the development machine):
//
//	level  64 KiB messages    4 KiB, context kept   memory per Deflater
//	1      0.325  260 MB/s    0.330  184 MB/s       ~630 KiB
//	2-3    0.316  220-250     0.320  170-187        ~1 MiB
//	5-6    0.30   145-150     0.30   60-110         ~890 KiB
//	9      0.27   14          0.28   12             ~950 KiB
//
// Level 1 is the default: the fastest and the smallest in memory, its output
// within 3% of levels 2-3 and 9% of levels 5-6 (the machine is shared, so
// speeds vary by a third from run to run; BenchmarkDeflate measures).
//
// Threshold. Below 128 bytes, klauspost's encoder does no LZ77 matching on a
// flush (it stores the bytes or Huffman-codes them) and drops its history,
// so compressing such messages saves a few bytes and loses the context that
// makes later messages small. They are sent uncompressed (RSV1 clear), which
// RFC 7692 allows per message.
//
// Memory. With context takeover a connection holds, for its lifetime, a
// Deflater (630 KiB to 1 MiB, measured) and an Inflater (about 35 KiB of
// decoder state plus up to 64 KiB of history), and the Inflater holds a
// message's compressed bytes until it ends. A server with many compressed
// connections should answer with server_no_context_takeover
// (DeflateConfig.ServerNoContextTakeover) and pool its Deflaters, so that it
// needs one per loop instead of one per connection; the price is the ratio
// of context-free compression on small messages (about 0.7 at 256 bytes,
// against 0.03 for repetitive messages with context). A PreparedMessage
// compresses with klauspost's stateless encoder and keeps no compressor.
//
// Decoding. The decompressor pulls its input and cannot stop in the middle
// of a block, so the Inflater inflates a message when its last fragment has
// arrived. Data that is not valid DEFLATE fails with 1007; a message may
// contain blocks with BFINAL set (RFC 7692 section 7.2.3.4), after which
// decoding goes on as a new stream sharing the window. An empty compressed
// payload is not valid DEFLATE (the empty message compresses to one 0x00
// byte) and fails too.
//
// Negotiation. Extension and parameter names match case-insensitively. A
// server declines an offer with unknown, repeated or invalid parameters and
// considers the next (Tornado fails the handshake instead); a client fails
// on any answer it did not ask for (RFC 7692 section 5).
//
// # Tornado mapping
//
//	WebSocketProtocol13._receive_frame      Reader.Next
//	WebSocketProtocol13._write_frame         AppendFrame, AppendMessage
//	compute_accept_value                     AcceptKey
//	_websocket_mask                          Mask
//	_PerMessageDeflateCompressor             Deflater
//	_PerMessageDeflateDecompressor           Inflater
//	_get_compressor_options / negotiation    NegotiateDeflateServer, OfferValue, AcceptDeflateResponse
//	max_message_size                         ReaderOptions.MaxMessageSize, DeflateConfig.MaxDecompressedSize
//	compression_options compression_level    DeflateConfig.Level (klauspost levels, not zlib's)
package wsproto
