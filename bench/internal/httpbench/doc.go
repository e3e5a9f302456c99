// Package httpbench holds the http-mode benchmark servers (bench/DESIGN.md,
// "The bench interface"): HTTP/1.1 with keep-alive and pipelining, where
//
//   - GET /plaintext answers 200, Content-Type: text/plain, body
//     "Hello, World!", with Server and Date headers;
//   - POST /echo answers 200 with the request body (sized or chunked) as
//     its body, Content-Type: application/octet-stream;
//   - anything else answers 404;
//   - request bodies above 64 MiB are answered 413 (nbio: see nbio.go);
//   - idle keep-alive connections and stalled requests are closed after at
//     most 30 s.
//
// Each implementation is one file that registers itself with package
// server under mode "http":
//
//	gale.go      gale's httpproto/httpserver
//	std.go       net/http's Server, a goroutine per connection
//	fasthttp.go  github.com/valyala/fasthttp, a goroutine per connection from a worker pool
//	gnet.go      github.com/panjf2000/gnet/v2 with a minimal request framer (internal/h1)
//	nbio.go      github.com/lesismal/nbio's nbhttp, an http.Handler on non-blocking pollers
//
// and what they share:
//
//	common.go    the limits, the Date clock and the prebuilt responses
//	handler.go   the http.Handler of std and nbio
package httpbench
