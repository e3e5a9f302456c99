package stream_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/netutil"
	"github.com/gale-io/gale/stream"
)

var (
	certOnce sync.Once
	cert     *netutil.SelfSigned
)

// startTLSPair starts a TLS handshake between cli (client, for
// "localhost") and srv (server) with ss, failing the test if either side's
// fails; then, once the client's is done, runs then (if not nil).
func startTLSPair(t testing.TB, ss *netutil.SelfSigned, cli, srv *stream.Stream, then func()) {
	srv.StartTLS(ss.Server, true, func(err error) {
		if err != nil {
			t.Fatalf("server handshake: %v", err)
		}
	})
	cli.StartTLS(ss.Client("localhost"), false, func(err error) {
		if err != nil {
			t.Fatalf("client handshake: %v", err)
		}
		if then != nil {
			then()
		}
	})
}

func selfSigned(t testing.TB) *netutil.SelfSigned {
	certOnce.Do(func() {
		var err error
		if cert, err = netutil.SelfSignedTLS(); err != nil {
			t.Fatal(err)
		}
	})
	return cert
}

// Both ends are gale streams: handshake with SNI and ALPN, then 4 MiB each
// way, written before the handshake finished.
func TestTLSBetweenStreams(t *testing.T) {
	ss := selfSigned(t)
	l := newLoop(t)
	// Both ends write 4 MiB ahead of their reads: past the default 1 MiB
	// high-water mark both would stop reading (the deadlock hazard the
	// watermarks document), so the marks are off here.
	cli, srv := pair(t, l, &stream.Options{WriteHighWater: -1})
	serverCfg := ss.Server.Clone()
	serverCfg.NextProtos = []string{"gale/1", "http/1.1"}
	var sni string
	serverCfg.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		sni = h.ServerName
		return nil, nil
	}
	clientCfg := ss.Client("localhost")
	clientCfg.NextProtos = []string{"gale/1"}
	payload := bytes.Repeat([]byte("0123456789abcdef"), 256<<10) // 4 MiB
	var atServer, atClient []byte
	var state tls.ConnectionState
	testloop.Run(t, l, func(done func()) {
		finished := 0
		finish := func() {
			if finished++; finished == 2 {
				done()
			}
		}
		if err := srv.StartTLS(serverCfg, true, func(err error) {
			if err != nil {
				t.Fatalf("server handshake: %v", err)
			}
		}); err != nil {
			t.Fatal(err)
		}
		if err := cli.StartTLS(clientCfg, false, func(err error) {
			if err != nil {
				t.Fatalf("client handshake: %v", err)
			}
			state, _ = cli.TLSState()
		}); err != nil {
			t.Fatal(err)
		}
		// Written during the handshake: sent once it is done.
		cli.Write(payload, nil)
		srv.Write(payload, nil)
		srv.ReadBytes(len(payload), false, func(data []byte, err error) {
			if err != nil {
				t.Fatal(err)
			}
			atServer = append([]byte(nil), data...)
			finish()
		})
		cli.ReadBytes(len(payload), false, func(data []byte, err error) {
			if err != nil {
				t.Fatal(err)
			}
			atClient = append([]byte(nil), data...)
			finish()
		})
	})
	if !bytes.Equal(atServer, payload) || !bytes.Equal(atClient, payload) {
		t.Fatalf("payload corrupted through TLS")
	}
	if sni != "localhost" || state.NegotiatedProtocol != "gale/1" || !state.HandshakeComplete {
		t.Fatalf("SNI %q, ALPN %q, complete %v", sni, state.NegotiatedProtocol, state.HandshakeComplete)
	}
}

