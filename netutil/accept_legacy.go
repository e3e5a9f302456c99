//go:build unix && !(dragonfly || freebsd || illumos || linux)

package netutil

import "golang.org/x/sys/unix"

// accept takes a connection; golang.org/x/sys has no accept4 here (macOS,
// NetBSD, OpenBSD, Solaris).
func accept(fd int) (int, unix.Sockaddr, error) { return acceptLegacy(fd) }
