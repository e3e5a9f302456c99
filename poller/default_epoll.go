//go:build linux && !gale_poll

package poller

func newDefault() (Poller, error) { return NewEpoll() }
