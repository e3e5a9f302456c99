//go:build !linux

package load

import "syscall"

func bindNoPortControl(string, string, syscall.RawConn) error { return nil }

// EphemeralPorts is unknown off Linux.
func EphemeralPorts() int { return 0 }
