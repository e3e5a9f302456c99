//go:build unix && !solaris

package netutil_test

import (
	"testing"

	"github.com/gale-io/gale/netutil"
	"golang.org/x/sys/unix"
)

// With ReusePort two sockets listen on one port; without, the second bind
// fails.
func TestBindReusePort(t *testing.T) {
	opts := &netutil.BindOptions{ReusePort: true}
	a := bind(t, 0, "127.0.0.1", opts)[0]
	port := tcpAddr(t, a).Port
	b := bind(t, port, "127.0.0.1", opts)[0]
	if tcpAddr(t, b).Port != port {
		t.Fatalf("second listener on port %d, want %d", tcpAddr(t, b).Port, port)
	}
	if v, err := unix.GetsockoptInt(b.FD(), unix.SOL_SOCKET, unix.SO_REUSEPORT); err != nil || v == 0 {
		t.Fatalf("SO_REUSEPORT = %d, %v", v, err)
	}
	dial(t, a)
	if _, err := netutil.BindSockets(port, "127.0.0.1", nil); !isAddrInUse(err) {
		t.Fatalf("bind without ReusePort: %v, want EADDRINUSE", err)
	}
}
