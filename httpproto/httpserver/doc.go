// Package httpserver serves HTTP/1.1 on gale: the glue that binds the pure
// codec in package httpproto to gale's streams and tcpserver, the
// counterpart of Tornado's HTTPServer and HTTP1ServerConnection.
//
// # Serving
//
// A Handler receives each request with its whole body and answers through
// a ResponseWriter, at once or later (from another callback on the same
// loop): Tornado's simple request handling. An Options.StreamHandler sees a
// request when its head arrives and may return a BodyDelegate to receive
// the body in chunks as it arrives (Tornado's HTTPMessageDelegate, for
// uploads that should not be buffered), with PauseBody/ResumeBody for
// backpressure. Responses are buffered and sized when they are finished
// below 64 KiB without a flush (Respond sizes any length), chunked when
// they are flushed, or grow past that, before the end (HTTP/1.1), or
// delimited by the connection's close (HTTP/1.0).
//
// # Connections
//
// Keep-alive follows RFC 9112 section 9.3. Pipelined requests are parsed
// from the stream's buffer in place and answered strictly in order; the
// next request is read only once the previous response is finished (as
// in Tornado), and answers produced in the same loop turn leave in one
// write; past about 1 MiB of answers waiting to be written (a client that
// does not read them), the next request waits until they have been. A request with "Expect: 100-continue" gets the interim 100
// response before its body is read, unless the handler answered first.
// Malformed requests get the status the codec names (400, 413, 414, 431,
// 501, 505) with "Connection: close", and the connection is closed
// gracefully (its write side shut down, then a short drain) so that the
// client reads the answer; other connections are untouched.
//
// # Limits and timeouts
//
// The codec's limits (httpproto.Limits: request line 8 KiB, head 64 KiB,
// 100 fields, body 100 MiB) apply; HeaderTimeout (30 s, answered with
// 408), BodyTimeout (60 s without a body byte), IdleTimeout (60 s
// between requests, counted once the last response has been written in
// full) and WriteTimeout (60 s during which a client takes no byte of a
// finished response) bound slow clients; tcpserver's MaxConns bounds the
// connections. Shutdown closes idle connections at once and lets requests
// in progress finish (their responses carry "Connection: close", and a
// finished response still being written is in progress).
//
// # Threading
//
// Each connection lives on one loop, and its Handler, StreamHandler,
// BodyDelegate and ResponseWriter all run and must be used on that loop's
// goroutine. A Request and its ResponseWriter are reused for the next
// request once the response is finished; nothing of them may be kept.
//
// # Tornado mapping
//
//	HTTPServer(request_callback)           New(handler, opts)
//	HTTPServer.listen / add_sockets        Listen / AddListener, Start
//	HTTPServerRequest                      Request
//	HTTPMessageDelegate                    BodyDelegate via Options.StreamHandler
//	request.connection.write_headers/write ResponseWriter.Write, Flush
//	request.connection.finish              ResponseWriter.Finish
//	request.connection.detach              ResponseWriter.Detach
//	xheaders + trusted_downstream          Options.TrustedProxies
//	decompress_request                     Options.Gzip
//	idle_connection_timeout, body_timeout  IdleTimeout, HeaderTimeout, BodyTimeout
//	max_header_size, max_body_size         Options.Limits
package httpserver
