package runner

import "syscall"

// procAttr makes a child die with the runner, even if the runner is
// killed, so no server is left behind.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
