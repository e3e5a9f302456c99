//go:build unix && !(dragonfly || freebsd || linux || netbsd || openbsd || solaris)

package tcpclient

// newSocket makes a non-blocking, close-on-exec TCP socket; socket(2) takes
// no flags for that here (macOS, iOS, AIX).
func newSocket(family int) (int, error) { return newSocketLegacy(family) }
