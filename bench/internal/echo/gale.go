package echo

import (
	"context"
	"net"

	"github.com/gale-io/gale/bench/internal/server"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpserver"
)

func init() { server.Register("echo", "gale", func() server.Server { return new(galeServer) }) }

// galeServer is the echo server on gale's tcpserver and stream packages
// (with -tls, tcpserver runs the handshake and the loop the records):
// Config.Loops loops, one acceptor handing connections out in turn, and per
// connection one ReadStream whose chunks (views of the stream's pooled read
// buffer, no copy) go straight back through Write. Write hands them to the
// kernel directly and copies only what it does not take. The backlog is
// 4096 (the kernel caps it at somaxconn) so that the 10,000-connection
// ramp does not overflow it.
type galeServer struct {
	srv *tcpserver.Server
}

func (g *galeServer) Start(cfg server.Config) (net.Addr, error) {
	g.srv = tcpserver.New(serveEcho, &tcpserver.Options{Loops: cfg.Loops, Backlog: 4096, NoDelay: true, TLS: cfg.TLS,
		ReusePort: cfg.ReusePort})
	if err := g.srv.Listen(cfg.Addr); err != nil {
		return nil, err
	}
	if err := g.srv.Start(); err != nil {
		g.srv.Close()
		return nil, err
	}
	return g.srv.Addrs()[0], nil
}

func serveEcho(s *stream.Stream) {
	s.ReadStream(func(chunk []byte, err error) {
		if err == nil {
			s.Write(chunk, nil)
		}
	})
}

// Stop closes every connection at once, as the interface asks.
func (g *galeServer) Stop(context.Context) error { return g.srv.Close() }
