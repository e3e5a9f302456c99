package tcpserver_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gale-io/gale/netutil"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpserver"
)

func tlsEchoServer(t *testing.T) (string, *netutil.SelfSigned) {
	ss, err := netutil.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	_, addr := start(t, echo, &tcpserver.Options{Loops: 2, TLS: ss.Server, HandshakeTimeout: 5 * time.Second})
	return addr, ss
}

// Go's crypto/tls client against the server.
func TestTLSEchoWithCryptoTLSClient(t *testing.T) {
	addr, ss := tlsEchoServer(t)
	for i := range 3 {
		c, err := tls.Dial("tcp", addr, ss.Client("127.0.0.1"))
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		roundTrip(t, c, strings.Repeat("secret ", 1000))
		c.Close()
	}
}

// openssl s_client, a third-party TLS stack.
func TestTLSWithOpenSSLClient(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not found: install the Debian package openssl to run this interop test")
	}
	addr, ss := tlsEchoServer(t)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, ss.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(openssl, "s_client", "-connect", addr, "-CAfile", ca, "-verify_return_error",
		"-servername", "localhost", "-quiet")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	// -quiet ignores end of input: write a line, read its echo, then end.
	stdin.Write([]byte("ping from openssl\n"))
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ping from openssl\n" {
		t.Fatalf("openssl s_client read %q, %v", line, err)
	}
	stdin.Close()
}

// curl speaks TLS (and then HTTP, which the echo server sends back as is).
func TestTLSWithCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not found: install the Debian package curl to run this interop test")
	}
	addr, ss := tlsEchoServer(t)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, ss.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	// The echo server sends curl's own request back; curl fails to parse it
	// as a response (HTTP/0.9 refused), but only after a verified handshake.
	out, _ := exec.Command(curl, "-sS", "-v", "--max-time", "10", "--cacert", ca,
		"https://"+strings.Replace(addr, "127.0.0.1", "localhost", 1)+"/x").CombinedOutput()
	s := string(out)
	if !strings.Contains(s, "SSL certificate verify ok") && !strings.Contains(s, "server certificate verification OK") {
		t.Fatalf("curl did not complete a verified handshake:\n%s", s)
	}
	if !strings.Contains(s, "GET /x") {
		t.Fatalf("curl's request did not go through:\n%s", s)
	}
}

// A client that connects and never speaks TLS is closed at the timeout,
// with ErrHandshakeTimeout as the cause its stream's OnClose learns.
func TestTLSHandshakeTimeout(t *testing.T) {
	ss, err := netutil.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	causes := make(chan error, 1)
	srv, addr := start(t, echo, &tcpserver.Options{Loops: 1, TLS: ss.Server, HandshakeTimeout: 50 * time.Millisecond,
		Stream: &stream.Options{OnClose: func(_ *stream.Stream, err error) { causes <- err }}})
	c, err := netDial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := bufio.NewReader(c).ReadByte(); err == nil {
		t.Fatal("a silent client was not closed")
	}
	if st := srv.Stats(); st.Accepted != 1 {
		t.Fatalf("stats %+v", st)
	}
	if err := <-causes; !errors.Is(err, tcpserver.ErrHandshakeTimeout) {
		t.Fatalf("closed with %v, want ErrHandshakeTimeout", err)
	}
}
