//go:build unix

package loop

// fdIndex maps descriptors to handler slots. Unix descriptors are small
// dense integers, so it is a slice indexed by descriptor holding slot+1
// (0: not registered): 4 bytes a descriptor, no hashing.
type fdIndex struct {
	slots []uint32
}

func (x *fdIndex) init() {}

func (x *fdIndex) get(fd int) (uint32, bool) {
	if fd < 0 || fd >= len(x.slots) || x.slots[fd] == 0 {
		return 0, false
	}
	return x.slots[fd] - 1, true
}

func (x *fdIndex) set(fd int, slot uint32) {
	if fd >= len(x.slots) {
		grown := make([]uint32, max(fd+1, 2*len(x.slots), 64))
		copy(grown, x.slots)
		x.slots = grown
	}
	x.slots[fd] = slot + 1
}

func (x *fdIndex) del(fd int) {
	if fd >= 0 && fd < len(x.slots) {
		x.slots[fd] = 0
	}
}