// A gale client against Go's own crypto/tls server, over real TCP; and
// certificate verification is on by default.
func TestTLSClientAgainstCryptoTLS(t *testing.T) {
	ss := selfSigned(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", ss.Server)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				io.Copy(c, c) // echo until the client closes
			}()
		}
	}()
	defer wg.Wait()
	defer ln.Close()
	addr := ln.Addr().(*net.TCPAddr).AddrPort()

	for _, tc := range []struct {
		name    string
		cfg     *tls.Config
		wantErr bool
	}{
		{"Verified", ss.Client("127.0.0.1"), false},
		{"UnknownAuthorityRejected", &tls.Config{ServerName: "127.0.0.1"}, true},
		{"WrongNameRejected", ss.Client("example.com"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLoop(t)
			s := dialStream(t, l)
			var got string
			var hsErr error
			testloop.Run(t, l, func(done func()) {
				s.Connect(addr, func(err error) {
					if err != nil {
						t.Fatal(err)
					}
					s.StartTLS(tc.cfg, false, func(err error) {
						hsErr = err
						if err != nil {
							done()
							return
						}
						s.Write([]byte("hello over tls\n"), nil)
						s.ReadUntil([]byte("\n"), 100, func(data []byte, err error) {
							got = string(data)
							done()
						})
					})
				})
			})
			if tc.wantErr {
				var verr *tls.CertificateVerificationError
				if hsErr == nil || !errors.As(hsErr, &verr) && !errors.As(hsErr, new(x509.HostnameError)) && !errors.As(hsErr, new(x509.UnknownAuthorityError)) {
					t.Fatalf("handshake error %v, want a certificate verification error", hsErr)
				}
				if !s.Closed() {
					t.Fatal("stream open after a failed handshake")
				}
				return
			}
			if hsErr != nil || got != "hello over tls\n" {
				t.Fatalf("handshake %v, echo %q", hsErr, got)
			}
		})
	}
}

func TestStartTLSNeedsIdleStream(t *testing.T) {
	l := newLoop(t)
	s, _ := pair(t, l, nil)
	s.ReadBytes(1, false, func([]byte, error) {})
	if err := s.StartTLS(selfSigned(t).Server, true, func(error) {}); !errors.Is(err, stream.ErrNotIdle) {
		t.Fatalf("StartTLS with a read pending: %v", err)
	}
}

// The peer closes in the middle of the handshake: the callback gets the
// error, the stream closes, the handshake goroutine ends (leakcheck).
func TestTLSHandshakeInterrupted(t *testing.T) {
	l := newLoop(t)
	srv, cli := pair(t, l, nil)
	var hsErr error
	testloop.Run(t, l, func(done func()) {
		srv.StartTLS(selfSigned(t).Server, true, func(err error) { hsErr = err; done() })
		cli.Write([]byte("\x16\x03\x01\x00\x05hello"), nil) // a bogus record start
		cli.Close()
	})
	if hsErr == nil || !srv.Closed() {
		t.Fatalf("handshake error %v, closed %v", hsErr, srv.Closed())
	}
}

// Writes made during the handshake are held, and count as queued: against
// MaxWriteBufferSize (a write past the cap is refused with ErrBufferFull)
// and in WriteBuffered; once the handshake is done, every accepted byte is
// sent.
func TestTLSWritesDuringHandshakeCountAgainstCap(t *testing.T) {
	ss := selfSigned(t)
	l := newLoop(t)
	cli, srv := pair(t, l, &stream.Options{MaxWriteBufferSize: 1000})
	var got []byte
	testloop.Run(t, l, func(done func()) {
		startTLSPair(t, ss, cli, srv, nil)
		if err := cli.Write(bytes.Repeat([]byte("a"), 600), nil); err != nil {
			t.Fatalf("first write: %v", err)
		}
		if n := cli.WriteBuffered(); n < 600 {
			t.Errorf("WriteBuffered = %d during the handshake, want the 600 held bytes counted", n)
		}
		if err := cli.Write(bytes.Repeat([]byte("b"), 600), nil); !errors.Is(err, stream.ErrBufferFull) {
			t.Errorf("a held write past the cap: %v, want ErrBufferFull", err)
		}
		srv.ReadBytes(600, false, func(data []byte, err error) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, data...)
			done()
		})
	})
	if string(got) != strings.Repeat("a", 600) {
		t.Fatalf("server read %q", got)
	}
}

