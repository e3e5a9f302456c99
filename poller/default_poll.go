//go:build unix && (gale_poll || !(linux || darwin || dragonfly || freebsd || netbsd || openbsd || solaris))

package poller

func newDefault() (Poller, error) { return NewPoll() }
