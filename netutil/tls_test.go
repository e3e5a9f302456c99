package netutil_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gale-io/gale/netutil"
)

// handshake runs a TLS handshake over a loopback TCP connection (its
// buffers let either side send an alert while the other is still writing,
// which net.Pipe does not) and returns the client's and the server's errors.
func handshake(server, client *tls.Config) (cerr, serr error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err, err
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(wait))
		s := tls.Server(conn, server)
		err = s.Handshake()
		if err == nil {
			_, err = s.Write([]byte("hi"))
		}
		done <- err
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return err, <-done
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(wait))
	c := tls.Client(conn, client)
	cerr = c.Handshake()
	if cerr == nil {
		buf := make([]byte, 2)
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hi" {
			cerr = errors.Join(errors.New("read after handshake"), err)
		}
	}
	conn.Close()
	return cerr, <-done
}

func TestSelfSignedTLS(t *testing.T) {
	ss, err := netutil.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		if cerr, serr := handshake(ss.Server, ss.Client(name)); cerr != nil || serr != nil {
			t.Errorf("handshake for %s: client %v, server %v", name, cerr, serr)
		}
	}
	if cerr, _ := handshake(ss.Server, ss.Client("example.com")); cerr == nil {
		t.Error("certificate accepted for a name it was not made for")
	}
	// Another self-signed certificate is not trusted.
	other, err := netutil.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	if cerr, _ := handshake(other.Server, ss.Client("localhost")); cerr == nil {
		t.Error("a stranger's certificate accepted")
	}
	if ss.Server.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion %x", ss.Server.MinVersion)
	}
	if cerr, _ := handshake(ss.Server, &tls.Config{RootCAs: ss.Pool, ServerName: "localhost", MaxVersion: tls.VersionTLS11}); cerr == nil {
		t.Error("TLS 1.1 accepted")
	}
	c := ss.Certificate
	if c.PublicKeyAlgorithm != x509.ECDSA || !c.IsCA || len(c.IPAddresses) != 2 || c.DNSNames[0] != "localhost" {
		t.Errorf("certificate: %v, CA %v, IPs %v, names %v", c.PublicKeyAlgorithm, c.IsCA, c.IPAddresses, c.DNSNames)
	}
}

func TestSelfSignedTLSHosts(t *testing.T) {
	ss, err := netutil.SelfSignedTLS("gale.test", "10.1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"gale.test", "10.1.2.3"} {
		if cerr, serr := handshake(ss.Server, ss.Client(name)); cerr != nil || serr != nil {
			t.Errorf("handshake for %s: client %v, server %v", name, cerr, serr)
		}
	}
	if cerr, _ := handshake(ss.Server, ss.Client("localhost")); cerr == nil {
		t.Error("certificate accepted for localhost")
	}
}

// LoadTLSConfig reads what SelfSignedTLS writes.
func TestLoadTLSConfig(t *testing.T) {
	ss, err := netutil.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	dir := tempDir(t)
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, ss.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, ss.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := netutil.LoadTLSConfig(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 || len(cfg.Certificates) != 1 {
		t.Fatalf("config: %+v", cfg)
	}
	if cerr, serr := handshake(cfg, ss.Client("localhost")); cerr != nil || serr != nil {
		t.Fatalf("handshake: client %v, server %v", cerr, serr)
	}
	if _, err := netutil.LoadTLSConfig(filepath.Join(dir, "missing.pem"), key); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing certificate: %v, want fs.ErrNotExist", err)
	}
	if _, err := netutil.LoadTLSConfig(key, cert); err == nil {
		t.Error("key and certificate swapped: no error")
	}
}

// tempDir is t.TempDir, but removed file by file: wine cannot run the
// directory removal t.TempDir's cleanup uses on Windows.
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "netutil")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				t.Error(err)
			}
		}
		if err := os.Remove(dir); err != nil {
			t.Error(err)
		}
	})
	return dir
}

// Without a key file, the key is read from the certificate file, as
// Tornado's ssl_options with a certfile and no keyfile read it: one PEM
// file holding both, in either order.
func TestLoadTLSConfigKeyInCertFile(t *testing.T) {
	ss, err := netutil.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	dir := tempDir(t)
	for name, pem := range map[string][]byte{
		"cert-then-key.pem": append(append([]byte(nil), ss.CertPEM...), ss.KeyPEM...),
		"key-then-cert.pem": append(append([]byte(nil), ss.KeyPEM...), ss.CertPEM...),
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := netutil.LoadTLSConfig(path, "")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if cerr, serr := handshake(cfg, ss.Client("localhost")); cerr != nil || serr != nil {
			t.Fatalf("%s: handshake: client %v, server %v", name, cerr, serr)
		}
	}
	// A certificate file without a key is still an error.
	certOnly := filepath.Join(dir, "cert-only.pem")
	if err := os.WriteFile(certOnly, ss.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := netutil.LoadTLSConfig(certOnly, ""); err == nil {
		t.Error("certificate without a key: no error")
	}
}