// Bytes reach the peer in the order they were written: what was written
// during the handshake goes before what the handshake's callback writes.
func TestTLSHeldWritesGoBeforeHandshakeCallbackWrites(t *testing.T) {
	ss := selfSigned(t)
	l := newLoop(t)
	cli, srv := pair(t, l, nil)
	var got string
	testloop.Run(t, l, func(done func()) {
		startTLSPair(t, ss, cli, srv, func() {
			mustWrite(t, cli, "second")
		})
		mustWrite(t, cli, "first,")
		srv.ReadBytes(len("first,second"), false, func(data []byte, err error) {
			if err != nil {
				t.Fatal(err)
			}
			got = string(data)
			done()
		})
	})
	if got != "first,second" {
		t.Fatalf("server read %q, want %q", got, "first,second")
	}
}

// CloseWrite during the handshake ends the output once the handshake and
// the writes held during it are sent (with a close_notify): the handshake
// completes and the peer reads everything, then the end.
func TestTLSCloseWriteDuringHandshake(t *testing.T) {
	ss := selfSigned(t)
	l := newLoop(t)
	cli, srv := pair(t, l, &stream.Options{AllowHalfOpen: true})
	var got string
	var hsErr error
	testloop.Run(t, l, func(done func()) {
		srv.StartTLS(ss.Server, true, func(err error) {
			if err != nil {
				t.Errorf("server handshake: %v", err)
			}
		})
		cli.StartTLS(ss.Client("localhost"), false, func(err error) { hsErr = err })
		mustWrite(t, cli, "hello")
		if err := cli.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		srv.ReadUntilClose(func(data []byte, err error) {
			got = string(data)
			done()
		})
	})
	if hsErr != nil || got != "hello" {
		t.Fatalf("client handshake %v; server read %q, want %q", hsErr, got, "hello")
	}
}

// A TLS Write whose record the kernel refuses (the peer is gone: EPIPE)
// closes the stream; its callback must get a *ClosedError, not nil as if
// the bytes had reached the kernel.
func TestTLSWriteFailingCallbackGetsClosedError(t *testing.T) {
	if runtime.GOOS == "windows" {
		// The test needs a write that fails at once, as on the AF_UNIX
		// pair elsewhere (EPIPE); the Windows pair is TCP, where the first
		// write after the peer's close is accepted (the peer answers RST).
		t.Skip("needs a socket pair whose write fails at once after the peer's close (AF_UNIX); the Windows pair is TCP")
	}
	ss := selfSigned(t)
	l := newLoop(t)
	cli, srv := pair(t, l, nil)
	var wErr error
	called := false
	testloop.Run(t, l, func(done func()) {
		// Both handshakes done first: the client's ends before the
		// server's, which a Close then would fail.
		left := 2
		both := func(side string) func(error) {
			return func(err error) {
				if err != nil {
					t.Fatalf("%s handshake: %v", side, err)
				}
				if left--; left > 0 {
					return
				}
				srv.Close() // the socket pair's other end: the next write fails
				if err := cli.Write([]byte("hello"), func(err error) { called, wErr = true, err; done() }); err != nil {
					t.Fatalf("Write: %v", err)
				}
			}
		}
		srv.StartTLS(ss.Server, true, both("server"))
		cli.StartTLS(ss.Client("localhost"), false, both("client"))
	})
	if !cli.Closed() {
		t.Fatal("the stream is open after its write failed")
	}
	if !called || !errors.Is(wErr, stream.ErrClosed) {
		t.Fatalf("write callback called %v with %v, want a *ClosedError", called, wErr)
	}
}

// Close during a TLS handshake with a Write held: the write's callback is
// told before the close callback runs, as for any write pending at close.
func TestTLSHeldWriteCallbackBeforeCloseCallback(t *testing.T) {
	ss := selfSigned(t)
	l := newLoop(t)
	cli, _ := pair(t, l, nil)
	var order []string
	testloop.Run(t, l, func(done func()) {
		cli.StartTLS(ss.Client("localhost"), false, func(err error) {
			order = append(order, "handshake")
			if len(order) == 3 {
				done()
			}
		})
		cli.Write([]byte("hello"), func(err error) {
			if !errors.Is(err, stream.ErrClosed) {
				t.Errorf("write callback: %v, want a *ClosedError", err)
			}
			order = append(order, "write")
			if len(order) == 3 {
				done()
			}
		})
		cli.SetCloseCallback(func(error) {
			order = append(order, "close")
			if len(order) == 3 {
				done()
			}
		})
		cli.Close()
	})
	if strings.Index(strings.Join(order, " "), "write") > strings.Index(strings.Join(order, " "), "close") {
		t.Fatalf("callbacks ran in the order %v; the write's must come before the close callback", order)
	}
}

