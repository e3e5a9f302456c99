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
