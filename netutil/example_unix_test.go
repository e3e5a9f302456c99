//go:build unix

package netutil_test

import (
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/netutil"
	"github.com/gale-io/gale/poller"
)

// An accept handler on a loop: each connection arrives on the loop's
// goroutine, as a non-blocking descriptor the callback now owns.
func ExampleAddAcceptHandler() {
	l, err := loop.New(nil)
	if err != nil {
		panic(err)
	}
	defer l.Close()
	lns, err := netutil.BindSockets(0, "127.0.0.1", nil)
	if err != nil {
		panic(err)
	}
	ln := lns[0]
	defer ln.Close()

	client := make(chan error)
	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err == nil {
			_, err = io.Copy(io.Discard, c) // until the server closes
			c.Close()
		}
		client <- err
	}()

	msg, err := loop.RunSync(l, 10*time.Second, func(done func(string, error)) {
		var a *netutil.Acceptor
		a, err := netutil.AddAcceptHandler(l, ln, func(fd poller.FD, peer net.Addr) {
			a.Stop()
			syscall.Close(fd) // a server would hand fd to a stream
			done(fmt.Sprint("accepted a connection from ", peer.(*net.TCPAddr).IP), nil)
		}, nil)
		if err != nil {
			done("", err)
		}
	})
	fmt.Println(msg, err)
	fmt.Println("client:", <-client)
	// Output:
	// accepted a connection from 127.0.0.1 <nil>
	// client: <nil>
}
