package netutil_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/netutil"
)

type result struct {
	addrs []netip.AddrPort
	err   error
}

// resolve runs one Resolve on a fresh loop and returns its answer,
// checking that the callback runs on the loop, after Resolve returned.
func resolve(t *testing.T, r netutil.Resolver, ctx context.Context, host string, port int, network string) result {
	t.Helper()
	l := newLoop(t)
	return resolveOn(t, l, r, ctx, host, port, network)
}

func resolveOn(t *testing.T, l *loop.Loop, r netutil.Resolver, ctx context.Context, host string, port int, network string) result {
	t.Helper()
	var res result
	calls := 0
	_, err := loop.RunSync(l, wait, func(done func(struct{}, error)) {
		returned := false
		r.Resolve(ctx, l, host, port, network, func(addrs []netip.AddrPort, err error) {
			calls++
			if !returned {
				t.Errorf("Resolve(%q) called back before returning", host)
			}
			res = result{addrs, err}
			l.CallLater(0, func() { done(struct{}{}, nil) }) // a second call would be seen
		})
		returned = true
	})
	if err != nil {
		t.Fatalf("Resolve(%q): %v", host, err)
	}
	if calls != 1 {
		t.Fatalf("Resolve(%q) called back %d times", host, calls)
	}
	return res
}

func aps(s ...string) []netip.AddrPort {
	var out []netip.AddrPort
	for _, x := range s {
		out = append(out, netip.MustParseAddrPort(x))
	}
	return out
}

// IP literals are answered without a goroutine: the loop's only blocking
// slot is taken, and the answer still comes.
func TestResolveLiteral(t *testing.T) {
	l, err := loop.New(&loop.Options{MaxBlocking: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	release := make(chan struct{})
	defer close(release)
	loop.Offload(l, func() (int, error) { <-release; return 0, nil }, func(int, error) {})
	ctx := context.Background()
	for _, c := range []struct {
		host    string
		network string
		want    []netip.AddrPort
	}{
		{"127.0.0.1", "tcp", aps("127.0.0.1:80")},
		{"127.0.0.1", "tcp4", aps("127.0.0.1:80")},
		{"::1", "", aps("[::1]:80")},
		{"[::1]", "tcp6", aps("[::1]:80")},
		{"::ffff:10.0.0.1", "tcp4", aps("10.0.0.1:80")},
	} {
		res := resolveOn(t, l, netutil.NetResolver{}, ctx, c.host, 80, c.network)
		if res.err != nil || !slices.Equal(res.addrs, c.want) {
			t.Errorf("%q %s: %v, %v; want %v", c.host, c.network, res.addrs, res.err, c.want)
		}
	}
	// A literal of the wrong family is not a suitable address.
	res := resolveOn(t, l, netutil.NetResolver{}, ctx, "127.0.0.1", 80, "tcp6")
	var dnsErr *net.DNSError
	if !errors.As(res.err, &dnsErr) || !dnsErr.IsNotFound {
		t.Errorf("IPv4 literal for tcp6: %v, %v", res.addrs, res.err)
	}
}

// localhost goes through Go's resolver on another goroutine (it reads
// /etc/hosts) and gives loopback addresses.
func TestResolveLocalhost(t *testing.T) {
	res := resolve(t, netutil.NetResolver{}, context.Background(), "localhost", 8080, "tcp")
	if res.err != nil || len(res.addrs) == 0 {
		t.Fatalf("localhost: %v, %v", res.addrs, res.err)
	}
	for _, ap := range res.addrs {
		if !ap.Addr().IsLoopback() || ap.Port() != 8080 || ap.Addr().Is4In6() {
			t.Errorf("localhost resolved to %v", ap)
		}
	}
	res = resolve(t, netutil.NetResolver{}, context.Background(), "localhost", 1, "tcp4")
	if res.err != nil || len(res.addrs) == 0 || !res.addrs[0].Addr().Is4() {
		t.Fatalf("localhost tcp4: %v, %v", res.addrs, res.err)
	}
}

func TestResolveBadArguments(t *testing.T) {
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, c := range []struct {
		ctx     context.Context
		host    string
		port    int
		network string
		want    func(error) bool
	}{
		{ctx, "127.0.0.1", 80, "unix", func(err error) bool { var e net.UnknownNetworkError; return errors.As(err, &e) }},
		{ctx, "127.0.0.1", 70000, "tcp", func(err error) bool { var e *net.AddrError; return errors.As(err, &e) }},
		{ctx, "", 80, "tcp", func(err error) bool { var e *net.DNSError; return errors.As(err, &e) }},
		{cancelled, "localhost", 80, "tcp", func(err error) bool { return errors.Is(err, context.Canceled) }},
	} {
		for _, r := range []netutil.Resolver{netutil.NetResolver{}, &netutil.OverrideResolver{}} {
			res := resolve(t, r, c.ctx, c.host, c.port, c.network)
			if !c.want(res.err) || res.addrs != nil {
				t.Errorf("%T(%q, %d, %q): %v, %v", r, c.host, c.port, c.network, res.addrs, res.err)
			}
		}
	}
}

// NetResolver.Timeout ends a lookup that hangs; the DNS server here never
// answers.
func TestResolveTimeout(t *testing.T) {
	hang := &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		},
	}
	r := netutil.NetResolver{Resolver: hang, Timeout: 50 * time.Millisecond}
	t0 := time.Now()
	res := resolve(t, r, context.Background(), "gale.invalid", 80, "tcp")
	if res.err == nil || time.Since(t0) > wait/2 {
		t.Fatalf("hanging lookup: %v, %v after %v", res.addrs, res.err, time.Since(t0))
	}
	var dnsErr *net.DNSError
	if !errors.As(res.err, &dnsErr) || !dnsErr.IsTimeout {
		t.Errorf("error %v, want a DNS timeout", res.err)
	}
}

