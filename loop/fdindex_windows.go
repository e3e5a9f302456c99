//go:build windows

package loop

import "syscall"

// fdIndex maps socket handles, which are not dense, to handler slots.
type fdIndex struct {
	m map[syscall.Handle]uint32
}

func (x *fdIndex) init() { x.m = make(map[syscall.Handle]uint32) }

func (x *fdIndex) get(fd syscall.Handle) (uint32, bool) {
	slot, ok := x.m[fd]
	return slot, ok
}

func (x *fdIndex) set(fd syscall.Handle, slot uint32) { x.m[fd] = slot }

func (x *fdIndex) del(fd syscall.Handle) { delete(x.m, fd) }
