//go:build unix

package stream_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gale-io/gale/internal/interop"
	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/netutil"
	"github.com/gale-io/gale/stream"
	"golang.org/x/sys/unix"
)

// CloseWrite while a Connect is in progress, with nothing queued: once
// connected, the peer must read end of file.
func TestCloseWriteDuringConnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	res := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			res <- err
			return
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		var b [1]byte
		_, err = c.Read(b[:])
		res <- err
	}()
	l := newLoop(t)
	s := dialStream(t, l)
	var serverErr error
	testloop.Run(t, l, func(done func()) {
		if err := s.Connect(ln.Addr().(*net.TCPAddr).AddrPort(), func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		go func() {
			e := <-res
			l.Post(func() { serverErr = e; done() })
		}()
	})
	if serverErr != io.EOF {
		t.Fatalf("peer read after CloseWrite during connect: %v, want io.EOF", serverErr)
	}
}

// A Write made during a TLS handshake that then fails: its callback must
// be told (a *ClosedError), as for any write pending when the stream closes.
func TestWriteCallbackDuringFailedHandshake(t *testing.T) {
	ss := selfSigned(t)
	l := newLoop(t)
	cli, srv := pair(t, l, nil)
	var hsErr, wErr error
	wCalled := false
	testloop.Run(t, l, func(done func()) {
		srv.StartTLS(ss.Server, true, func(error) {})
		// Default verification: the self-signed certificate is rejected.
		if err := cli.StartTLS(&tls.Config{ServerName: "localhost"}, false, func(err error) {
			hsErr = err
			l.CallLater(200*time.Millisecond, done)
		}); err != nil {
			t.Fatal(err)
		}
		if err := cli.Write([]byte("hello"), func(err error) { wCalled, wErr = true, err }); err != nil {
			t.Fatal(err)
		}
	})
	if hsErr == nil {
		t.Fatal("handshake succeeded")
	}
	if !wCalled || !errors.Is(wErr, stream.ErrClosed) {
		t.Fatalf("write callback called %v with %v; want a *ClosedError after the failed handshake", wCalled, wErr)
	}
}

// Close during a TLS handshake: the pending Write's callback must be told.
func TestWriteCallbackCloseDuringHandshake(t *testing.T) {
	ss := selfSigned(t)
	l := newLoop(t)
	cli, _ := pair(t, l, nil)
	var wErr error
	wCalled := false
	closed := false
	testloop.Run(t, l, func(done func()) {
		cli.SetCloseCallback(func(error) { closed = true; l.CallLater(200*time.Millisecond, done) })
		if err := cli.StartTLS(ss.Client("localhost"), false, func(err error) {}); err != nil {
			t.Fatal(err)
		}
		cli.Write([]byte("hello"), func(err error) { wCalled, wErr = true, err })
		l.CallLater(20*time.Millisecond, cli.Close)
	})
	if !closed {
		t.Fatal("no close callback")
	}
	if !wCalled || !errors.Is(wErr, stream.ErrClosed) {
		t.Fatalf("write callback called %v with %v; want a *ClosedError after Close", wCalled, wErr)
	}
}

// AllowHalfOpen: after the peer's EOF, a read that cannot be satisfied
// fails wrapping io.EOF whether it was pending or started afterwards.
func TestHalfOpenReadAfterEOFCause(t *testing.T) {
	l := newLoop(t)
	r, w := pair(t, l, &stream.Options{AllowHalfOpen: true})
	var pendingErr, laterErr error
	testloop.Run(t, l, func(done func()) {
		r.ReadBytes(10, false, func(_ []byte, err error) {
			pendingErr = err
			laterErr = r.ReadBytes(10, false, func([]byte, error) {})
			done()
		})
		w.CloseWrite()
	})
	if !errors.Is(pendingErr, io.EOF) {
		t.Fatalf("pending read: %v, want io.EOF cause", pendingErr)
	}
	if !errors.Is(laterErr, stream.ErrClosed) || !errors.Is(laterErr, io.EOF) {
		t.Fatalf("read started after EOF: %v, want *ClosedError wrapping io.EOF (pending read got %v)", laterErr, pendingErr)
	}
}