func TestOverrideResolver(t *testing.T) {
	var fellBack []string
	fallback := netutil.ResolverFunc(func(ctx context.Context, l *loop.Loop, host string, port int, network string, cb func([]netip.AddrPort, error)) {
		fellBack = append(fellBack, host)
		l.Post(func() { cb(nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}) })
	})
	r := &netutil.OverrideResolver{
		Hosts: map[string][]netip.AddrPort{
			"example.com":     aps("192.0.2.1:0", "[2001:db8::1]:0", "192.0.2.1:0", "[::ffff:192.0.2.2]:0"),
			"example.com:443": aps("127.0.0.1:8443"),
			"v6.example":      aps("[2001:db8::2]:0"),
		},
		Fallback: fallback,
	}
	ctx := context.Background()
	for _, c := range []struct {
		host    string
		port    int
		network string
		want    []netip.AddrPort
	}{
		// Order kept, duplicates dropped, IPv4-mapped addresses unmapped.
		{"example.com", 80, "tcp", aps("192.0.2.1:80", "[2001:db8::1]:80", "192.0.2.2:80")},
		{"Example.COM.", 80, "tcp", aps("192.0.2.1:80", "[2001:db8::1]:80", "192.0.2.2:80")},
		{"example.com", 80, "tcp4", aps("192.0.2.1:80", "192.0.2.2:80")},
		{"example.com", 80, "tcp6", aps("[2001:db8::1]:80")},
		// host:port wins and redirects the port.
		{"example.com", 443, "tcp", aps("127.0.0.1:8443")},
	} {
		res := resolve(t, r, ctx, c.host, c.port, c.network)
		if res.err != nil || !slices.Equal(res.addrs, c.want) {
			t.Errorf("%s:%d %s: %v, %v; want %v", c.host, c.port, c.network, res.addrs, res.err, c.want)
		}
	}
	if res := resolve(t, r, ctx, "v6.example", 80, "tcp4"); res.err == nil {
		t.Errorf("v6-only name for tcp4: %v", res.addrs)
	}
	if len(fellBack) != 0 {
		t.Fatalf("fell back for %v", fellBack)
	}
	res := resolve(t, r, ctx, "other.example", 80, "tcp")
	var dnsErr *net.DNSError
	if !errors.As(res.err, &dnsErr) || !slices.Equal(fellBack, []string{"other.example"}) {
		t.Fatalf("unknown host: %v, %v; fell back for %v", res.addrs, res.err, fellBack)
	}
	// A literal not in the table goes to the fallback too.
	res = resolve(t, &netutil.OverrideResolver{}, ctx, "10.1.2.3", 5, "tcp")
	if res.err != nil || !slices.Equal(res.addrs, aps("10.1.2.3:5")) {
		t.Fatalf("literal through the default fallback: %v, %v", res.addrs, res.err)
	}
}

// A result for a closed loop is dropped: the callback never runs.
func TestResolveClosedLoop(t *testing.T) {
	l, err := loop.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	netutil.NetResolver{}.Resolve(context.Background(), l, "127.0.0.1", 1, "tcp", func([]netip.AddrPort, error) {
		t.Error("callback on a closed loop")
	})
}
