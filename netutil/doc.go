// Package netutil is gale's counterpart of Tornado's tornado.netutil: it
// makes listening sockets, accepts connections on a loop, resolves names
// without blocking the loop, parses the PROXY protocol, and builds TLS
// configurations.
//
// # Listening sockets
//
// BindSockets opens the non-blocking, close-on-exec listening TCP sockets
// for a port on one address, a host name, or every address (one IPv4 and
// one IPv6 socket, never a dual-stack socket: IPV6_V6ONLY is set on every
// IPv6 socket). BindUnixSocket does the same for a Unix-domain path or a
// Linux abstract name. A Listener owns its descriptor until Close.
//
// # Accepting
//
// AddAcceptHandler registers a listener on a loop and hands every accepted
// connection (non-blocking and close-on-exec) to a callback on the loop's
// goroutine, accepting up to Batch connections per readiness event. When the
// process or the system runs out of descriptors (EMFILE, ENFILE), gale
// neither spins nor stops serving, where Tornado busy-loops, gnet (v2.10.0)
// and evio shut the whole server down, and nbio drops connections silently:
//
//   - It keeps one spare descriptor open (libuv's trick). On EMFILE it
//     closes the spare, accepts and at once closes the connections waiting
//     in the backlog, so their clients see a prompt end of file instead of
//     hanging until they time out, and then reopens the spare. (It serves a
//     connection instead if the spare can be reopened while it holds it:
//     the shortage is over.)
//   - It stops watching the listener for a short delay (AcceptOptions:
//     10 ms, doubling up to 1 s while the shortage lasts) and then watches it
//     again, so a listener that stays readable cannot keep the loop at 100%
//     CPU.
//   - It logs with log/slog at most once a second, with the number of
//     events it left out, and once more when accepting works again.
//   - The listener is never closed: accepting resumes on its own when
//     descriptors free up, and an accepted connection resets the delay.
//
// # Resolving
//
// A Resolver answers on a loop's goroutine. NetResolver runs Go's resolver
// through loop.Offload, so the loop never blocks on DNS; IP literals are
// answered without a goroutine. OverrideResolver maps names to fixed
// addresses, for tests, and falls back to another Resolver.
//
// # PROXY protocol
//
// ParseProxyHeader parses HAProxy's PROXY protocol, versions 1 (text) and 2
// (binary), incrementally and without allocating for TCP over IPv4 or IPv6:
// it reports ErrProxyNeedMore until the header is complete, and a
// *ProxyError for malformed input. ProxyPolicy decides whose headers to
// believe: PROXY is off unless networks are listed as trusted, a trusted
// peer must send a header, and an untrusted peer's bytes are never parsed
// (see ProxyPolicy for why).
//
// # TLS
//
// LoadTLSConfig builds a server configuration from PEM files; SelfSignedTLS
// makes a throw-away certificate at run time for tests and benchmarks.
//
// # Threading
//
// Functions that take a *loop.Loop (AddAcceptHandler, Acceptor.Stop) must
// run on that loop's goroutine or before it runs, like every loop method.
// Callbacks (the accept callback, a Resolver's answer) run on the loop's
// goroutine. BindSockets and BindUnixSocket block (name resolution, file
// system calls) and belong to program setup, not to a running loop. The
// parser and the policy are pure and safe from any goroutine.
//
// # Platforms
//
// Unix is the target. On Windows, BindSockets and AddAcceptHandler work for
// TCP (without SO_REUSEADDR, SO_REUSEPORT or the spare descriptor), and
// BindUnixSocket returns an error wrapping ErrUnsupported.
//
// # Tornado mapping
//
//	bind_sockets(port, address, family, backlog, flags, reuse_port)
//	                                    BindSockets(port, address, &BindOptions{Network, Backlog, ReusePort})
//	bind_unix_socket(file, mode, backlog)
//	                                    BindUnixSocket(path, mode, backlog)
//	add_accept_handler(sock, callback)  AddAcceptHandler(l, ln, cb, opts)
//	its remove_handler()                Acceptor.Stop
//	is_valid_ip(ip)                     netip.ParseAddr
//	Resolver.resolve(host, port, family) Resolver.Resolve(ctx, l, host, port, network, cb)
//	DefaultLoopResolver, ThreadedResolver, ExecutorResolver
//	                                    NetResolver (Go's resolver via loop.Offload)
//	BlockingResolver                    none: nothing may block a loop
//	OverrideResolver(resolver, mapping) OverrideResolver{Hosts, Fallback}
//	ssl_options_to_context(opts)        LoadTLSConfig (server side)
//	ssl_wrap_socket                     crypto/tls, wired by the stream layer
//	(none)                              ParseProxyHeader, ProxyPolicy, SelfSignedTLS
package netutil
