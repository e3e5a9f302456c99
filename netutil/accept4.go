//go:build dragonfly || freebsd || illumos || linux

package netutil

import "golang.org/x/sys/unix"

// accept takes a connection that is non-blocking and close-on-exec from
// birth.
func accept(fd int) (int, unix.Sockaddr, error) {
	return unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
}
