// Package server is the registry behind bench/cmd/serve: every benchmark
// server (a mode such as "echo" implemented by gale, gnet or the standard
// library) registers a constructor here under its mode and implementation
// name, and serve looks it up.
//
// Adding an implementation is one file in the mode's package whose init
// calls Register; adding a mode is one package imported by cmd/serve.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"sync"
)

// Config is what a server is started with.
type Config struct {
	// Addr is the TCP address to listen on, HOST:PORT; port 0 picks a free
	// port (Start returns the real address).
	Addr string
	// Loops is the number of event loops (gale), the event-loop count
	// (gnet), or ignored (std, which runs a goroutine per connection).
	// It is at least 1.
	Loops int
	// TLS, when not nil, makes the server speak TLS with this configuration
	// (it holds a certificate). Implementations without TLS return
	// ErrNoTLS from Start.
	TLS *tls.Config
	// ReusePort sets SO_REUSEPORT on the listening socket(s), so that
	// several server processes can listen on one port and the kernel
	// spreads the connections over them: how the idle scenario goes beyond
	// one process's file descriptors. Unix only.
	ReusePort bool
}

// Server is one benchmark server. Start and Stop are called once each, from
// one goroutine.
type Server interface {
	// Start listens on cfg.Addr and serves in the background. It returns
	// the address it listens on once a client can connect.
	Start(cfg Config) (net.Addr, error)
	// Stop stops accepting, closes every connection and returns once the
	// server's goroutines have finished or ctx is done.
	Stop(ctx context.Context) error
}

// Factory makes an unstarted Server.
type Factory func() Server

// Modes are the modes of DESIGN.md's bench interface, in order.
var Modes = []string{"echo", "http", "ws"}

var (
	// ErrNoTLS is returned by Start when an implementation cannot serve TLS.
	ErrNoTLS = errors.New("TLS is not supported by this implementation")
	// ErrNotBuilt is wrapped by implementations that are registered but not
	// written yet.
	ErrNotBuilt = errors.New("not built yet")
)

var (
	mu       sync.Mutex
	registry = map[string]map[string]Factory{} // mode -> impl -> factory
)

// Register makes an implementation of a mode available to New. It panics on
// a duplicate or an unknown mode, as both are programming errors.
func Register(mode, impl string, f Factory) {
	if !slices.Contains(Modes, mode) {
		panic("server: Register of unknown mode " + mode)
	}
	mu.Lock()
	defer mu.Unlock()
	if registry[mode] == nil {
		registry[mode] = map[string]Factory{}
	}
	if _, dup := registry[mode][impl]; dup {
		panic("server: Register called twice for " + mode + "/" + impl)
	}
	registry[mode][impl] = f
}

// New returns an unstarted server of the given mode and implementation.
func New(mode, impl string) (Server, error) {
	mu.Lock()
	defer mu.Unlock()
	impls, ok := registry[mode]
	if !ok {
		if slices.Contains(Modes, mode) {
			return nil, fmt.Errorf("mode %q is not implemented yet (available: %v)", mode, modesLocked())
		}
		return nil, fmt.Errorf("unknown mode %q (available: %v)", mode, modesLocked())
	}
	f, ok := impls[impl]
	if !ok {
		return nil, fmt.Errorf("unknown implementation %q for mode %s (available: %v)", impl, mode, implsLocked(mode))
	}
	return f(), nil
}

// Impls lists the implementations registered for a mode, sorted.
func Impls(mode string) []string {
	mu.Lock()
	defer mu.Unlock()
	return implsLocked(mode)
}

func implsLocked(mode string) []string {
	var out []string
	for name := range registry[mode] {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func modesLocked() []string {
	var out []string
	for _, m := range Modes {
		if _, ok := registry[m]; ok {
			out = append(out, m)
		}
	}
	return out
}