// serverWrites records what a server's net.Conn writes.
type serverWrites struct {
	net.Conn
	mu  sync.Mutex
	out []byte
}

func (c *serverWrites) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.out = append(c.out, p...)
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// tls12PRF is TLS 1.2's PRF with SHA-256 (RFC 5246 section 5).
func tls12PRF(secret []byte, label string, seed []byte, n int) []byte {
	seed = append([]byte(label), seed...)
	mac := func(b ...[]byte) []byte {
		h := hmac.New(sha256.New, secret)
		for _, x := range b {
			h.Write(x)
		}
		return h.Sum(nil)
	}
	var out []byte
	for a := mac(seed); len(out) < n; a = mac(a) {
		out = append(out, mac(a, seed)...)
	}
	return out[:n]
}

// A TLS 1.2 server asks for renegotiation (a HelloRequest). The stream
// cannot run a handshake from inside a read on the loop, whatever the
// Config's Renegotiation allows: the peer must be refused and the stream
// closed with the error, not left with crypto/tls's would-block error
// stuck as its handshake error (every read then "would block" forever
// while the socket polls readable).
func TestTLSRenegotiationRequestRefused(t *testing.T) {
	ss := selfSigned(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer ln.Close()
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		rec := &serverWrites{Conn: c}
		var keyLog bytes.Buffer
		cfg := ss.Server.Clone()
		cfg.MaxVersion = tls.VersionTLS12
		cfg.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}
		cfg.KeyLogWriter = &keyLog
		sc := tls.Server(rec, cfg)
		if err := sc.Handshake(); err != nil {
			t.Errorf("server handshake: %v", err)
			return
		}
		// The keys of the server's direction: CLIENT_RANDOM <cr> <master>,
		// and the server random from the ServerHello (record header 5,
		// handshake header 4, version 2).
		f := strings.Fields(keyLog.String())
		cr, _ := hex.DecodeString(f[1])
		master, _ := hex.DecodeString(f[2])
		rec.mu.Lock()
		sr := append([]byte(nil), rec.out[11:43]...)
		rec.mu.Unlock()
		kb := tls12PRF(master, "key expansion", append(sr, cr...), 40)
		block, _ := aes.NewCipher(kb[16:32])
		aead, _ := cipher.NewGCM(block)
		// A HelloRequest, the server's second record of the epoch (its
		// Finished was the first).
		seq := []byte{0, 0, 0, 0, 0, 0, 0, 1}
		msg := []byte{0, 0, 0, 0}
		ad := append(append([]byte(nil), seq...), 22, 3, 3, 0, byte(len(msg)))
		sealed := aead.Seal(nil, append(append([]byte(nil), kb[36:40]...), seq...), msg, ad)
		record := append([]byte{22, 3, 3, 0, byte(8 + len(sealed))}, seq...)
		c.Write(append(record, sealed...))
		io.Copy(io.Discard, c)
	}()

	l := newLoop(t)
	s := dialStream(t, l)
	cfg := ss.Client("127.0.0.1")
	cfg.Renegotiation = tls.RenegotiateOnceAsClient
	var readErr error
	timedOut := false
	testloop.Run(t, l, func(done func()) {
		watchdog := l.CallLater(3*time.Second, func() { timedOut = true; s.Close() })
		s.Connect(ln.Addr().(*net.TCPAddr).AddrPort(), func(err error) {
			if err != nil {
				t.Fatal(err)
			}
			s.StartTLS(cfg, false, func(err error) {
				if err != nil {
					t.Fatalf("handshake: %v", err)
				}
				s.ReadBytes(1, false, func(_ []byte, err error) {
					readErr = err
					watchdog.Cancel()
					done()
				})
			})
		})
	})
	if timedOut {
		t.Fatal("the read neither completed nor failed after the peer's renegotiation request")
	}
	if !errors.Is(readErr, stream.ErrClosed) || !s.Closed() {
		t.Fatalf("read: %v, closed %v; want the stream closed", readErr, s.Closed())
	}
}

