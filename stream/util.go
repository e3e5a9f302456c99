package stream

import (
	"errors"
	"os"
)

var (
	errNegative   = errors.New("stream: negative byte count")
	errEmptyDelim = errors.New("stream: empty delimiter")
)

// wrapSyscall keeps an OS error's cause (errors.Is works on the errno) and
// names the call.
func wrapSyscall(call string, err error) error { return os.NewSyscallError(call, err) }
