package poller_test

import (
	"testing"

	"github.com/gale-io/gale/poller"
	"github.com/gale-io/gale/poller/pollertest"
)

func TestDevPoll(t *testing.T) { pollertest.Run(t, poller.NewDevPoll) }
