// Package wsbench holds the ws-mode benchmark servers (bench/DESIGN.md,
// "The bench interface"): WebSocket at /ws, where
//
//   - every message is echoed with its opcode (text or binary);
//   - a text message "broadcast:<n>" (package broadcast) instead makes the
//     server send one n-byte binary message, broadcast.Payload(n), to every
//     open connection, the sender included, encoded once (a prepared
//     message) where the library has it;
//   - permessage-deflate is accepted when the client offers it, unless
//     Compress is false (serve -compress=false);
//   - messages over MaxMessage bytes close the connection (1009);
//   - any other path answers 404.
//
// Each implementation is one file that registers itself with package
// server under mode "ws":
//
//	gale.go   gale's wsproto/websocket on httpproto/httpserver
//	std.go    github.com/gorilla/websocket on net/http, a goroutine per connection
//	nbio.go   github.com/lesismal/nbio's nbhttp/websocket on non-blocking pollers
//
// and what they share is in common.go: the limits, the Compress switch and
// the set of open connections a broadcast goes to.
package wsbench
