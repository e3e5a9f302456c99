package httpserver

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// benchClient writes depth pipelined requests and reads depth responses,
// counting them by their fixed length: no allocation on the client side,
// so that -benchmem reports the server's.
func benchServer(b *testing.B, depth int) {
	_, addr := startB(b)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	req := []byte(strings.Repeat("GET /plaintext HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n", depth))
	// Learn one response's length.
	c.Write(req[:len(req)/depth])
	one := make([]byte, 4096)
	n, err := c.Read(one)
	if err != nil || !bytes.HasSuffix(one[:n], []byte("Hello, World!")) {
		b.Fatalf("first response %q %v", one[:n], err)
	}
	buf := make([]byte, n*depth)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += depth {
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if !bytes.HasSuffix(buf, []byte("Hello, World!")) {
		b.Fatalf("last response %q", buf[len(buf)-n:])
	}
}

func startB(b *testing.B) (*Server, string) {
	opts := &Options{ServerName: "gale"}
	opts.TCP.Loops = 1
	s := New(hello, opts)
	if err := s.Listen("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s, s.Addrs()[0].String()
}

func BenchmarkServerPlaintext(b *testing.B) { benchServer(b, 1) }

func BenchmarkServerPipelined16(b *testing.B) { benchServer(b, 16) }

// TestServerAllocs: a keep-alive GET costs the server no allocation in
// steady state (the client here allocates nothing either).
func TestServerAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates; make allocs runs this without it")
	}
	_, addr := start(t, hello, &Options{ServerName: "gale"})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	req := []byte("GET /plaintext HTTP/1.1\r\nHost: localhost\r\nUser-Agent: t\r\n\r\n")
	c.Write(req)
	one := make([]byte, 4096)
	n, err := c.Read(one)
	if err != nil {
		t.Fatal(err)
	}
	buf := one[:n]
	roundTrip := func() {
		c.Write(req)
		io.ReadFull(c, buf)
	}
	for range 100 {
		roundTrip()
	}
	if a := testing.AllocsPerRun(2000, roundTrip); a > 0.05 {
		t.Errorf("%.3f allocations per request", a)
	}
}
