package tcpclient_test

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"

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
