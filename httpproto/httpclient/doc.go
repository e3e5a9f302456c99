// Package httpclient is gale's HTTP/1.1 client: the glue that binds the
// pure codec in package httpproto to gale's streams and tcpclient, the
// counterpart of Tornado's AsyncHTTPClient (its simple_httpclient), with
// keep-alive pooling, proxies and Unix sockets besides.
//
// # Fetching
//
// A Client lives on one loop. Fetch starts a Request and calls back with
// a Response, or with an *Error when no complete response arrived
// (Tornado's code 599: a timeout, a refused connection, a malformed
// response). Any status is a response; Response.Err returns the
// *HTTPError Tornado's fetch raises for a status outside 200-299. Do is
// the goroutine-safe wrapper that posts the request and waits.
//
// Tornado's defaults hold: at most 10 requests active (Options.MaxClients)
// and the rest in a FIFO queue, each waiting at most the smaller of its
// connect and request timeouts ("Timeout in request queue"); connect and
// request timeouts of 20 s, counted from when the request leaves the
// queue; 5 redirects at most; gzip responses decompressed (with a limit on
// the decompressed size against bombs); bodies up to 100 MiB, heads up to
// 64 KiB; TLS certificates verified.
//
// # Request and response bodies
//
// A body is bytes (Request.Body, sent with Content-Length) or a
// BodyProducer that writes pieces through a BodyWriter, sent chunked
// unless Request.BodyLength gives the size; each Write's callback fires
// when the piece reached the kernel, which is the producer's
// backpressure. Request.ExpectContinue sends "Expect: 100-continue" and
// holds the body until the server's 100 (or a final status, after which
// the body is never sent), or until Options.ContinueTimeout (1 s, as
// curl; Tornado waits for ever).
//
// The response body is gathered in Response.Body, or handed piece by piece
// to Request.OnChunk (pieces alias the connection's buffer: valid only
// during the call), after Request.OnHeader saw the head. A malformed status
// line or framing fails the request at once with an *httpproto.Error.
//
// # Redirects
//
// 301, 302, 303, 307 and 308 with a Location are followed, the Location
// resolved against the current URL (httpproto.ResolveReference). A 303
// (but for HEAD), and a 301 or 302 answering a POST, become a GET without
// a body (Content-Length, Content-Type, Content-Encoding,
// Transfer-Encoding and Expect dropped); the others keep method and body, unless the
// body came from a producer that was already called, which cannot be
// replayed: then the redirect is the response. A redirect to another
// origin drops Authorization, Cookie and the request's credentials. A
// Proxy-Authorization in the request's header goes only where its first hop went: to that proxy
// (on the CONNECT for https), on every hop through it, or, sent
// directly, to the same origin. Past
// MaxRedirects the last redirect is the response (Response.RedirectLimit,
// and Response.Err matches ErrTooManyRedirects). Each hop leaves its slot
// and queues again, and gets its own timeouts, as in Tornado; the
// callbacks see the final response only.
//
// # Connection pooling
//
// Unlike Tornado's simple client (one connection per request), connections
// are kept alive and reused, per pool key: scheme, host, port, proxy (and
// the Proxy-Authorization a CONNECT tunnel was opened with), TLS
// configuration (by pointer) and Unix socket path. A connection returns to
// the pool only when its response was read completely, both sides kept it
// alive (HTTP/1.1 without "Connection: close"; HTTP/1.0 with keep-alive),
// the request body was sent in full (and the request did not carry
// "Connection: close"), and nothing unasked-for follows the response. A
// pooled connection that the server closes (or ends its side of, with
// half-open streams, Options.Stream's AllowHalfOpen), or on which bytes
// nobody asked for arrive, is dropped at once (an idle connection keeps a
// read pending, as net/http does), one idle beyond Options.IdleTimeout
// (90 s) is closed, and at most Options.MaxIdlePerHost are kept per key. A
// request that fails on a reused connection before any response byte
// arrived is retried once on a new connection if its method is idempotent
// (or it carries an Idempotency-Key field) and its body can be replayed:
// bytes, or a producer not called yet (as net/http does; each redirect hop
// once). Any request is retried so when none of it was sent: its first
// write failed at once (a connection the server reset while it was idle).
// The retry is the same attempt: its request timeout and the response's
// RequestTime count from the first connection's start, so a retried
// request never gets twice the time.
//
// # Proxies and Unix sockets
//
// Options.Proxy picks an HTTP proxy per request: an http target is sent to
// it in absolute form, an https target through a CONNECT tunnel, with TLS
// to the target (verified for the target's name) inside it. Credentials in
// the proxy URL are sent as Proxy-Authorization. Request.UnixSocket
// connects to a Unix-domain socket instead of the URL's host (not on
// Windows), for every hop.
//
// # Allocations
//
// A request over a pooled connection with a small, non-streamed response
// costs four allocations, all of them the caller's to keep: the Response,
// its Header (fields and bytes) and its Body (sized from Content-Length).
// The client's own state is recycled: the request's record (once its
// callback returned), its copy of the request header, the connection's
// parser, encoder and output buffer, and callbacks bound once.
//
// # Threading
//
// A Client and everything it calls back run on its loop's goroutine: New,
// Fetch and Close must be called there (New also before the loop runs);
// only Do is safe from other goroutines. Callbacks never run inside the
// call that registered them.
//
// # Tornado mapping
//
//	AsyncHTTPClient(max_clients=...)        New(loop, &Options{MaxClients: ...})
//	AsyncHTTPClient.fetch(request)          Client.Fetch(req, cb), Client.Do(ctx, req)
//	raise_error=True                        Response.Err()
//	AsyncHTTPClient.close()                 Client.Close()
//	HTTPRequest(url, method, headers, body) Request{URL, Method, Header, Body}
//	  body_producer                         Request.BodyProducer (BodyWriter)
//	  allow_nonstandard_methods             Request.AllowNonstandardMethods
//	  auth_username / auth_password         Request.Username / Password (basic)
//	  connect_timeout / request_timeout     Request.ConnectTimeout / RequestTimeout
//	  follow_redirects / max_redirects      Request.FollowRedirects / MaxRedirects
//	  decompress_response                   Request.Decompress
//	  header_callback / streaming_callback  Request.OnHeader / OnChunk
//	  expect_100_continue                   Request.ExpectContinue
//	  validate_cert / ca_certs / ssl_options Request.TLS (or Options.TLS)
//	  proxy_host / proxy_port / proxy_*     Options.Proxy
//	  user_agent                            a User-Agent header, Options.UserAgent
//	HTTPResponse                            Response
//	  code / reason / headers / body        Status / Reason / Header / Body
//	  effective_url / request_time          EffectiveURL / RequestTime
//	HTTPClientError (HTTPError)             *HTTPError
//	HTTPTimeoutError (599)                  *TimeoutError in an *Error
//	HTTPStreamClosedError (599)             *Error wrapping the stream's error
//
// Tornado's checks hold unless Request.AllowNonstandardMethods: the method
// is GET, HEAD, POST, PUT, DELETE, PATCH or OPTIONS, and POST, PUT and
// PATCH have a body (a nil Body is Tornado's body=None) while the others
// have none; Fetch fails otherwise (ErrNonstandard). Unlike Tornado, a
// produced body without a length is sent chunked whatever the method.
// Not ported: auth modes other than basic, prepare_curl_callback,
// if_modified_since, and allow_ipv6 per request (Options.Resolver, which
// may return IPv4 addresses only, chooses for the whole client).
package httpclient
