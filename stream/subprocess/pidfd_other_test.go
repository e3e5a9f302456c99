//go:build unix && !linux

package subprocess_test

import "errors"

// pidfdOpenWorks: only Linux has pidfd_open.
func pidfdOpenWorks() error { return errors.ErrUnsupported }
