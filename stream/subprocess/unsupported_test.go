//go:build !unix

package subprocess_test

import (
	"errors"
	"os/exec"
	"testing"

	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/stream/subprocess"
)

func TestStartUnsupported(t *testing.T) {
	l := testloop.New(t, nil)
	p, err := subprocess.Start(l, exec.Command("cmd", "/c", "echo"), &subprocess.Options{Stdout: subprocess.Pipe})
	if p != nil || !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("Start = %v, %v; want an error wrapping errors.ErrUnsupported", p, err)
	}
}
