package netutil_test

import (
	"errors"
	"testing"

	"github.com/gale-io/gale/netutil"
)

func TestBindUnixSocketUnsupported(t *testing.T) {
	_, err := netutil.BindUnixSocket(`C:\gale.sock`, 0, 0)
	if !errors.Is(err, netutil.ErrUnsupported) || !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("BindUnixSocket: %v, want ErrUnsupported", err)
	}
}
