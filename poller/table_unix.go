//go:build unix

package poller

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"

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
	if fd < 0 || fd != int(int32(fd)) {
		// A descriptor is a C int: the kernel would truncate a larger
		// number to some other, perhaps open, descriptor.
		return nil, syscall.EBADF
	}
	if fd >= t.entries.Len() {
		// Grow only for an open descriptor: a stray number (a bug, or a
		// descriptor closed already) would otherwise leave the table as
		// large as that number for good, gigabytes for one near 1<<31,
		// even though the backend then refuses the Add.
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			return nil, os.NewSyscallError("fcntl", err)
		}
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
