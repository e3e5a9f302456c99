//go:build windows

package poller

import "syscall"

// FD is a descriptor the poller can watch: a file descriptor on Unix, a
// socket handle on Windows. WSAPoll watches sockets only.
type FD = syscall.Handle
