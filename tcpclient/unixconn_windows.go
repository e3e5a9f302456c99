//go:build windows

package tcpclient

import (
	"errors"
	"fmt"
)

// unixPending has nothing to hold on Windows, where ConnectUnix is not
// supported.
type unixPending struct{}

// try fails: gale's Windows backend does not connect Unix-domain sockets
// (a platform limitation documented on ConnectUnix).
func (u *unixDial) try() {
	u.fail("connect", fmt.Errorf("unix sockets on windows: %w", errors.ErrUnsupported))
}

func (u *unixDial) cancelPending() {}
