//go:build unix

package poller_test

import (
	"testing"

	"github.com/gale-io/gale/poller"
	"github.com/gale-io/gale/poller/pollertest"
)

func TestPoll(t *testing.T) { pollertest.Run(t, poller.NewPoll) }

func TestDefault(t *testing.T) { pollertest.Run(t, poller.New) }
