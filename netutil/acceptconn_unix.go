//go:build unix && !linux

package netutil

import (
	"net"

	"github.com/gale-io/gale/poller"
)

// acceptConn accepts one connection: non-blocking, close-on-exec.
// With peer false, the peer's address is not converted (nil).
func acceptConn(fd poller.FD, peer bool) (poller.FD, net.Addr, error) {
	nfd, sa, err := accept(fd)
	if err != nil {
		return -1, nil, err
	}
	if !peer {
		return nfd, nil, nil
	}
	return nfd, netAddrOf(sa), nil
}
