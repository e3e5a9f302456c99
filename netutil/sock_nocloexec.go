//go:build unix && !(dragonfly || freebsd || linux || netbsd || openbsd || solaris)

package netutil

// newSocket makes a non-blocking, close-on-exec stream socket; socket(2)
// has no flags for that here (macOS, AIX).
func newSocket(family int) (int, error) { return newSocketLegacy(family) }
