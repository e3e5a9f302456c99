package stream_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/stream"
)

// clientHello returns the first flight of a crypto/tls client: its
// ClientHello record.
func clientHello(t *testing.T) []byte {
	c1, c2 := net.Pipe()
	go func() {
		tls.Client(c1, &tls.Config{ServerName: "localhost"}).Handshake()
		c1.Close()
	}()
	buf := make([]byte, 64<<10)
	n, err := c2.Read(buf)
	c2.Close()
	if err != nil {
		t.Fatal(err)
	}
	return buf[:n]
}

// While the handshake goroutine is busy (here in a GetCertificate that
// waits, as a certificate store may), what the peer sends is still read
// off the socket: it must be held to Options.MaxBufferSize like any read
// (the stream closes with ErrBufferFull), not buffered without limit.
func TestTLSHandshakeInputBoundedByMaxBufferSize(t *testing.T) {
	ss := selfSigned(t)
	l := newLoop(t)
	const maxBuf = 64 << 10
	srv, cli := pair(t, l, &stream.Options{MaxBufferSize: maxBuf})
	release := make(chan struct{})
	defer close(release)
	cfg := ss.Server.Clone()
	cfg.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		<-release
		return nil, errors.New("never mind")
	}
	cfg.Certificates = nil
	hello := clientHello(t)
	const flood = 8 << 20
	var closeErr, writeErr error
	testloop.Run(t, l, func(done func()) {
		srv.SetCloseCallback(func(err error) { closeErr = err; done() })
		srv.StartTLS(cfg, true, func(error) {})
		cli.Write(hello, nil)
		cli.Write(make([]byte, flood), func(err error) {
			writeErr = err
			if err == nil { // the server took it all
				done()
			}
		})
	})
	if writeErr == nil && closeErr == nil {
		t.Fatalf("the server read %d bytes during its handshake with MaxBufferSize %d and stayed open", flood, maxBuf)
	}
	if !errors.Is(closeErr, stream.ErrBufferFull) {
		t.Fatalf("server closed with %v, want ErrBufferFull", closeErr)
	}
}

// A small MaxBufferSize bounds plaintext, as in Tornado, where it does not
// apply to the TLS handshake at all: a handshake flight larger than the
// cap (a ClientHello, a certificate) arriving in one read must not close
// the stream, and records larger than the cap still read afterwards.
func TestTLSHandshakeWithSmallMaxBufferSize(t *testing.T) {
	ss := selfSigned(t)
	l := newLoop(t)
	const maxBuf = 256
	cli, srv := pair(t, l, &stream.Options{MaxBufferSize: maxBuf})
	hello := clientHello(t)
	if len(hello) <= maxBuf {
		t.Fatalf("a ClientHello of %d bytes: not larger than the cap %d", len(hello), maxBuf)
	}
	var srvErr, cliErr, readErr error
	var got []byte
	testloop.Run(t, l, func(done func()) {
		srv.StartTLS(ss.Server, true, func(err error) { srvErr = err })
		cli.StartTLS(ss.Client("localhost"), false, func(err error) { cliErr = err })
		cli.Write(make([]byte, 1000), nil) // held, then one record
		var next func()
		next = func() {
			srv.ReadBytes(200, false, func(data []byte, err error) {
				if got = append(got, data...); err != nil || len(got) == 1000 {
					readErr = err
					done()
					return
				}
				next()
			})
		}
		next()
	})
	if srvErr != nil || cliErr != nil || readErr != nil || len(got) != 1000 {
		t.Fatalf("MaxBufferSize %d: server handshake %v, client handshake %v; read %d bytes, %v", maxBuf, srvErr, cliErr, len(got), readErr)
	}
}

// bigCertificate returns a self-signed certificate for localhost made
// larger than size by an extension, and a pool that trusts it.
func bigCertificate(t *testing.T, size int) (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		ExtraExtensions:       []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, Value: make([]byte, size)}},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// crypto/tls takes a certificate message of up to 256 KiB (a long chain,
// certificates with large extensions): a client with a small
// MaxBufferSize must still complete the handshake when such a flight
// arrives faster than the handshake goroutine takes it (here, with one
// P, the goroutine cannot run while the loop reads), rather than close
// with ErrBufferFull at 64 KiB.
func TestTLSHandshakeLargeCertificateWithSmallMaxBufferSize(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	crt, pool := bigCertificate(t, 160<<10)
	l := newLoop(t)
	cli, srv := pair(t, l, &stream.Options{MaxBufferSize: 16 << 10})
	var srvErr, cliErr error
	testloop.Run(t, l, func(done func()) {
		n := 0
		end := func() {
			if n++; n == 2 {
				done()
			}
		}
		srv.StartTLS(&tls.Config{Certificates: []tls.Certificate{crt}}, true, func(err error) { srvErr = err; end() })
		cli.StartTLS(&tls.Config{ServerName: "localhost", RootCAs: pool}, false, func(err error) { cliErr = err; end() })
	})
	if srvErr != nil || cliErr != nil {
		t.Fatalf("server handshake %v, client handshake %v; want both done", srvErr, cliErr)
	}
}
