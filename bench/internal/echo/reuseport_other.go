//go:build !unix

package echo

import (
	"errors"
	"syscall"
)

func reusePortControl(string, string, syscall.RawConn) error {
	return errors.New("SO_REUSEPORT is not supported on this platform")
}
