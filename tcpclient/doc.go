// Package tcpclient opens TCP connections on a loop and hands them over as
// streams: Tornado's TCPClient, with Happy Eyeballs as RFC 8305 has it
// rather than Tornado's RFC 6555.
//
//	tcpclient.Connect(ctx, l, "example.com", 80, nil, func(s *stream.Stream, err error) {
//		if err != nil {
//			// an *Error; errors.Is works on its cause
//			return
//		}
//		defer s.Close()
//		// ...
//	})
//
// # Happy Eyeballs
//
// A name may stand for several addresses, some of which may not answer.
// Connect races them (RFC 8305, "Happy Eyeballs Version 2"):
//
//   - Order (section 4): the resolver's order within each family (for DNS,
//     the RFC 6724 preference that Go's resolver applies), interleaved
//     across families with a First Address Family Count of 1, starting
//     with the family of the first answer: v6, v4, v6, v4, ... or the
//     reverse.
//   - Attempts (section 5): the first address is tried at once; each
//     further address when the attempt before it has neither connected nor
//     failed within the Connection Attempt Delay (Options.AttemptDelay,
//     250 ms by default, never below 10 ms), or at once when an attempt
//     fails. Earlier attempts go on meanwhile, so several may be in flight.
//   - Result: the first attempt to connect wins; the others are cancelled
//     (their sockets closed, which also drops a success already on its
//     way) and the timers stopped. When all fail, Connect fails with the
//     last attempt's error.
//
// Tornado instead tries the first answer's family one address at a time
// and falls back to the other family after 0.3 s, one attempt per family.
//
// What gale does not do: the Resolution Delay of section 3 (starting on
// the IPv4 answers when the AAAA answer is slow), since a netutil.Resolver
// answers once with every address (NetResolver asks for both families in
// parallel); and remembering which addresses or families worked, for
// later connections (section 4's use of history).
//
// # Deadlines and cancellation
//
// One deadline covers resolution and every attempt: the earlier of
// Options.Timeout (Tornado's timeout) and ctx's deadline. When it passes,
// or ctx is cancelled, Connect closes every socket in flight, abandons the
// lookup and fails with an *Error whose cause is context.DeadlineExceeded
// or context.Canceled. The deadline is a loop timer; ctx's cancellation is
// watched with context.AfterFunc, which posts to the loop, so no goroutine
// waits per connection.
//
// # Sockets
//
// Sockets are made non-blocking and close-on-exec in one call where the
// platform can (SOCK_NONBLOCK|SOCK_CLOEXEC), else under syscall.ForkLock;
// on Windows, with WSASocket and WSA_FLAG_NO_HANDLE_INHERIT. A source
// address or port (Options.LocalAddr, LocalPort) is bound before the
// connect.
//
// # TLS
//
// With Options.TLS, Connect starts TLS (stream.StartTLS, crypto/tls) on the
// connection that won the race, with ServerName defaulting to the host, as
// Tornado's connect(ssl_options=...) does; the certificate is verified
// unless the configuration says otherwise, and Options.Timeout and ctx
// cover the handshake too. The callback gets the stream once the handshake
// is done.
//
// # Threading
//
// Connect runs on the loop's goroutine (or before the loop runs) and calls
// back there, like every loop method; to connect from another goroutine,
// Post to the loop.
//
// # Tornado mapping
//
//	TCPClient(resolver)                 Options.Resolver (no client object to keep or close)
//	TCPClient.connect(host, port, ...)  Connect(ctx, l, host, port, opts, cb)
//	  af=AF_INET / AF_INET6             Options.Network "tcp4" / "tcp6"
//	  ssl_options                       Options.TLS
//	  max_buffer_size                   Options.Stream.MaxBufferSize
//	  source_ip / source_port           Options.LocalAddr / LocalPort
//	  timeout                           Options.Timeout, or ctx's deadline
//	_Connector (RFC 6555, 0.3 s)        the RFC 8305 race above (AttemptDelay 250 ms)
//	TimeoutError                        *Error matching context.DeadlineExceeded (Timeout() true)
//	the future's result, an IOStream    cb's *stream.Stream
package tcpclient
