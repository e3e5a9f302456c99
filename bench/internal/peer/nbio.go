package peer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"

	llibtls "github.com/lesismal/llib/std/crypto/tls"
	"github.com/lesismal/nbio/nbhttp"
)

// StartNBIO starts an nbhttp engine configured by conf (its handler,
// pollers and limits) listening on addr, with TLS when tlsConf is set, and
// returns it with the bound address. It fills conf's listening fields: the
// listener is made here (with SO_REUSEPORT when reusePort is set) and
// handed to nbhttp through Config.Listen, because nbhttp's own failure
// path (its Start stopping the engine when a listener cannot be made)
// hangs in v1.6.7; accept errors back off as net/http does (nbhttp's
// accepting goroutine retries at once on every error but a timeout); and
// the certificate is carried over to llib's crypto/tls fork, which
// nbhttp's TLS uses. Errors are prefixed with name.
func StartNBIO(name, addr string, reusePort bool, tlsConf *tls.Config, conf nbhttp.Config) (*nbhttp.Engine, net.Addr, error) {
	var lc net.ListenConfig
	if reusePort {
		lc.Control = ReusePortControl
	}
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	var once sync.Once
	conf.Network = "tcp"
	conf.Listen = func(string, string) (net.Listener, error) {
		err := errors.New("nbio asked for a second listener")
		once.Do(func() { err = nil })
		if err != nil {
			return nil, err
		}
		return ln, nil
	}
	var backoff Backoff
	conf.OnAcceptError = func(err error) { backoff.Failed(err) }
	if tlsConf != nil {
		tc, err := llibConfig(tlsConf)
		if err != nil {
			ln.Close()
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		conf.TLSConfig, conf.AddrsTLS = tc, []string{addr}
	} else {
		conf.Addrs = []string{addr}
	}
	eng := nbhttp.NewEngine(conf)
	eng.OnOpen(func(net.Conn) { backoff.Accepted() })
	// Start takes the listener (through Listen above) and starts the
	// pollers and the accepting goroutine.
	if err := eng.Start(); err != nil {
		ln.Close()
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	return eng, ln.Addr(), nil
}

// llibConfig carries the certificate over to llib's crypto/tls fork.
func llibConfig(c *tls.Config) (*llibtls.Config, error) {
	if len(c.Certificates) == 0 {
		return nil, fmt.Errorf("TLS configuration without a certificate")
	}
	out := &llibtls.Config{MinVersion: llibtls.VersionTLS12}
	for _, cert := range c.Certificates {
		out.Certificates = append(out.Certificates, llibtls.Certificate{
			Certificate: cert.Certificate, PrivateKey: cert.PrivateKey, Leaf: cert.Leaf,
		})
	}
	return out, nil
}
