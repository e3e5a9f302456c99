package tcpclient_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/netutil"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpclient"
)

func TestConnectTLS(t *testing.T) {
	ss, err := netutil.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", ss.Server)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := make(chan struct{})
	go func() {
		defer close(served)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.Copy(c, c)
			c.Close()
		}
	}()
	defer func() { ln.Close(); <-served }()
	port := ln.Addr().(*net.TCPAddr).Port

	// Verified against the pool, ServerName defaulting to the host.
	l := testloop.New(t, nil)
	var got string
	testloop.Run(t, l, func(done func()) {
		tcpclient.Connect(t.Context(), l, "localhost", port, &tcpclient.Options{TLS: &tls.Config{RootCAs: ss.Pool}}, func(s *stream.Stream, err error) {
			if err != nil {
				t.Fatal(err)
			}
			if st, ok := s.TLSState(); !ok || st.ServerName != "localhost" {
				t.Errorf("TLS state %v %+v", ok, st.ServerName)
			}
			s.Write([]byte("hi\n"), nil)
			s.ReadUntil([]byte("\n"), 10, func(data []byte, err error) {
				got = string(data)
				s.Close()
				done()
			})
		})
	})
	if got != "hi\n" {
		t.Fatalf("echo %q", got)
	}

	// Not trusted: a verification error, with Op "tls".
	testloop.Run(t, l, func(done func()) {
		tcpclient.Connect(t.Context(), l, "localhost", port, &tcpclient.Options{TLS: &tls.Config{}}, func(s *stream.Stream, err error) {
			var te *tcpclient.Error
			var ve *tls.CertificateVerificationError
			if !errors.As(err, &te) || te.Op != "tls" || !errors.As(err, &ve) {
				t.Errorf("untrusted server: %v", err)
			}
			done()
		})
	})
}

// A deadline that ends during the TLS handshake (a server that accepts and
// never answers) is reported as the handshake's (Op "tls", with the
// address it ran on), not the connect's.
func TestTimeoutDuringHandshake(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c // held open, silent
		}
		close(accepted)
	}()
	defer func() {
		ln.Close()
		for c := range accepted {
			c.Close()
		}
	}()
	addr := ln.Addr().(*net.TCPAddr).AddrPort()
	l := testloop.New(t, nil)
	var got error
	testloop.Run(t, l, func(done func()) {
		opts := &tcpclient.Options{Timeout: 100 * time.Millisecond, TLS: &tls.Config{ServerName: "x"}}
		tcpclient.Connect(t.Context(), l, "127.0.0.1", int(addr.Port()), opts, func(s *stream.Stream, err error) {
			if s != nil {
				s.Close()
			}
			got = err
			done()
		})
	})
	var e *tcpclient.Error
	if !errors.As(got, &e) || !e.Timeout() || !errors.Is(got, context.DeadlineExceeded) {
		t.Fatalf("got %v, want a timeout", got)
	}
	if e.Op != "tls" || e.Addr.Port() != addr.Port() {
		t.Fatalf("got Op %q Addr %v, want Op tls at %v", e.Op, e.Addr, addr)
	}
}
