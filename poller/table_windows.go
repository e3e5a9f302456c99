//go:build windows

package poller

import "syscall"

// fdTable maps registered sockets to their token and interest. Socket
// handles are opaque, sparse values rather than small dense integers, so
// the table is a map from handle to an index into a slice of entries; freed
// slots are reused, so the slice stays as large as the most sockets ever
// registered at once.
//
// A pointer returned by get or add is valid until the next add (which may
// grow the slice) or remove of that socket.
type fdTable struct {
	index   map[FD]int32
	entries []fdEntry
	free    []int32 // indexes of unused entries
}

type fdEntry struct {
	token uint64
	pos   int32 // backend-specific: the slot in WSAPoll's array
	ev    Events
	ok    bool
}

// get looks fd up without allocating.
func (t *fdTable) get(fd FD) *fdEntry {
	i, found := t.index[fd]
	if !found {
		return nil
	}
	return &t.entries[i]
}

func (t *fdTable) add(fd FD, ev Events, token uint64) (*fdEntry, error) {
	if fd == syscall.InvalidHandle {
		return nil, syscall.EINVAL
	}
	if _, found := t.index[fd]; found {
		return nil, ErrRegistered
	}
	if t.index == nil {
		t.index = make(map[FD]int32)
	}
	var i int32
	if n := len(t.free); n > 0 {
		i, t.free = t.free[n-1], t.free[:n-1]
	} else {
		i = int32(len(t.entries))
		t.entries = append(t.entries, fdEntry{})
	}
	t.index[fd] = i
	e := &t.entries[i]
	*e = fdEntry{token: token, ev: ev, ok: true, pos: -1}
	return e, nil
}

func (t *fdTable) remove(fd FD) {
	i, found := t.index[fd]
	if !found {
		return
	}
	delete(t.index, fd)
	t.entries[i] = fdEntry{}
	t.free = append(t.free, i)
}

func (t *fdTable) each(f func(fd FD, e *fdEntry)) {
	for fd, i := range t.index {
		f(fd, &t.entries[i])
	}
}
