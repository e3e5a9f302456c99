//go:build unix && !(linux || darwin || freebsd || netbsd || dragonfly || solaris)

package stream

// setKeepAliveIdle does nothing: the idle time is a system-wide setting
// here (OpenBSD's net.inet.tcp.keepidle), not a socket option.
func setKeepAliveIdle(fd, secs int) error { return nil }
