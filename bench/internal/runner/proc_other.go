//go:build !linux

package runner

import "syscall"

// procAttr: without Linux's parent-death signal, children are stopped by
// the runner's own cleanup only.
func procAttr() *syscall.SysProcAttr { return nil }
