package stream_test

import (
	"crypto/tls"
	"errors"
	"net"
	"testing"

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
