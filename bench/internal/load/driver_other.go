//go:build !linux

package load

import "errors"

// DefaultDriver is the leanest driver the platform has.
const DefaultDriver = DriverNet

func startEpoll(*runState, []session, int) (func(), error) {
	return nil, errors.New("load: the epoll driver is Linux only; use -driver net")
}
