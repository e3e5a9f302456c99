package pollertest

import (
	"testing"

	"github.com/gale-io/gale/poller"
)

// SocketPair returns a connected pair of non-blocking stream sockets (a
// Unix-domain pair on Unix, loopback TCP on Windows), closed at the end of
// the test unless the test closes them first with Close.
func SocketPair(t testing.TB) (poller.FD, poller.FD) { return socketPair(t) }

// Write writes b to fd once, without blocking.
func Write(fd poller.FD, b []byte) (int, error) { return writeFD(fd, b) }

// Read reads once from fd without blocking: (0, nil) at end of file, an
// error when nothing is there yet.
func Read(fd poller.FD, b []byte) (int, error) { return readFD(fd, b) }

// Close closes a descriptor from SocketPair, once.
func Close(fd poller.FD) { closeFD(fd) }

// Forget records that fd was closed by someone else, so that cleanup does not
// close its number again.
func Forget(fd poller.FD) {
	closedMu.Lock()
	closed[fd] = true
	closedMu.Unlock()
}
