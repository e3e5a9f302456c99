//go:build !unix

package echo

import (
	"errors"
	"net"

	"github.com/panjf2000/gnet/v2"
)

var errGnetUnix = errors.New("the gnet server is only set up on Unix systems")

func gnetListenAddr(gnet.Engine) (net.Addr, error) { return nil, errGnetUnix }

func reservePort(string, int) (string, func(), error) { return "", func() {}, errGnetUnix }
