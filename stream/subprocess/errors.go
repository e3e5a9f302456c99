package subprocess

import "os"

// ExitError is the error Wait reports for a child that exited with a code
// other than zero or was killed by a signal: Tornado's CalledProcessError.
// Nobody is to blame but the child; the Process itself is in order.
type ExitError struct {
	// Path is the program that ran (Cmd.Path).
	Path string
	// Code is Tornado's returncode: the exit status, or -N if the child
	// was killed by signal N.
	Code int
	// State is the child's exit state, with the signal (State.Sys() is a
	// syscall.WaitStatus on Unix) and resource usage.
	State *os.ProcessState
}

// Error gives the program and its exit, e.g. "subprocess: /bin/sh: exit
// status 3" or "subprocess: /bin/sleep: signal: killed".
func (e *ExitError) Error() string {
	return "subprocess: " + e.Path + ": " + e.State.String()
}
