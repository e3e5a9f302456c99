package tcpserver_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gale-io/gale/netutil"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpserver"
)

// whoami answers every connection with the peer address it was given.
func whoami(s *stream.Stream) {
	s.Write([]byte(s.RemoteAddr().String()+"\n"), func(error) { s.CloseWrite() })
}

func TestProxyProtocol(t *testing.T) {
	trusted := &netutil.ProxyPolicy{Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, HeaderTimeout: 2 * time.Second}
	_, addr := start(t, whoami, &tcpserver.Options{Loops: 1, Proxy: trusted})
	ask := func(send string) (string, error) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return "", err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		// Sent a byte at a time: the parser must cope with any split.
		for i := range len(send) {
			if _, err := c.Write([]byte{send[i]}); err != nil {
				return "", err
			}
		}
		return bufio.NewReader(c).ReadString('\n')
	}
	for _, tc := range []struct{ name, send, want string }{
		{"V1", "PROXY TCP4 203.0.113.7 192.0.2.1 51000 443\r\n", "203.0.113.7:51000\n"},
		{"V1IPv6", "PROXY TCP6 2001:db8::7 2001:db8::1 51000 443\r\n", "[2001:db8::7]:51000\n"},
		{"V1Unknown", "PROXY UNKNOWN\r\n", "127.0.0.1:"},
		{"V2", string(proxyV2(t, "198.51.100.9:4000", "192.0.2.1:443")), "198.51.100.9:4000\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ask(tc.send)
			if err != nil || !strings.HasPrefix(got, tc.want) {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	t.Run("Malformed", func(t *testing.T) {
		got, err := ask("PROXY TCP4 not-an-address\r\n")
		// Closed with bytes unread, the server's kernel may answer with a
		// reset instead of a clean end of file: either way, closed.
		if err == nil || got != "" {
			t.Fatalf("malformed header: %q, %v; want the connection closed", got, err)
		}
	})
}

// An untrusted peer's PROXY line is not believed: the server sees its real
// address and never waits for a header.
func TestProxyUntrustedPeer(t *testing.T) {
	policy := &netutil.ProxyPolicy{Trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	_, addr := start(t, whoami, &tcpserver.Options{Loops: 1, Proxy: policy})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("PROXY TCP4 203.0.113.7 192.0.2.1 51000 443\r\n"))
	got, _ := bufio.NewReader(c).ReadString('\n')
	if !strings.HasPrefix(got, "127.0.0.1:") {
		t.Fatalf("untrusted peer seen as %q", got)
	}
}

// The header comes first, then TLS (whose ClientHello may arrive in the
// same segment).
func TestProxyThenTLS(t *testing.T) {
	ss, err := netutil.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	policy := &netutil.ProxyPolicy{Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	_, addr := start(t, whoami, &tcpserver.Options{Loops: 1, Proxy: policy, TLS: ss.Server})
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.Write([]byte("PROXY TCP4 203.0.113.7 192.0.2.1 51000 443\r\n"))
	c := tls.Client(raw, ss.Client("127.0.0.1"))
	c.SetDeadline(time.Now().Add(10 * time.Second))
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || got != "203.0.113.7:51000\n" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func proxyV2(t *testing.T, src, dst string) []byte {
	s, d := netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst)
	b := []byte("\r\n\r\n\x00\r\nQUIT\n")
	b = append(b, 0x21, 0x11, 0, 12) // v2 PROXY, TCP over IPv4, 12 address bytes
	s4, d4 := s.Addr().As4(), d.Addr().As4()
	b = append(b, s4[:]...)
	b = append(b, d4[:]...)
	b = append(b, byte(s.Port()>>8), byte(s.Port()), byte(d.Port()>>8), byte(d.Port()))
	return b
}

// A trusted peer that sends no PROXY header is closed at the policy's
// HeaderTimeout, with ErrProxyTimeout as the cause its stream's OnClose
// learns; the Handler never sees it.
func TestProxyHeaderTimeout(t *testing.T) {
	policy := &netutil.ProxyPolicy{Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, HeaderTimeout: 50 * time.Millisecond}
	causes := make(chan error, 1)
	_, addr := start(t, func(s *stream.Stream) { t.Error("the Handler got a connection without its header"); s.Close() },
		&tcpserver.Options{Loops: 1, Proxy: policy, Stream: &stream.Options{OnClose: func(_ *stream.Stream, err error) { causes <- err }}})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := bufio.NewReader(c).ReadByte(); err == nil {
		t.Fatal("a silent peer was not closed")
	}
	if err := <-causes; !errors.Is(err, tcpserver.ErrProxyTimeout) {
		t.Fatalf("closed with %v, want ErrProxyTimeout", err)
	}
}
