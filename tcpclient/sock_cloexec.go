//go:build dragonfly || freebsd || linux || netbsd || openbsd || solaris

package tcpclient

import "golang.org/x/sys/unix"

// newSocket makes a non-blocking, close-on-exec TCP socket in one call.
func newSocket(family int) (int, error) {
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err == unix.EINVAL || err == unix.EPROTONOSUPPORT {
		// Solaris before 11.4 rejects the flags.
		return newSocketLegacy(family)
	}
	return fd, err
}
