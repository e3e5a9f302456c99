package poller_test

import (
	"testing"

	"github.com/gale-io/gale/poller"
)

func TestEventsString(t *testing.T) {
	for _, tc := range []struct {
		ev   poller.Events
		want string
	}{
		{poller.None, "None"},
		{poller.Readable, "Readable"},
		{poller.Readable | poller.Writable, "Readable|Writable"},
		{poller.Writable | poller.Error | poller.Hangup, "Writable|Error|Hangup"},
		{poller.Readable | 0x80, "Readable|0x80"},
	} {
		if got := tc.ev.String(); got != tc.want {
			t.Errorf("Events(%#x).String() = %q, want %q", uint8(tc.ev), got, tc.want)
		}
	}
}
