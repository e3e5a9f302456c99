//go:build linux

package tcpclient_test

import (
	"context"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gale-io/gale/tcpclient"
)

// TCP keepalive is on by default on connected streams, 15 s idle and
// interval (net.Dialer's default); Options.KeepAlive sets the time, a
// negative one turns it off.
func TestKeepAliveDefault(t *testing.T) {
	srv := newServer(t, "tcp4", "127.0.0.1:0")
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
			l := newLoop(t)
			r := connect(t, l, context.Background(), "127.0.0.1", int(srv.addr.Port()), &tcpclient.Options{KeepAlive: tc.ka})
			if r.err != nil {
				t.Fatal(r.err)
			}
			fd := int(r.s.FD())
			on, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE)
			idle, _ := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE)
			intvl, _ := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL)
			if on != tc.on || tc.idle > 0 && (idle != tc.idle || intvl != tc.idle) {
				t.Errorf("SO_KEEPALIVE %d, TCP_KEEPIDLE %d, TCP_KEEPINTVL %d; want %d and %d s", on, idle, intvl, tc.on, tc.idle)
			}
		})
	}
}
