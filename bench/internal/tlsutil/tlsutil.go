// Package tlsutil makes the TLS configurations of the benchmark: a server
// certificate generated at start, and a client that accepts it.
package tlsutil

import (
	"crypto/tls"

	"github.com/gale-io/gale/netutil"
)

// SelfSigned returns a server configuration with a new self-signed ECDSA
// P-256 certificate for "localhost", 127.0.0.1 and ::1 (netutil.SelfSignedTLS).
func SelfSigned() (*tls.Config, error) {
	ss, err := netutil.SelfSignedTLS()
	if err != nil {
		return nil, err
	}
	return ss.Server, nil
}

// Client returns the load generator's client configuration. The server's
// certificate is generated when it starts and is not known here, so it is
// not verified: this is a benchmark on loopback, not a security boundary.
func Client() *tls.Config {
	return &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12} //nolint:gosec // see above
}
