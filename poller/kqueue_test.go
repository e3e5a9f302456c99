//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package poller_test

import (
	"testing"

	"github.com/gale-io/gale/poller"
	"github.com/gale-io/gale/poller/pollertest"
)

func TestKqueue(t *testing.T) { pollertest.Run(t, poller.NewKqueue) }
