//go:build unix

package poller

import "syscall"

// fdTable maps registered descriptors to their token and interest. On Unix
// descriptors are small dense integers, so it is a slice indexed by fd.
type fdTable struct {
	entries []fdEntry
}

type fdEntry struct {
	token uint64
	pos   int32 // backend-specific: the slot in poll(2)'s array
	ev    Events
	ok    bool
}

func (t *fdTable) get(fd FD) *fdEntry {
	if fd < 0 || fd >= len(t.entries) || !t.entries[fd].ok {
		return nil
	}
	return &t.entries[fd]
}

func (t *fdTable) add(fd FD, ev Events, token uint64) (*fdEntry, error) {
	if fd < 0 {
		return nil, syscall.EBADF
	}
	if fd >= len(t.entries) {
		n := max(2*len(t.entries), fd+1, 64)
		grown := make([]fdEntry, n)
		copy(grown, t.entries)
		t.entries = grown
	}
	e := &t.entries[fd]
	if e.ok {
		return nil, ErrRegistered
	}
	*e = fdEntry{token: token, ev: ev, ok: true, pos: -1}
	return e, nil
}

func (t *fdTable) remove(fd FD) {
	if e := t.get(fd); e != nil {
		*e = fdEntry{}
	}
}

func (t *fdTable) each(f func(fd FD, e *fdEntry)) {
	for fd := range t.entries {
		if t.entries[fd].ok {
			f(fd, &t.entries[fd])
		}
	}
}
