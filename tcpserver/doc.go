// Package tcpserver accepts TCP connections and serves each as a stream on
// one of several loops: Tornado's TCPServer, multi-core.
//
// # Loops and balancing
//
// A Server runs Options.Loops loops (default GOMAXPROCS), each on its own
// goroutine, and pins every connection to one loop for its life, so a
// connection's handler and callbacks never need locks. By default the first
// loop accepts and hands connections to the loops in turn (round robin):
// portable, and exactly even in connection counts. With Options.ReusePort
// every loop gets its own listening socket with SO_REUSEPORT and the kernel
// spreads connections by a hash of their addresses (Linux, DragonFly,
// FreeBSD): no hand-off between loops, but the spread is only even on
// average, and an idle loop does not take work from a busy one.
//
// # Shutdown
//
// Shutdown stops accepting, waits for the open connections to close, and
// force-closes the rest when its context ends; Close does it at once.
//
// # Tornado mapping
//
//	TCPServer(ssl_options, max_buffer_size, read_chunk_size)  New(handler, &Options{Stream: ...})
//	handle_stream(stream, address)                             Handler(stream); the address is stream.RemoteAddr()
//	listen(port, address) / bind + start(n)                    Listen(addr) + Start
//	add_sockets / add_socket                                   AddListener
//	stop()                                                     Shutdown(ctx) / Close
package tcpserver
