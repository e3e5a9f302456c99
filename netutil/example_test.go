package netutil_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/netutil"
)

func ExampleBindSockets() {
	lns, err := netutil.BindSockets(0, "127.0.0.1", &netutil.BindOptions{Backlog: 1024})
	if err != nil {
		panic(err)
	}
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	a := lns[0].Addr().(*net.TCPAddr)
	fmt.Println(len(lns), a.IP, a.Port > 0)
	// Output: 1 127.0.0.1 true
}

// A header arrives in pieces: ErrProxyNeedMore until it is complete, then
// the header and its length; the rest is the connection's own data.
func ExampleParseProxyHeader() {
	data := []byte("PROXY TCP4 203.0.113.7 192.0.2.1 51234 443\r\nGET / HTTP/1.1\r\n")
	_, _, err := netutil.ParseProxyHeader(data[:20])
	fmt.Println(err)
	h, n, err := netutil.ParseProxyHeader(data)
	if err != nil {
		panic(err)
	}
	fmt.Println(h.Version, h.Command, h.Network, h.Source, h.Destination)
	fmt.Printf("%q\n", data[n:])
	_, _, err = netutil.ParseProxyHeader([]byte("PROXY TCP4 203.0.113.7 192.0.2.1 51234 99999\r\n"))
	fmt.Println(err)
	// Output:
	// netutil: PROXY header incomplete
	// v1 PROXY tcp4 203.0.113.7:51234 192.0.2.1:443
	// "GET / HTTP/1.1\r\n"
	// netutil: malformed PROXY v1 header: bad destination port at byte 39
}

func ExampleAppendProxyHeader() {
	h := &netutil.ProxyHeader{
		Version:     netutil.ProxyV1,
		Command:     netutil.ProxyCommandProxy,
		Network:     "tcp6",
		Source:      netip.MustParseAddrPort("[2001:db8::7]:51234"),
		Destination: netip.MustParseAddrPort("[2001:db8::1]:443"),
	}
	b, _ := netutil.AppendProxyHeader(nil, h)
	fmt.Printf("%q\n", b)
	h.Version = netutil.ProxyV2
	b, _ = netutil.AppendProxyHeader(nil, h)
	fmt.Println(len(b), "bytes")
	// Output:
	// "PROXY TCP6 2001:db8::7 2001:db8::1 51234 443\r\n"
	// 52 bytes
}

// Only peers in the trusted networks may send a header; nobody else's
// bytes are ever parsed as one.
func ExampleProxyPolicy() {
	p := &netutil.ProxyPolicy{Trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	for _, peer := range []string{"10.1.2.3:4000", "198.51.100.9:4000"} {
		fmt.Println(peer, p.Trusts(net.TCPAddrFromAddrPort(netip.MustParseAddrPort(peer))))
	}
	// Output:
	// 10.1.2.3:4000 true
	// 198.51.100.9:4000 false
}

// Tests point names at local servers; other names go to Fallback.
func ExampleOverrideResolver() {
	l, err := loop.New(nil)
	if err != nil {
		panic(err)
	}
	defer l.Close()
	r := &netutil.OverrideResolver{Hosts: map[string][]netip.AddrPort{
		"api.example.com":     {netip.MustParseAddrPort("127.0.0.1:0"), netip.MustParseAddrPort("[::1]:0")},
		"api.example.com:443": {netip.MustParseAddrPort("127.0.0.1:8443")},
	}}
	for _, port := range []int{80, 443} {
		addrs, err := loop.RunSync(l, time.Second, func(done func([]netip.AddrPort, error)) {
			r.Resolve(context.Background(), l, "api.example.com", port, "tcp", done)
		})
		fmt.Println(addrs, err)
	}
	// Output:
	// [127.0.0.1:80 [::1]:80] <nil>
	// [127.0.0.1:8443] <nil>
}

func ExampleSelfSignedTLS() {
	ss, err := netutil.SelfSignedTLS() // localhost, 127.0.0.1, ::1
	if err != nil {
		panic(err)
	}
	fmt.Println(ss.Certificate.DNSNames, ss.Certificate.IPAddresses)
	client := ss.Client("localhost") // trusts this certificate only
	fmt.Println(client.ServerName, client.RootCAs.Equal(ss.Pool))
	// Output:
	// [localhost] [127.0.0.1 ::1]
	// localhost true
}
