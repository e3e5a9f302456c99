package httpbench

import (
	"context"
	"net"

	"github.com/gale-io/gale/bench/internal/server"
	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/httpproto/httpserver"
	"github.com/gale-io/gale/tcpserver"
)

func init() { server.Register("http", "gale", func() server.Server { return new(galeServer) }) }

// galeServer is the http mode on gale's httpserver: the strict httpproto
// parser reading each request in place from the stream's buffer, a reused
// Request and ResponseWriter per connection, responses gathered per loop
// turn (the answers to pipelined requests leave in one write), and the
// Date value cached per loop per second.
type galeServer struct {
	srv *httpserver.Server
}

func serveGale(w *httpserver.ResponseWriter, r *httpserver.Request) {
	switch {
	case string(r.Path) == "/plaintext" && r.Method == httpproto.MethodGet:
		w.Header().Add("Content-Type", textPlain)
		w.Write(plainBody)
		w.Finish()
	case string(r.Path) == "/echo" && r.Method == httpproto.MethodPost:
		w.Header().Add("Content-Type", octetStream)
		w.Write(r.Body)
		w.Finish()
	default:
		w.WriteHeader(404)
		w.Header().Add("Content-Type", textPlain)
		w.Write(notFoundBody)
		w.Finish()
	}
}

func (g *galeServer) Start(cfg server.Config) (net.Addr, error) {
	g.srv = httpserver.New(serveGale, &httpserver.Options{
		ServerName:    "gale",
		Limits:        httpproto.Limits{MaxBodySize: MaxBody},
		HeaderTimeout: timeout,
		BodyTimeout:   timeout,
		IdleTimeout:   timeout,
		TCP: tcpserver.Options{Loops: cfg.Loops, Backlog: 4096, NoDelay: true, TLS: cfg.TLS,
			ReusePort: cfg.ReusePort},
	})
	if err := g.srv.Listen(cfg.Addr); err != nil {
		return nil, err
	}
	if err := g.srv.Start(); err != nil {
		g.srv.Close()
		return nil, err
	}
	return g.srv.Addrs()[0], nil
}

// Stop closes every connection at once, as the interface asks.
func (g *galeServer) Stop(context.Context) error { return g.srv.Close() }