// clientReads records what a client's net.Conn reads.
type clientReads struct {
	net.Conn
	mu sync.Mutex
	in []byte
}

func (c *clientReads) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.in = append(c.in, p[:n]...)
	c.mu.Unlock()
	return n, err
}

// recordTypes lists the content types of the TLS records in raw.
func recordTypes(raw []byte) []byte {
	var types []byte
	for len(raw) >= 5 {
		n := 5 + (int(raw[3])<<8 | int(raw[4]))
		types = append(types, raw[0])
		if n > len(raw) {
			break
		}
		raw = raw[n:]
	}
	return types
}

// Close on an established TLS stream ends the session with a close_notify
// alert (RFC 8446 section 6.1: each party MUST send one before closing
// its write side), as crypto/tls's Conn.Close does: a peer that tells a
// truncation from a proper end (OpenSSL 3 reports "unexpected eof") sees
// the end. Over TLS 1.2, where the alert's record type is in the clear.
func TestTLSCloseSendsCloseNotify(t *testing.T) {
	ss := selfSigned(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type result struct {
		data  string
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
		data, err := io.ReadAll(tls.Client(rec, cfg))
		rec.mu.Lock()
		defer rec.mu.Unlock()
		res <- result{data: string(data), err: err, types: recordTypes(rec.in)}
	}()
	l := newLoop(t)
	s := dialStream(t, l)
	testloop.Run(t, l, func(done func()) {
		s.Connect(ln.Addr().(*net.TCPAddr).AddrPort(), func(err error) {
			if err != nil {
				t.Fatal(err)
			}
			s.StartTLS(ss.Server, true, func(err error) {
				if err != nil {
					t.Fatalf("handshake: %v", err)
				}
				s.Write([]byte("bye"), func(error) {
					s.Close()
					done()
				})
			})
		})
	})
	r := <-res
	if r.err != nil || r.data != "bye" {
		t.Fatalf("client read %q, %v", r.data, r.err)
	}
	if !bytes.Contains(r.types, []byte{21}) { // alert
		t.Fatalf("records received %v: no close_notify alert (21) before the end", r.types)
	}
}

// cutConn writes, once cut, only the first half of what it is given and
// then closes: a TLS record cut short.
type cutConn struct {
	net.Conn
	cut bool
}

func (c *cutConn) Write(p []byte) (int, error) {
	if c.cut {
		c.Conn.Write(p[:len(p)/2])
		c.Conn.Close()
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// tlsPeerEnds runs a gale TLS client against a crypto/tls server that
// sends "hello", reads the client's "!", then ends the connection with
// end; it returns the error that ended the client's ReadStream, and the
// stream's Err.
func tlsPeerEnds(t *testing.T, end func(c *net.TCPConn, cc *cutConn, sc *tls.Conn)) (final, cause error) {
	ss := selfSigned(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := make(chan struct{})
	defer func() { <-served }()
	go func() {
		defer close(served)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(testloop.Timeout))
		cc := &cutConn{Conn: c}
		sc := tls.Server(cc, ss.Server)
		if sc.Handshake() != nil {
			return
		}
		sc.Write([]byte("hello"))
		// Once the client has read it (and so is past the handshake and
		// its session tickets), end.
		var one [1]byte
		sc.Read(one[:])
		end(c.(*net.TCPConn), cc, sc)
	}()
	l := newLoop(t)
	s := dialStream(t, l)
	testloop.Run(t, l, func(done func()) {
		s.Connect(ln.Addr().(*net.TCPAddr).AddrPort(), func(err error) {
			if err != nil {
				t.Fatal(err)
			}
			s.StartTLS(ss.Client("127.0.0.1"), false, func(err error) {
				if err != nil {
					t.Fatalf("handshake: %v", err)
				}
				s.ReadBytes(5, false, func(_ []byte, err error) {
					if err != nil {
						t.Fatal(err)
					}
					mustWrite(t, s, "!")
					s.ReadStream(func(_ []byte, err error) {
						if err != nil {
							final = err
							done()
						}
					})
				})
			})
		})
	})
	return final, s.Err()
}

// cutRecord makes the server send half of a record, then close.
func cutRecord(_ *net.TCPConn, cc *cutConn, sc *tls.Conn) {
	cc.cut = true
	sc.Write([]byte("world"))
}

// A socket error under TLS (the peer resets the connection) is the cause
// of the close as it is without TLS: the *os.SyscallError of the read,
// once, not wrapped in another one ("read: read: connection reset by
// peer"); and an error of the TLS layer itself (a record cut short by the
// peer's close) is not dressed up as a system call's.
func TestTLSReadErrorsWrappedOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(c *net.TCPConn, cc *cutConn, sc *tls.Conn)
		want error
	}{
		{"Reset", func(c *net.TCPConn, _ *cutConn, _ *tls.Conn) {
			c.SetLinger(0) // close sends RST
			c.Close()
		}, syscall.ECONNRESET},
		{"RecordCutShort", cutRecord, io.ErrUnexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if runtime.GOOS == "windows" && tc.want == syscall.ECONNRESET {
				t.Skip("the errno is windows.WSAECONNRESET there")
			}
			final, cause := tlsPeerEnds(t, tc.end)
			if !errors.Is(final, stream.ErrClosed) || !errors.Is(cause, tc.want) {
				t.Fatalf("read: %v; cause %v, want %v", final, cause, tc.want)
			}
			var se *os.SyscallError
			switch {
			case tc.want == io.ErrUnexpectedEOF && errors.As(cause, &se):
				t.Fatalf("cause %q (%T) is a TLS error dressed as a system call's", cause, cause)
			case tc.want != io.ErrUnexpectedEOF && (!errors.As(cause, &se) || errors.As(se.Err, new(*os.SyscallError))):
				t.Fatalf("cause %q: want one *os.SyscallError around the errno", cause)
			}
		})
	}
}

