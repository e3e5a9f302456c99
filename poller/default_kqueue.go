//go:build (darwin || dragonfly || freebsd || netbsd || openbsd) && !gale_poll

package poller

func newDefault() (Poller, error) { return NewKqueue() }
