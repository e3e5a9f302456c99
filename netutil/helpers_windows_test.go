package netutil_test

import (
	"errors"
	"strconv"
	"testing"

	"github.com/gale-io/gale/poller"
	"golang.org/x/sys/windows"
)

func itoa(n int) string { return strconv.Itoa(n) }

func isAddrInUse(err error) bool { return errors.Is(err, windows.WSAEADDRINUSE) }

// checkFlags cannot read a socket's blocking mode on Windows.
func checkFlags(testing.TB, poller.FD) {}

func closeFD(fd poller.FD) { windows.Closesocket(windows.Handle(fd)) }