// opensslServer runs `openssl s_server` on loopback with ss's certificate
// and the extra args, and returns its address and its standard input
// (s_server's commands: a line "K" sends a KeyUpdate asking for one back;
// any other line is sent to the client) and the lines it prints after it
// listens. It is skipped without openssl (failed under GALE_REQUIRE_PEERS)
// and stopped when the test ends.
func opensslServer(t *testing.T, ss *netutil.SelfSigned, args ...string) (netip.AddrPort, io.Writer, <-chan string) {
	t.Helper()
	prog := interop.Require(t, "openssl", "OpenSSL's command-line tool (Debian: openssl)", nil)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, ss.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, ss.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(prog, append([]string{"s_server", "-accept", "127.0.0.1:0", "-cert", certFile, "-key", keyFile}, args...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// (Between connections s_server waits in accept, deaf to the end
		// of its input.)
		cmd.Process.Kill()
		cmd.Wait()
	})
	accept := make(chan string, 1)
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "ACCEPT ") {
				accept <- strings.TrimPrefix(line, "ACCEPT ")
				break
			}
		}
		close(accept)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // nobody reads them
			}
		}
	}()
	select {
	case a, ok := <-accept:
		if !ok {
			t.Fatal("openssl s_server ended before it listened")
		}
		addr, err := netip.ParseAddrPort(a)
		if err != nil {
			t.Fatalf("openssl s_server: %v", err)
		}
		return addr, stdin, lines
	case <-time.After(interop.Timeout):
		t.Fatal("openssl s_server did not start")
	}
	return netip.AddrPort{}, nil, nil
}

// waitInbound waits, off the loop, until the socket s reads from holds at
// least n bytes the stream has not read.
func waitInbound(s *stream.Stream, n int) error {
	buf := make([]byte, n)
	deadline := time.Now().Add(testloop.Timeout)
	for time.Now().Before(deadline) {
		if k, _, err := unix.Recvfrom(int(s.FD()), buf, unix.MSG_PEEK|unix.MSG_DONTWAIT); err == nil && k >= n {
			return nil
		}
		time.Sleep(time.Millisecond)
	}
	return errors.New("the peer's records did not arrive")
}

// A TLS 1.3 KeyUpdate asking for one back that is read after CloseWrite
// (the client sent its request and close_notify; the server's answer came
// behind a KeyUpdate): the answer cannot be sent after the close_notify
// (and the write side is shut), so it is dropped, as crypto/tls drops it
// over a net.Conn (its CloseWrite fails later writes), and the half-open
// stream reads on: the answer, then the server's end. It must not fail
// the stream with the EPIPE of a write after shutdown.
func TestTLSKeyUpdateAfterCloseWriteOpenSSL(t *testing.T) {
	ss := selfSigned(t)
	addr, cmds, _ := opensslServer(t, ss, "-tls1_3", "-num_tickets", "0")
	l := newLoop(t)
	s := dialStream(t, l)
	var got string
	var readErr error
	testloop.Run(t, l, func(done func()) {
		s.Connect(addr, func(err error) {
			if err != nil {
				t.Fatal(err)
			}
			s.StartTLS(ss.Client("127.0.0.1"), false, func(err error) {
				if err != nil {
					t.Fatalf("handshake: %v", err)
				}
				// Once the peer's records are in: CloseWrite, then read.
				arrived := func(err error) {
					if err != nil {
						t.Fatal(err)
					}
					if err := s.CloseWrite(); err != nil {
						t.Fatal(err)
					}
					s.ReadBytes(5, false, func(data []byte, err error) {
						got, readErr = string(data), err
						if cause := s.Err(); cause != nil && cause != io.EOF {
							t.Errorf("stream closed by %v after the KeyUpdate", cause)
						}
						if err != nil {
							done()
							return
						}
						// s_server ends the session once it reads our
						// close_notify: the end it sends is read.
						s.ReadUntilClose(func(_ []byte, err error) {
							if cause := s.Err(); cause != io.EOF {
								t.Errorf("stream ended by %v, want io.EOF (the server's close_notify)", cause)
							}
							done()
						})
					})
				}
				go func() {
					// One command per line read: the KeyUpdate (a
					// 27-byte record) first, then the data (another).
					io.WriteString(cmds, "K\n")
					err := waitInbound(s, 27)
					if err == nil {
						io.WriteString(cmds, "data\n")
						err = waitInbound(s, 54)
					}
					l.Post(func() { arrived(err) })
				}()
			})
		})
	})
	if readErr != nil || got != "data\n" {
		t.Fatalf("read %q, %v (stream's cause %v); want \"data\\n\"", got, readErr, s.Err())
	}
}

