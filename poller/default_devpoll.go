//go:build solaris && !gale_poll

package poller

func newDefault() (Poller, error) { return NewDevPoll() }
