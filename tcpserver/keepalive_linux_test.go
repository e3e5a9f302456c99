//go:build linux

package tcpserver_test

import (
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpserver"
)

// TCP keepalive is on by default on accepted connections, 15 s idle and
// interval (net/http's default), so that a peer that vanished without a
// FIN is found however long the protocol leaves its connection idle;
// Options.KeepAlive sets the time, a negative one turns it off.
func TestKeepAliveDefault(t *testing.T) {
	for _, tc := range []struct {
		name string
		ka   time.Duration
		on   int
		idle int
	}{
		{"default", 0, 1, 15},
		{"30s", 30 * time.Second, 1, 30},
		{"off", -1, 0, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			type opts struct{ on, idle, intvl int }
			got := make(chan opts, 1)
			_, addr := start(t, func(s *stream.Stream) {
				fd := int(s.FD())
				on, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE)
				idle, _ := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE)
				intvl, _ := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL)
				got <- opts{on, idle, intvl}
				s.Close()
			}, &tcpserver.Options{Loops: 1, KeepAlive: tc.ka})
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var o opts
			select {
			case o = <-got:
			case <-time.After(10 * time.Second):
				t.Fatal("no connection")
			}
			if o.on != tc.on || tc.idle > 0 && (o.idle != tc.idle || o.intvl != tc.idle) {
				t.Errorf("SO_KEEPALIVE %d, TCP_KEEPIDLE %d, TCP_KEEPINTVL %d; want %d and %d s", o.on, o.idle, o.intvl, tc.on, tc.idle)
			}
		})
	}
}