// A gale client against OpenSSL's server (s_server -rev answers each line
// reversed) over TLS 1.2 and 1.3 with several cipher suites and curves,
// ALPN and a client certificate: the handshake agrees on what the server
// was limited to, and data goes both ways.
func TestTLSClientAgainstOpenSSL(t *testing.T) {
	ss := selfSigned(t)
	line := strings.Repeat("0123456789abcdef", 256) + "\n" // 4 KiB and a newline
	rev := []byte(line[:len(line)-1])
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	want := string(rev) + "\n"
	for _, tc := range []struct {
		name    string
		args    []string
		version uint16
		suite   uint16
		curve   tls.CurveID
		alpn    string
		mtls    bool
	}{
		{"TLS13-AES128", []string{"-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256", "-groups", "X25519"}, tls.VersionTLS13, tls.TLS_AES_128_GCM_SHA256, tls.X25519, "", false},
		{"TLS13-AES256-P384", []string{"-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384", "-groups", "P-384"}, tls.VersionTLS13, tls.TLS_AES_256_GCM_SHA384, tls.CurveP384, "", false},
		{"TLS13-ChaCha-P256", []string{"-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256", "-groups", "P-256"}, tls.VersionTLS13, tls.TLS_CHACHA20_POLY1305_SHA256, tls.CurveP256, "", false},
		{"TLS12-ECDHE-AES128GCM", []string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256", "-groups", "P-256"}, tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.CurveP256, "", false},
		{"TLS12-ECDHE-ChaCha", []string{"-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305", "-groups", "X25519"}, tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.X25519, "", false},
		{"TLS12-ECDHE-AES256CBC", []string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA", "-groups", "P-256"}, tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, tls.CurveP256, "", false},
		{"TLS13-ALPN", []string{"-tls1_3", "-alpn", "gale/1,http/1.1"}, tls.VersionTLS13, 0, 0, "http/1.1", false},
		{"TLS13-ClientCert", []string{"-tls1_3", "-Verify", "1"}, tls.VersionTLS13, 0, 0, "", true},
		{"TLS12-ClientCert", []string{"-tls1_2", "-Verify", "1"}, tls.VersionTLS12, 0, 0, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-rev", "-naccept", "1"}, tc.args...)
			if tc.mtls {
				// The client presents the server's own certificate,
				// which the server then trusts.
				caFile := filepath.Join(t.TempDir(), "ca.pem")
				if err := os.WriteFile(caFile, ss.CertPEM, 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(args, "-CAfile", caFile)
			}
			addr, _, _ := opensslServer(t, ss, args...)
			cfg := ss.Client("127.0.0.1")
			if tc.alpn != "" {
				cfg.NextProtos = []string{"h2", tc.alpn}
			}
			if tc.mtls {
				cfg.Certificates = ss.Server.Certificates
			}
			l := newLoop(t)
			s := dialStream(t, l)
			var got string
			var state tls.ConnectionState
			testloop.Run(t, l, func(done func()) {
				s.Connect(addr, func(err error) {
					if err != nil {
						t.Fatal(err)
					}
					s.StartTLS(cfg, false, func(err error) {
						if err != nil {
							t.Fatalf("handshake: %v", err)
						}
						state, _ = s.TLSState()
						mustWrite(t, s, line)
						s.ReadUntil([]byte("\n"), 2*len(line), func(data []byte, err error) {
							if err != nil {
								t.Fatalf("read: %v (cause %v)", err, s.Err())
							}
							got = string(data)
							done()
						})
					})
				})
			})
			if got != want {
				t.Fatalf("read %d bytes %.20q..., want the line reversed", len(got), got)
			}
			if state.Version != tc.version || tc.suite != 0 && state.CipherSuite != tc.suite || tc.curve != 0 && state.CurveID != tc.curve || state.NegotiatedProtocol != tc.alpn {
				t.Fatalf("negotiated version %x, suite %s, curve %s, ALPN %q; want %x, %s, %s, %q", state.Version, tls.CipherSuiteName(state.CipherSuite), state.CurveID, state.NegotiatedProtocol,
					tc.version, tls.CipherSuiteName(tc.suite), tc.curve, tc.alpn)
			}
		})
	}
}

// A gale client resumes its session with OpenSSL's server from a ticket
// it received on the first connection, over TLS 1.2 and 1.3 (where the
// ticket comes after the handshake, read with the data).
func TestTLSClientResumesWithOpenSSL(t *testing.T) {
	ss := selfSigned(t)
	for _, version := range []string{"-tls1_2", "-tls1_3"} {
		t.Run(version, func(t *testing.T) {
			addr, _, _ := opensslServer(t, ss, "-rev", "-naccept", "2", version)
			cfg := ss.Client("127.0.0.1")
			cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			var resumed []bool
			for range 2 {
				l := newLoop(t)
				s := dialStream(t, l)
				testloop.Run(t, l, func(done func()) {
					s.Connect(addr, func(err error) {
						if err != nil {
							t.Fatal(err)
						}
						s.StartTLS(cfg, false, func(err error) {
							if err != nil {
								t.Fatalf("handshake: %v", err)
							}
							st, _ := s.TLSState()
							resumed = append(resumed, st.DidResume)
							mustWrite(t, s, "ping\n")
							s.ReadUntil([]byte("\n"), 100, func(data []byte, err error) {
								if err != nil || string(data) != "gnip\n" {
									t.Fatalf("read %q, %v", data, err)
								}
								s.Close()
								done()
							})
						})
					})
				})
			}
			if !slices.Equal(resumed, []bool{false, true}) {
				t.Fatalf("resumed %v, want [false true]", resumed)
			}
		})
	}
}

// acceptStream accepts one connection on ln and returns it as a stream on
// l.
func acceptStream(t *testing.T, l *loop.Loop, ln net.Listener) *stream.Stream {
	t.Helper()
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(testloop.Timeout))
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.(*net.TCPConn).File()
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Dup(int(f.Fd()))
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err := stream.New(l, fd, nil)
	if err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// opensslClient runs `openssl s_client` against addr with the extra args
// and returns its standard input (a line "K" sends a KeyUpdate asking for
// one back, other lines go to the server; its end ends the client) and
// the lines it prints. It is skipped without openssl and killed when the
// test ends.
func opensslClient(t *testing.T, addr net.Addr, args ...string) (io.WriteCloser, <-chan string) {
	t.Helper()
	prog := interop.Require(t, "openssl", "OpenSSL's command-line tool (Debian: openssl)", nil)
	cmd := exec.Command(prog, append([]string{"s_client", "-connect", addr.String()}, args...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	// Its reports (KEYUPDATE, errors) go to stderr: read both.
	stdout, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	err = cmd.Start()
	w.Close()
	if err != nil {
		stdout.Close()
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		defer stdout.Close()
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return stdin, lines
}

// waitLine waits for a line from lines that contains s.
func waitLine(lines <-chan string, s string) error {
	timeout := time.After(testloop.Timeout)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				return errors.New("openssl ended before printing " + strconv.Quote(s))
			}
			if strings.Contains(line, s) {
				return nil
			}
		case <-timeout:
			return errors.New("openssl did not print " + strconv.Quote(s))
		}
	}
}

// A gale server with OpenSSL's client, which asks for a TLS 1.3 KeyUpdate
// in the middle of the stream: the server reads on under the client's new
// keys, and answers under its own new keys, which the client reads.
func TestTLSServerKeyUpdateFromOpenSSL(t *testing.T) {
	ss := selfSigned(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cmds, lines := opensslClient(t, ln.Addr(), "-tls1_3", "-servername", "localhost")
	l := newLoop(t)
	s := acceptStream(t, l, ln)
	var got []string
	testloop.Run(t, l, func(done func()) {
		s.StartTLS(ss.Server, true, func(err error) {
			if err != nil {
				t.Fatalf("handshake: %v", err)
			}
		})
		io.WriteString(cmds, "hello\n")
		// What the goroutines below wait for, told on the loop.
		check := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		var next func(data []byte, err error)
		next = func(data []byte, err error) {
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			switch got = append(got, string(data)); len(got) {
			case 1:
				// One command per read of s_client's input: wait for
				// the KeyUpdate to be sent before the data that follows.
				go func() {
					io.WriteString(cmds, "K\n")
					err := waitLine(lines, "KEYUPDATE")
					if err == nil {
						_, err = io.WriteString(cmds, "world\n")
					}
					l.Post(func() { check(err) })
				}()
				s.ReadUntil([]byte("\n"), 100, next)
			case 2:
				mustWrite(t, s, "reply\n")
				go func() {
					err := waitLine(lines, "reply")
					l.Post(func() {
						check(err)
						done()
					})
				}()
			}
		}
		s.ReadUntil([]byte("\n"), 100, next)
	})
	if !slices.Equal(got, []string{"hello\n", "world\n"}) {
		t.Fatalf("server read %q", got)
	}
}

// OpenSSL's server sends 1 MiB in records of 512 bytes (the least
// -max_send_frag allows), and in records of the full 16 KiB: the gale
// client reads it all, whatever the record size.
func TestTLSRecordSizesFromOpenSSL(t *testing.T) {
	ss := selfSigned(t)
	payload := bytes.Repeat([]byte(strings.Repeat("0123456789abcdef", 4)+"\n"), (1<<20)/65)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"Tiny", []string{"-max_send_frag", "512"}},
		{"Full", []string{"-max_send_frag", "16384"}},
		{"TLS12Tiny", []string{"-tls1_2", "-max_send_frag", "512"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, cmds, _ := opensslServer(t, ss, append([]string{"-naccept", "1"}, tc.args...)...)
			l := newLoop(t)
			s := dialStream(t, l)
			var got []byte
			testloop.Run(t, l, func(done func()) {
				s.Connect(addr, func(err error) {
					if err != nil {
						t.Fatal(err)
					}
					s.StartTLS(ss.Client("127.0.0.1"), false, func(err error) {
						if err != nil {
							t.Fatalf("handshake: %v", err)
						}
						go cmds.Write(payload)
						s.ReadBytes(len(payload), false, func(data []byte, err error) {
							if err != nil {
								t.Fatalf("read: %v", err)
							}
							got = append([]byte(nil), data...)
							done()
						})
					})
				})
			})
			if !bytes.Equal(got, payload) {
				t.Fatal("payload corrupted")
			}
		})
	}
}

// A gale server that requires a client certificate, with OpenSSL's client
// presenting none, one it does not trust, or a good one: a refused
// certificate fails the handshake, in StartTLS's callback, and closes the
// stream; the good one is seen in TLSState. Over TLS 1.2, a second
// connection resumes the session from the ticket OpenSSL kept.
func TestTLSServerClientCertsFromOpenSSL(t *testing.T) {
	ss := selfSigned(t)
	other, err := netutil.SelfSignedTLS("localhost")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	goodCert, goodKey := write("good.pem", ss.CertPEM), write("good.key", ss.KeyPEM)
	badCert, badKey := write("bad.pem", other.CertPEM), write("bad.key", other.KeyPEM)
	sess := filepath.Join(dir, "session.pem")
	cfg := ss.Server.Clone()
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	cfg.ClientCAs = ss.Pool
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr bool
		resumed bool
	}{
		{"None13", []string{"-tls1_3"}, true, false},
		{"Untrusted13", []string{"-tls1_3", "-cert", badCert, "-key", badKey}, true, false},
		{"None12", []string{"-tls1_2"}, true, false},
		{"Untrusted12", []string{"-tls1_2", "-cert", badCert, "-key", badKey}, true, false},
		{"Good12", []string{"-tls1_2", "-cert", goodCert, "-key", goodKey, "-sess_out", sess}, false, false},
		{"Good12Resumed", []string{"-tls1_2", "-cert", goodCert, "-key", goodKey, "-sess_in", sess}, false, true},
		{"Good13", []string{"-tls1_3", "-cert", goodCert, "-key", goodKey}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			_, lines := opensslClient(t, ln.Addr(), tc.args...)
			l := newLoop(t)
			s := acceptStream(t, l, ln)
			var hsErr error
			var st tls.ConnectionState
			testloop.Run(t, l, func(done func()) {
				s.StartTLS(cfg, true, func(err error) {
					hsErr = err
					st, _ = s.TLSState()
					done()
				})
			})
			if tc.wantErr {
				if hsErr == nil || !s.Closed() {
					t.Fatalf("handshake error %v, closed %v; want an error and the stream closed", hsErr, s.Closed())
				}
				return
			}
			if hsErr != nil {
				t.Fatalf("handshake: %v", hsErr)
			}
			// Once the client prints the session, it has stored it
			// (-sess_out) for the next connection.
			if slices.Contains(tc.args, "-sess_out") {
				if err := waitLine(lines, "SSL-Session:"); err != nil {
					t.Fatal(err)
				}
			}
			if len(st.PeerCertificates) != 1 || !st.PeerCertificates[0].Equal(ss.Certificate) || st.DidResume != tc.resumed {
				t.Fatalf("client certificates %d, resumed %v; want the good certificate, resumed %v", len(st.PeerCertificates), st.DidResume, tc.resumed)
			}
		})
	}
}

