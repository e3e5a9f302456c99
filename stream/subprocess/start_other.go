//go:build !unix

package subprocess

import (
	"errors"
	"fmt"
	"os/exec"

	"github.com/gale-io/gale/loop"
)

// start: gale's streams need non-blocking pipes the loop can poll, which
// Windows' anonymous pipes are not.
func start(*loop.Loop, *exec.Cmd, *Options) (*Process, error) {
	return nil, fmt.Errorf("subprocess: child processes with pipe streams: %w", errors.ErrUnsupported)
}
