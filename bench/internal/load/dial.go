package load

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gale-io/gale/bench/internal/procstat"
)

// DefaultDialers is how many connections are opened at once. Opening
// thousands at once would overflow the server's listen backlog (somaxconn,
// often 4096) and turn into SYN retransmits a second later.
const DefaultDialers = 500

// dialTimeout bounds one connection attempt, TLS handshake included.
const dialTimeout = 10 * time.Second

// dialAll opens n connections to addr, at most dialers at a time, and runs
// each through setup (which may be nil). It returns the connections in
// index order, or closes them all and returns the first error.
func dialAll(ctx context.Context, addr string, n, dialers int, tlsConf *tls.Config,
	setup func(i int, c net.Conn) error) ([]net.Conn, error) {
	if dialers <= 0 {
		dialers = DefaultDialers
	}
	if s := procstat.Somaxconn(); s > 0 && dialers > s {
		dialers = s
	}
	conns := make([]net.Conn, n)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	d := &net.Dialer{Timeout: dialTimeout}
	for range min(dialers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				c, err := dialOne(ctx, d, addr, tlsConf)
				if err != nil {
					fail(fmt.Errorf("connection %d of %d: %w", i+1, n, explainDialErr(err)))
					return
				}
				conns[i] = c
				if setup != nil {
					if err := setup(i, c); err != nil {
						fail(fmt.Errorf("connection %d of %d: %w", i+1, n, err))
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		closeAll(conns)
		return nil, firstErr
	}
	return conns, nil
}

func dialOne(ctx context.Context, d *net.Dialer, addr string, tlsConf *tls.Config) (net.Conn, error) {
	if tlsConf == nil {
		return d.DialContext(ctx, "tcp", addr)
	}
	td := &tls.Dialer{NetDialer: d, Config: tlsConf}
	return td.DialContext(ctx, "tcp", addr)
}

func closeAll(conns []net.Conn) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}

// explainDialErr says which system limit stopped a connection, and how to
// raise it.
func explainDialErr(err error) error {
	switch {
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		lim, _ := procstat.RaiseNoFile()
		return fmt.Errorf("%w (out of file descriptors: RLIMIT_NOFILE is %d; raise the hard limit, "+
			"e.g. ulimit -Hn, or split the connections over several load processes)", err, lim)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Errorf("%w (out of ephemeral ports: see /proc/sys/net/ipv4/ip_local_port_range, "+
			"or use several 127.0.0.x source addresses)", err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%w (is the server running?)", err)
	}
	return err
}

func gomaxprocs() int { return runtime.GOMAXPROCS(0) }
