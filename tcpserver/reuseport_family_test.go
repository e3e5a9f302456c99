package tcpserver_test

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpserver"
)

// With ReusePort every loop gets its own listening socket for each address:
// listening on every interface (host "") gives each loop an IPv4 and an
// IPv6 socket, so IPv4 clients are spread over every loop, not served by
// the loop that happened to get the IPv4 sockets.
func TestReusePortEveryLoopEveryFamily(t *testing.T) {
	var mu sync.Mutex
	perLoop := map[*loop.Loop]int{}
	srv := tcpserver.New(func(s *stream.Stream) {
		mu.Lock()
		perLoop[s.Loop()]++
		mu.Unlock()
		s.Close()
	}, &tcpserver.Options{Loops: 2, ReusePort: true})
	if err := srv.Listen(":0"); errors.Is(err, errors.ErrUnsupported) {
		t.Skipf("this platform has no SO_REUSEPORT (%v): nothing to spread", err)
	} else if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addrs := srv.Addrs()
	t.Logf("listeners: %v", addrs)
	if len(addrs) != 4 {
		t.Skipf("this machine has no IPv6 (listeners %v): nothing to spread", addrs)
	}
	port := addrs[0].(*net.TCPAddr).Port
	const conns = 200
	for range conns {
		c, err := net.Dial("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatal(err)
		}
		var b [1]byte
		c.Read(b[:]) // wait for the server's close
		c.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(perLoop) != 2 {
		t.Fatalf("%d IPv4 connections were served by %d loop(s) of 2: %v", conns, len(perLoop), perLoop)
	}
}
