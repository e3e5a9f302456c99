//go:build !unix

package peer

import (
	"errors"
	"net"

	"github.com/panjf2000/gnet/v2"
)

var errGnetUnix = errors.New("the gnet server is only set up on Unix systems")

// GnetAddr fails: the gnet servers are set up on Unix only.
func GnetAddr(gnet.Engine) (net.Addr, error) { return nil, errGnetUnix }

// ReservePort fails: the gnet servers are set up on Unix only.
func ReservePort(string, int) (string, func(), error) { return "", func() {}, errGnetUnix }
