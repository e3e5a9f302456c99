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
//
// d is the dialer (nil: a plain one with dialTimeout); see newDialer.
func dialAll(ctx context.Context, d *net.Dialer, addr string, n, dialers int, tlsConf *tls.Config,
	setup func(i int, c net.Conn) error) ([]net.Conn, error) {
	if d == nil {
		d = &net.Dialer{Timeout: dialTimeout}
	}
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

// newDialer returns a dialer whose connections come from the local IP
// address source ("" for the kernel's choice). Binding before connecting is
// how one load process gets its own ephemeral ports: the kernel keeps a
// separate port space per source address (ip_local_port_range, about
// 28,000 ports here), so several load processes on 127.0.0.1, 127.0.0.2, ...
// together open more connections to one server port than one address
// could. On Linux the bind sets IP_BIND_ADDRESS_NO_PORT, so the port is
// chosen at connect time and not reserved for every destination.
func newDialer(source string) (*net.Dialer, error) {
	d := &net.Dialer{Timeout: dialTimeout}
	if source == "" {
		return d, nil
	}
	ip := net.ParseIP(source)
	if ip == nil {
		return nil, fmt.Errorf("load: source address %q is not an IP address", source)
	}
	d.LocalAddr = &net.TCPAddr{IP: ip}
	d.Control = bindNoPortControl
	return d, nil
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
		return fmt.Errorf("%w (out of ephemeral ports, about %d per source address: widen "+
			"/proc/sys/net/ipv4/ip_local_port_range, or split the connections over several load processes, "+
			"each with its own 127.0.0.x source address (load -source, run -idle-loaders))", err, EphemeralPorts())
	case errors.Is(err, syscall.ENOMEM), errors.Is(err, syscall.ENOBUFS):
		return fmt.Errorf("%w (out of memory for sockets: see free -m and /proc/sys/net/ipv4/tcp_mem; "+
			"lower the connection count or free memory)", err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%w (is the server running?)", err)
	}
	return err
}

func gomaxprocs() int { return runtime.GOMAXPROCS(0) }