// A peer that ends its side with close_notify and keeps TCP open (to read
// the rest, as a bidirectional TLS shutdown does): the stream reads the
// end, closes (no AllowHalfOpen), and answers with its own close_notify
// (RFC 5246 section 7.2.1: the other party MUST respond with one; RFC 8446
// section 6.1: each party MUST send one before closing its write side),
// as Close does: the peer sees a proper end, not a truncation. Over TLS
// 1.2, where the alert's record type is in the clear.
func TestTLSPeerCloseNotifyAnswered(t *testing.T) {
	ss := selfSigned(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type result struct {
		err   error
		types []byte
	}
	res := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			res <- result{err: err}
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(testloop.Timeout))
		rec := &clientReads{Conn: c}
		cfg := ss.Client("127.0.0.1")
		cfg.MaxVersion = tls.VersionTLS12
		tc := tls.Client(rec, cfg)
		if _, err := tc.Write([]byte("bye")); err != nil {
			res <- result{err: err}
			return
		}
		tc.CloseWrite() // close_notify; TCP stays open
		_, err = io.ReadAll(tc)
		rec.mu.Lock()
		defer rec.mu.Unlock()
		res <- result{err: err, types: recordTypes(rec.in)}
	}()
	l := newLoop(t)
	s := dialStream(t, l)
	var got string
	var cause error
	testloop.Run(t, l, func(done func()) {
		s.Connect(ln.Addr().(*net.TCPAddr).AddrPort(), func(err error) {
			if err != nil {
				t.Fatal(err)
			}
			s.SetCloseCallback(func(err error) {
				cause = err
				done()
			})
			s.StartTLS(ss.Server, true, func(err error) {
				if err != nil {
					t.Fatalf("handshake: %v", err)
				}
				s.ReadUntilClose(func(data []byte, _ error) { got = string(data) })
			})
		})
	})
	if got != "bye" || cause != io.EOF {
		t.Fatalf("read %q, closed by %v; want \"bye\" and io.EOF", got, cause)
	}
	r := <-res
	if r.err != nil {
		t.Fatalf("peer read: %v", r.err)
	}
	if !bytes.Contains(r.types, []byte{21}) { // alert
		t.Fatalf("records the peer received %v: no close_notify alert (21) in answer to its own", r.types)
	}
}

