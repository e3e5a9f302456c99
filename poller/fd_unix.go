//go:build unix

package poller

// FD is a descriptor the poller can watch: a file descriptor on Unix, a
// socket handle on Windows.
type FD = int
