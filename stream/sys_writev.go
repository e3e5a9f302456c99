//go:build darwin || openbsd

package stream

import "golang.org/x/sys/unix"

// maxIovecs bounds one writev; x/sys builds up to 8 iovecs without
// allocating.
const maxIovecs = 8

func sysWritev(fd int, bufs [][]byte) (int, error) {
	if len(bufs) == 1 {
		return sysWrite(fd, bufs[0])
	}
	for {
		n, err := unix.Writev(fd, bufs[:min(len(bufs), maxIovecs)])
		if err == unix.EINTR {
			continue
		}
		return n, err
	}
}
