//go:build windows

package stream_test

import "syscall"

type uintptrOrInt = syscall.Handle