// captureLogs sends slog's default logger (and the log package's) to a
// buffer until the test ends.
func captureLogs(t *testing.T) *testloop.LogBuffer {
	var buf testloop.LogBuffer
	old, w, flags := slog.Default(), log.Writer(), log.Flags()
	slog.SetDefault(buf.Logger())
	t.Cleanup(func() {
		slog.SetDefault(old)
		log.SetOutput(w)
		log.SetFlags(flags)
	})
	return &buf
}

// A peer that closes in the middle of a TLS record (a client gone in the
// middle of a transfer) closes the stream with io.ErrUnexpectedEOF
// quietly, as a reset does: Tornado counts SSL_ERROR_EOF among the quiet
// ends of a connection, and a peer should not be able to fill the log
// with warnings by hanging up.
func TestTLSRecordCutShortIsQuiet(t *testing.T) {
	logs := captureLogs(t)
	if _, cause := tlsPeerEnds(t, cutRecord); !errors.Is(cause, io.ErrUnexpectedEOF) {
		t.Fatalf("cause %v, want io.ErrUnexpectedEOF", cause)
	}
	if strings.Contains(logs.String(), "level=WARN") {
		t.Fatalf("logged a warning for a peer's ragged close:\n%s", logs)
	}
}

// handshakeGoroutines counts the goroutines running a TLS handshake.
func handshakeGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return bytes.Count(buf, []byte("stream.(*tlsState).handshake("))
}

// A loop closed while a TLS handshake waits for the peer (a program
// shutting down; tcpclient.Connect documents that closing the loop
// abandons a connect, its handshake included) ends the handshake's
// goroutine: nothing can feed it any more, and it must not wait forever
// holding the stream.
func TestTLSHandshakeGoroutineEndsWithLoop(t *testing.T) {
	ss := selfSigned(t)
	l := newLoop(t)
	cli, peer := pair(t, l, nil)
	before := handshakeGoroutines()
	testloop.Run(t, l, func(done func()) {
		cli.StartTLS(ss.Client("localhost"), false, func(error) {})
		// The peer never answers: once the ClientHello is out, the
		// handshake waits for the loop to feed it.
		peer.ReadBytes(1, false, func(_ []byte, err error) {
			if err != nil {
				t.Fatal(err)
			}
			done()
		})
	})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(testloop.Timeout)
	for handshakeGoroutines() > before {
		if time.Now().After(deadline) {
			t.Fatal("the handshake goroutine still waits after its loop closed")
		}
		time.Sleep(time.Millisecond)
	}
}

