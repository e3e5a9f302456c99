//go:build unix

package poller

import "golang.org/x/sys/unix"

// one is an 8-byte native 1, the only kind of write an eventfd accepts; a
// pipe takes it just as well.
var one = [8]byte{1, 0, 0, 0, 0, 0, 0, 0}

// wakeWrite writes one wakeup to w.wfd.
func (w *waker) wakeWrite() error {
	for {
		_, err := unix.Write(w.wfd, one[:])
		switch err {
		case unix.EINTR:
			continue
		case nil, unix.EAGAIN:
			// EAGAIN: the pipe or counter is full, so it is readable already.
			return nil
		}
		return err
	}
}

func wakeDrain(fd FD) {
	var buf [64]byte
	for {
		n, err := unix.Read(fd, buf[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil || n < len(buf) {
			return
		}
	}
}

func closeWakerFDs(r, w FD) error {
	err := unix.Close(r)
	if w != r {
		if err2 := unix.Close(w); err == nil {
			err = err2
		}
	}
	return err
}

// closeBackend closes a backend's waker and its own descriptor (the epoll,
// kqueue or /dev/poll descriptor), returning the first error.
func closeBackend(w *waker, fd int) error {
	err := w.close()
	if err2 := unix.Close(fd); err == nil {
		err = err2
	}
	return err
}
