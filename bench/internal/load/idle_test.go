package load

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Keep-alives are sent, spread over the period, and counted; the probe
// reports its latency; connections come from the source address.
func TestIdleKeepaliveProbeSource(t *testing.T) {
	var (
		mu      sync.Mutex
		sources = map[string]int{}
	)
	addr := testServer(t, func(c net.Conn) {
		host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
		mu.Lock()
		sources[host]++
		mu.Unlock()
		io.Copy(c, c)
	})
	const n = 100
	res, err := RunIdle(context.Background(), IdleConfig{
		Addr: addr, Conns: n, Size: 64, Settle: 10 * time.Millisecond, Hold: 600 * time.Millisecond,
		Keepalive: 200 * time.Millisecond, ProbeEvery: 5 * time.Millisecond, Source: "127.0.0.3",
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 || res.KeepaliveFailures != 0 {
		t.Fatalf("errors in %+v", res)
	}
	// About 3 rounds of n in 610 ms; at least 2 whole rounds.
	if res.KeepaliveSent < 2*n || res.KeepaliveSent > 5*n {
		t.Errorf("keepalive_sent %d, want about %d", res.KeepaliveSent, 3*n)
	}
	p := res.ProbeResult
	if p == nil || p.Requests < 20 || p.P50 <= 0 || p.P99 < p.P50 || p.Max < p.P99 || p.Every != 5000 {
		t.Errorf("probe result %+v", p)
	}
	mu.Lock()
	defer mu.Unlock()
	if sources["127.0.0.3"] != n+1 || len(sources) != 1 {
		t.Errorf("connections came from %v, want %d from 127.0.0.3", sources, n+1)
	}
}

// A server that stops echoing during the hold fails the keep-alives, and
// they are counted.
func TestIdleKeepaliveFailuresCounted(t *testing.T) {
	addr := testServer(t, func(c net.Conn) {
		buf := make([]byte, 64)
		if _, err := io.ReadFull(c, buf); err != nil {
			return
		}
		c.Write(buf) // the first echo only
		io.Copy(io.Discard, c)
	})
	res, err := RunIdle(context.Background(), IdleConfig{
		Addr: addr, Conns: 10, Size: 64, Hold: 300 * time.Millisecond, Keepalive: 100 * time.Millisecond,
		Timeout: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.KeepaliveFailures != 10 || res.Errors != 10 || !strings.Contains(res.Error, "keep-alive") {
		t.Fatalf("keepalive_failures %d, errors %d (%q), want 10 each", res.KeepaliveFailures, res.Errors, res.Error)
	}
}

// Synchronised by the caller: Connected, then the hold between the two
// channels.
func TestIdleSync(t *testing.T) {
	addr := testServer(t, func(c net.Conn) { io.Copy(c, c) })
	hold, release := make(chan struct{}), make(chan struct{})
	connected := make(chan struct{})
	go func() {
		<-connected
		close(hold)
		time.Sleep(100 * time.Millisecond)
		close(release)
	}()
	res, err := RunIdle(context.Background(), IdleConfig{
		Addr: addr, Conns: 20, Size: 64, ProbeEvery: 5 * time.Millisecond, Keepalive: 50 * time.Millisecond,
		Sync: &IdleSync{Connected: func() { close(connected) }, Hold: hold, Release: release},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 || res.HoldSeconds < 0.09 || res.ProbeResult == nil || res.ProbeResult.Requests < 5 || res.KeepaliveSent < 20 {
		t.Fatalf("result %+v, probe %+v", res, res.ProbeResult)
	}
}

func TestNewDialerRejectsBadSource(t *testing.T) {
	if _, err := newDialer("localhost"); err == nil {
		t.Fatal("a host name was accepted as a source address")
	}
}
