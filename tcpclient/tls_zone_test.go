package tcpclient_test

import (
	"crypto/tls"
	"io"
	"net"
	"testing"

	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/netutil"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpclient"
)

// An IPv6 literal's zone names a local interface, not the server: the
// default ServerName is the address without it, so that a certificate for
// the address verifies (with the zone, x509 takes the name for a host name
// and refuses it) and no SNI is sent for an IP.
func TestConnectTLSZonedLiteralVerifiesTheAddress(t *testing.T) {
	ss, err := netutil.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "[::1]:0", ss.Server)
	if err != nil {
		t.Skip("no IPv6 loopback:", err)
	}
	lo, err := net.InterfaceByIndex(1)
	if err != nil || lo.Flags&net.FlagLoopback == 0 {
		ln.Close()
		t.Skip("no loopback interface at index 1")
	}
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

	l := testloop.New(t, nil)
	for _, host := range []string{"::1%" + lo.Name, "[::1%" + lo.Name + "]"} {
		testloop.Run(t, l, func(done func()) {
			tcpclient.Connect(t.Context(), l, host, port, &tcpclient.Options{TLS: &tls.Config{RootCAs: ss.Pool}}, func(s *stream.Stream, err error) {
				defer done()
				if err != nil {
					t.Errorf("%s: %v", host, err)
					return
				}
				if st, _ := s.TLSState(); st.ServerName != "" {
					t.Errorf("%s: SNI %q sent for an IP address", host, st.ServerName)
				}
				s.Close()
			})
		})
	}
}
