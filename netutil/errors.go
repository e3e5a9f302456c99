package netutil

import "errors"

// ErrUnsupported is returned, wrapped, for a feature this platform lacks:
// SO_REUSEPORT on Solaris, illumos and Windows, Unix-domain listeners on
// Windows, abstract socket names outside Linux. errors.Is matches the
// errors that wrap it against both ErrUnsupported and errors.ErrUnsupported.
var ErrUnsupported error = &unsupportedError{what: "this operation"}

type unsupportedError struct{ what string }

func (e *unsupportedError) Error() string {
	return "netutil: " + e.what + " is not supported on this platform"
}

func (e *unsupportedError) Is(target error) bool {
	return target == ErrUnsupported || target == errors.ErrUnsupported
}

// unsupported returns an error naming the missing feature that matches
// ErrUnsupported.
func unsupported(what string) error { return &unsupportedError{what: what} }
