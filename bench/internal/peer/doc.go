// Package peer holds what the peer servers of every mode (the echo and
// http packages' gnet, nbio, std and fasthttp implementations) share:
// SO_REUSEPORT for net listeners, gnet's listening address and port
// reservation, an accept-error backoff, starting nbio's nbhttp engine and
// a net/http server, and loggers that keep the frameworks off stdout,
// which cmd/serve reserves for its ready line.
//
//	reuseport_*.go  ReusePortControl
//	gnet_*.go       GnetAddr, ReservePort
//	log.go          GnetLogger, NBIOLogger
//	backoff.go      Backoff
//	nbio.go         StartNBIO
//	nethttp.go      NetHTTP
package peer
