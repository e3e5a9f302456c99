//go:build !unix

package procstat

// RaiseNoFile has nothing to raise on this platform.
func RaiseNoFile() (uint64, error) { return 0, ErrUnsupported }