// Peers that do not speak TLS: a server answering a ClientHello with
// garbage, a client sending an HTTP request to a TLS server, and a server
// that never answers (the caller's timeout closes the stream). Each
// handshake ends in StartTLS's callback (a tls.RecordHeaderError, or the
// *ClosedError of the caller's Close) with the stream closed and the
// handshake goroutine gone.
func TestTLSHandshakeWithNonTLSPeers(t *testing.T) {
	ss := selfSigned(t)
	for _, tc := range []struct {
		name   string
		server bool   // the stream is the TLS server
		peer   string // what the peer sends ("": nothing)
	}{
		{"GarbageServerHello", false, "SSH-2.0-OpenSSH_9.6\r\n"},
		{"HTTPRequest", true, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"},
		{"Stalled", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLoop(t)
			s, peer := pair(t, l, nil)
			before := handshakeGoroutines()
			var hsErr error
			closed := false
			testloop.Run(t, l, func(done func()) {
				cfg := ss.Client("localhost")
				if tc.server {
					cfg = ss.Server
				}
				s.SetCloseCallback(func(error) { closed = true; done() })
				if err := s.StartTLS(cfg, tc.server, func(err error) { hsErr = err }); err != nil {
					t.Fatal(err)
				}
				if tc.peer != "" {
					mustWrite(t, peer, tc.peer)
					return
				}
				// The ClientHello reached the peer, which never answers:
				// time out.
				peer.ReadBytes(1, true, func(_ []byte, err error) {
					if err != nil {
						t.Fatal(err)
					}
					s.Close()
				})
			})
			if !closed || !s.Closed() {
				t.Fatal("stream not closed")
			}
			var rhe tls.RecordHeaderError
			if tc.peer != "" && !errors.As(hsErr, &rhe) || tc.peer == "" && !errors.Is(hsErr, stream.ErrClosed) {
				t.Fatalf("handshake error %v (%T)", hsErr, hsErr)
			}
			deadline := time.Now().Add(testloop.Timeout)
			for handshakeGoroutines() > before {
				if time.Now().After(deadline) {
					t.Fatal("the handshake goroutine still runs")
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
}

// earlyAnswerServer accepts one connection on a fresh listener; once go is
// closed it reads min bytes, writes answer and closes with unread bytes
// pending, so that the kernel sends a reset. It reports on the returned
// channel when the close is done.
func earlyAnswerServer(t *testing.T, min int, answer string, start <-chan struct{}) (netip.AddrPort, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	done := make(chan error, 1)
	go func() {
		done <- func() error {
			ln.(*net.TCPListener).SetDeadline(time.Now().Add(testloop.Timeout))
			c, err := ln.Accept()
			if err != nil {
				return err
			}
			defer c.Close()
			select {
			case <-start:
			case <-time.After(testloop.Timeout):
				return errors.New("server: never told to answer")
			}
			c.SetDeadline(time.Now().Add(testloop.Timeout))
			if _, err := io.ReadFull(c, make([]byte, min)); err != nil {
				return err
			}
			if _, err := c.Write([]byte(answer)); err != nil {
				return err
			}
			return nil // the deferred close resets: the client sent more
		}()
	}()
	return ln.Addr().(*net.TCPAddr).AddrPort(), done
}

// waitReset blocks (on the loop: the stream must see everything in one
// go) until the server is done and its reset has reached fd.
func waitReset(t *testing.T, fd int, srv <-chan error) {
	select {
	case err := <-srv:
		if err != nil {
			t.Error(err)
			return
		}
	case <-time.After(testloop.Timeout):
		t.Error("server hangs")
		return
	}
	deadline := time.Now().Add(testloop.Timeout)
	for time.Now().Before(deadline) {
		p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(p, 100); err != nil && err != unix.EINTR {
			t.Error(err)
			return
		}
		if p[0].Revents&(unix.POLLERR|unix.POLLHUP) != 0 {
			return
		}
	}
	t.Error("no reset from the server")
}

const earlyAnswer = "HTTP/1.1 413 Content Too Large\r\nConnection: close\r\n\r\n"

// A server that answers early (a 413 to an upload) and closes with the
// upload unread resets the connection: the pending read still gets the
// answer that arrived before the reset, although the queued upload's write
// fails first (Tornado handles reads before writes; net/http returns the
// 413), and although reading is paused for the full write queue.
func TestEarlyAnswerBeforeResetReachesRead(t *testing.T) {
	start := make(chan struct{})
	addr, srv := earlyAnswerServer(t, 1024, earlyAnswer, start)
	l := newLoop(t)
	s := dialStream(t, l)
	var got string
	var readErr, closeErr error
	readDone := false
	testloop.Run(t, l, func(done func()) {
		s.SetCloseCallback(func(err error) {
			closeErr = err
			done()
		})
		err := s.Connect(addr, func(err error) {
			if err != nil {
				t.Error(err)
				return
			}
			s.ReadUntil([]byte("\r\n\r\n"), 0, func(data []byte, err error) {
				got, readErr, readDone = string(data), err, true
			})
			// More than the socket buffers take: most of it stays queued.
			if err := s.Write(make([]byte, 16<<20), nil); err != nil {
				t.Error(err)
			}
			if s.WriteBuffered() == 0 {
				t.Error("nothing queued")
			}
			// After the callback: reading is paused for the full write
			// queue (above WriteHighWater) by then.
			l.Post(func() {
				close(start)
				waitReset(t, s.FD(), srv)
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	if !readDone || got != earlyAnswer || readErr != nil {
		t.Fatalf("read got %q, %v (done %v); want the answer", got, readErr, readDone)
	}
	if closeErr == nil {
		t.Fatal("closed without a cause")
	}
}

// The same when the write that meets the reset is Write's own, made
// outside any stream callback.
func TestEarlyAnswerBeforeResetReachesReadOnWrite(t *testing.T) {
	start := make(chan struct{})
	addr, srv := earlyAnswerServer(t, 1, earlyAnswer, start)
	l := newLoop(t)
	s := dialStream(t, l)
	var got string
	var readErr, closeErr, writeErr error
	readDone := false
	testloop.Run(t, l, func(done func()) {
		s.SetCloseCallback(func(err error) {
			closeErr = err
			done()
		})
		err := s.Connect(addr, func(err error) {
			if err != nil {
				t.Error(err)
				return
			}
			s.ReadUntil([]byte("\r\n\r\n"), 0, func(data []byte, err error) {
				got, readErr, readDone = string(data), err, true
			})
			mustWrite(t, s, "head of a request the server will not read")
			l.Post(func() {
				// Not a stream callback, and the loop does not poll
				// while the server answers.
				close(start)
				waitReset(t, s.FD(), srv)
				if err := s.Write(make([]byte, 1<<20), func(err error) { writeErr = err }); err != nil {
					t.Error(err)
				}
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	if !readDone || got != earlyAnswer || readErr != nil {
		t.Fatalf("read got %q, %v (done %v); want the answer", got, readErr, readDone)
	}
	if closeErr == nil || writeErr == nil {
		t.Fatalf("close cause %v, write error %v", closeErr, writeErr)
	}
}
