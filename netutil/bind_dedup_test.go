package netutil_test

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"

	"github.com/gale-io/gale/netutil"
)

// fakeDNS answers every A query with the given IPv4 addresses (in order) and
// every other query with no answer, over a stream connection.
func fakeDNS(a [][4]byte) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		c, s := net.Pipe()
		go func() {
			defer s.Close()
			for {
				var l [2]byte
				if _, err := io.ReadFull(s, l[:]); err != nil {
					return
				}
				q := make([]byte, binary.BigEndian.Uint16(l[:]))
				if _, err := io.ReadFull(s, q); err != nil {
					return
				}
				i := 12
				for q[i] != 0 {
					i += int(q[i]) + 1
				}
				question := q[12 : i+5]
				qtype := binary.BigEndian.Uint16(q[i+1:])
				var answers [][4]byte
				if qtype == 1 {
					answers = a
				}
				r := append([]byte{}, q[0], q[1], 0x81, 0x80, 0, 1, 0, byte(len(answers)), 0, 0, 0, 0)
				r = append(r, question...)
				for _, ip := range answers {
					r = append(r, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4)
					r = append(r, ip[:]...)
				}
				var out [2]byte
				binary.BigEndian.PutUint16(out[:], uint16(len(r)))
				if _, err := s.Write(append(out[:], r...)); err != nil {
					return
				}
			}
		}()
		return c, nil
	}}
}

// BindSockets binds a name's addresses IPv4 first, without duplicates
// (Tornado takes a set of getaddrinfo's answer), wherever the answer
// repeats one: [A, B, A] binds A once, not twice (EADDRINUSE). Not
// parallel: it swaps net.DefaultResolver.
func TestBindSocketsDuplicateAddresses(t *testing.T) {
	old := net.DefaultResolver
	net.DefaultResolver = fakeDNS([][4]byte{{127, 0, 0, 1}, {127, 0, 0, 2}, {127, 0, 0, 1}})
	defer func() { net.DefaultResolver = old }()

	ips, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", "dup.example.")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("resolver answer: %v", ips)

	lns, err := netutil.BindSockets(0, "dup.example.", &netutil.BindOptions{Network: "tcp4"})
	if err != nil {
		t.Fatalf("BindSockets on a name whose answer repeats an address: %v", err)
	}
	for _, ln := range lns {
		ln.Close()
	}
	if len(lns) != 2 {
		t.Fatalf("got %d listeners, want 2 (127.0.0.1 and 127.0.0.2)", len(lns))
	}
}
