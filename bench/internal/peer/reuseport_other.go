//go:build !unix

package peer

import (
	"errors"
	"syscall"
)

// ReusePortControl fails: SO_REUSEPORT is a Unix option.
func ReusePortControl(string, string, syscall.RawConn) error {
	return errors.New("SO_REUSEPORT is not supported on this platform")
}
