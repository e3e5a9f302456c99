package echo

import (
	"context"
	"fmt"
	"net"

	"github.com/gale-io/gale/bench/internal/server"
)

func init() { server.Register("echo", "gale", func() server.Server { return new(galeServer) }) }

// galeServer is the echo server on gale's tcpserver and stream packages.
// It is a placeholder until those packages land: Start fails, and the
// runner reports gale as not available.
type galeServer struct{}

func (*galeServer) Start(server.Config) (net.Addr, error) {
	return nil, fmt.Errorf("gale echo server: %w", server.ErrNotBuilt)
}

func (*galeServer) Stop(context.Context) error { return nil }
