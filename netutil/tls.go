package netutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/netip"
	"time"
)

// LoadTLSConfig returns a server-side TLS configuration with the
// certificate chain and private key from two PEM files, accepting TLS 1.2
// and later, like the context Tornado's ssl_options_to_context builds from
// certfile and keyfile. Go's defaults do the rest (cipher suites, curves,
// session tickets); TLS compression does not exist in crypto/tls. Set
// NextProtos (for ALPN) and client authentication on the result as needed.
// A keyFile of "" means that the key is in certFile, after or before the
// chain, as Tornado's ssl_options without a keyfile (Python's
// load_cert_chain) read it. Errors keep their cause (a *fs.PathError for a
// missing file).
func LoadTLSConfig(certFile, keyFile string) (*tls.Config, error) {
	if keyFile == "" {
		keyFile = certFile
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("netutil: load TLS certificate %s and key %s: %w", certFile, keyFile, err)
	}
	return serverConfig(cert), nil
}

func serverConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

// SelfSigned is a certificate made at run time by SelfSignedTLS, with what
// a server and its clients need to use it. Nothing in it is ever written
// to disk unless the caller writes CertPEM and KeyPEM.
type SelfSigned struct {
	// Server is a server configuration presenting the certificate, TLS 1.2
	// and later.
	Server *tls.Config
	// Pool holds the certificate, for a client's RootCAs.
	Pool *x509.CertPool
	// Certificate is the parsed certificate.
	Certificate *x509.Certificate
	// CertPEM and KeyPEM are the certificate and its PKCS #8 private key in
	// PEM, for tools that want files (write KeyPEM with mode 0600).
	CertPEM, KeyPEM []byte
}

// Client returns a client configuration that trusts only this certificate
// and verifies it for serverName (a name or IP literal among the hosts it
// was made for), TLS 1.2 and later. Each call returns a new *tls.Config.
func (s *SelfSigned) Client(serverName string) *tls.Config {
	return &tls.Config{RootCAs: s.Pool, ServerName: serverName, MinVersion: tls.VersionTLS12}
}

// selfSignedLifetime is how long a SelfSignedTLS certificate is valid;
// NotBefore is an hour back, for clocks a little behind.
const selfSignedLifetime = 30 * 24 * time.Hour

// SelfSignedTLS makes an ECDSA P-256 key and a self-signed certificate for
// hosts (names and IP literals; default "localhost", "127.0.0.1" and "::1"),
// valid for 30 days, for tests and for the benchmarks' -tls flag. The
// certificate is its own CA (so tools other than Go's accept it as a root)
// and is good for both server and client authentication.
func SelfSignedTLS(hosts ...string) (*SelfSigned, error) {
	if len(hosts) == 0 {
		hosts = []string{"localhost", "127.0.0.1", "::1"}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("netutil: generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("netutil: generate serial number: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: hosts[0], Organization: []string{"gale self-signed"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(selfSignedLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	for _, h := range hosts {
		if ip, err := netip.ParseAddr(h); err == nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip.AsSlice())
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("netutil: create certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("netutil: parse certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("netutil: encode key: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return &SelfSigned{
		Server:      serverConfig(tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}),
		Pool:        pool,
		Certificate: leaf,
		CertPEM:     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:      pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}, nil
}
