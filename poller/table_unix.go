//go:build unix

package poller

import (
	"syscall"

	"github.com/gale-io/gale/internal/paged"
)

// fdTable maps registered descriptors to their token and interest. On Unix
// descriptors are small dense integers, so it is an array indexed by fd, in
// pages: it grows with the highest descriptor without copying itself.
type fdTable struct {
	entries paged.Array[fdEntry]
}

type fdEntry struct {
	token uint64
	pos   int32 // backend-specific: the slot in poll(2)'s array
	ev    Events
	ok    bool
}

func (t *fdTable) get(fd FD) *fdEntry {
	if e := t.entries.Get(fd); e != nil && e.ok {
		return e
	}
	return nil
}

func (t *fdTable) add(fd FD, ev Events, token uint64) (*fdEntry, error) {
	if fd < 0 {
		return nil, syscall.EBADF
	}
	t.entries.Grow(fd + 1)
	e := t.entries.At(fd)
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
	for fd := range t.entries.Len() {
		if e := t.entries.At(fd); e.ok {
			f(fd, e)
		}
	}
}
