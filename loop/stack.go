package loop

import "runtime/debug"

// stack returns the current goroutine's stack for a panic log.
func stack() string { return string(debug.Stack()) }
