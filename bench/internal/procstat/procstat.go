// Package procstat reads what the benchmark measures about a process from
// the operating system: its CPU time, resident memory and thread count
// (/proc on Linux), and the load generator's own CPU time; and it raises the
// open-file limit.
package procstat

import (
	"errors"
	"time"
)

// ErrUnsupported is returned where the platform does not expose a figure.
var ErrUnsupported = errors.New("procstat: not supported on this platform")

// Sample is a process's counters at one moment.
type Sample struct {
	// CPU is user plus system time of all the process's threads, living and
	// exited, with the resolution of the kernel's clock tick (10 ms at
	// the usual 100 Hz).
	CPU time.Duration
	// RSS is the resident set size (VmRSS) in bytes: anonymous, file-backed
	// and shared memory pages in RAM. Kernel socket buffers are not in it.
	RSS int64
	// Threads is the number of OS threads.
	Threads int
}