// The same during the handshake: a peer that hangs up in the middle of its
// ClientHello fails the handshake with io.ErrUnexpectedEOF, quietly.
func TestTLSHandshakeCutShortIsQuiet(t *testing.T) {
	logs := captureLogs(t)
	l := newLoop(t)
	srv, cli := pair(t, l, nil)
	var hsErr error
	testloop.Run(t, l, func(done func()) {
		srv.StartTLS(selfSigned(t).Server, true, func(err error) { hsErr = err; done() })
		cli.Write([]byte("\x16\x03\x01\x00\x40hello"), nil) // 5 of 64 bytes
		cli.Close()
	})
	if !errors.Is(hsErr, io.ErrUnexpectedEOF) || !srv.Closed() {
		t.Fatalf("handshake error %v, closed %v; want io.ErrUnexpectedEOF and closed", hsErr, srv.Closed())
	}
	if strings.Contains(logs.String(), "level=WARN") {
		t.Fatalf("logged a warning for a peer's ragged close:\n%s", logs)
	}
}

// Closing a stream whose TLS handshake is still running tells the
// StartTLS callback (a *ClosedError) before the close callback, as Tornado
// fails the handshake future before it schedules the close callback, and
// without waiting for the handshake goroutine (here held in
// GetCertificate until the close callback runs).
func TestTLSCloseDuringHandshakeTellsHandshakeBeforeCloseCallback(t *testing.T) {
	ss := selfSigned(t)
	l := newLoop(t)
	cli, srv := pair(t, l, nil)
	release := make(chan struct{})
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	cfg := ss.Server.Clone()
	entered := make(chan struct{}, 1)
	cfg.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		entered <- struct{}{}
		<-release
		return &ss.Server.Certificates[0], nil
	}
	cfg.Certificates = nil
	var order []string
	var hsErr error
	testloop.Run(t, l, func(done func()) {
		record := func(what string) {
			if order = append(order, what); len(order) == 2 {
				done()
			}
		}
		srv.SetCloseCallback(func(error) {
			record("close")
			unblock()
		})
		if err := srv.StartTLS(cfg, true, func(err error) {
			hsErr = err
			record("handshake")
		}); err != nil {
			t.Fatal(err)
		}
		cli.StartTLS(ss.Client("localhost"), false, func(error) {})
		go func() {
			select {
			case <-entered:
				l.Post(srv.Close)
			case <-release:
			}
		}()
	})
	if strings.Join(order, " ") != "handshake close" {
		t.Fatalf("callbacks ran in the order %v; the StartTLS callback must come before the close callback", order)
	}
	if !errors.Is(hsErr, stream.ErrClosed) {
		t.Fatalf("handshake callback: %v, want a *ClosedError", hsErr)
	}
}

// StartTLS with a nil callback (the caller only reads and writes, which
// wait for the handshake): the handshake's end must not panic and close
// the stream.
func TestStartTLSNilCallback(t *testing.T) {
	ss := selfSigned(t)
	l := newLoop(t)
	cli, srv := pair(t, l, nil)
	var got string
	var gotErr error
	testloop.Run(t, l, func(done func()) {
		if err := srv.StartTLS(ss.Server, true, nil); err != nil {
			t.Fatal(err)
		}
		if err := cli.StartTLS(ss.Client("localhost"), false, nil); err != nil {
			t.Fatal(err)
		}
		mustWrite(t, cli, "hello")
		srv.ReadBytes(5, false, func(data []byte, err error) {
			got, gotErr = string(data), err
			done()
		})
	})
	if got != "hello" || gotErr != nil {
		t.Fatalf("read %q, %v; want \"hello\"", got, gotErr)
	}
}
