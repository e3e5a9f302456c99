//go:build dragonfly || freebsd || linux || netbsd || openbsd || solaris

package netutil

import "golang.org/x/sys/unix"

// newSocket makes a non-blocking, close-on-exec stream socket in one call.
func newSocket(family int) (int, error) {
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err == unix.EINVAL || err == unix.EPROTONOSUPPORT {
		// Solaris releases before 11.4 reject the flags.
		return newSocketLegacy(family)
	}
	return fd, err
}
