//go:build unix && !(darwin || linux || openbsd)

package stream

const maxIovecs = 1

// sysWritev writes the first buffer: golang.org/x/sys has no writev here,
// and the write queue coalesces small writes, so little is lost.
func sysWritev(fd int, bufs [][]byte) (int, error) { return sysWrite(fd, bufs[0]) }
