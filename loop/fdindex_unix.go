//go:build unix

package loop

import "github.com/gale-io/gale/internal/paged"

// fdIndex maps descriptors to handler slots. Unix descriptors are small
// dense integers, so it is an array indexed by descriptor holding slot+1
// (0: not registered): 4 bytes a descriptor, no hashing, grown in pages
// (no copy, no garbage).
type fdIndex struct {
	slots paged.Array[uint32]
}

func (x *fdIndex) init() {}

func (x *fdIndex) get(fd int) (uint32, bool) {
	if p := x.slots.Get(fd); p != nil && *p != 0 {
		return *p - 1, true
	}
	return 0, false
}

func (x *fdIndex) set(fd int, slot uint32) {
	x.slots.Grow(fd + 1)
	*x.slots.At(fd) = slot + 1
}

func (x *fdIndex) del(fd int) {
	if p := x.slots.Get(fd); p != nil {
		*p = 0
	}
}
