package procstat

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Read returns the counters of process pid from /proc/PID/stat and
// /proc/PID/status.
func Read(pid int) (Sample, error) {
	var s Sample
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// The command name (field 2) is in parentheses and may hold spaces or
	// parentheses itself; the fields after the last ')' start at field 3.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return s, fmt.Errorf("procstat: malformed /proc/%d/stat", pid)
	}
	f := bytes.Fields(stat[i+1:])
	if len(f) < 13 {
		return s, fmt.Errorf("procstat: short /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseUint(string(f[14-3]), 10, 64) // field 14, utime
	stime, err2 := strconv.ParseUint(string(f[15-3]), 10, 64) // field 15, stime
	if err1 != nil || err2 != nil {
		return s, fmt.Errorf("procstat: malformed times in /proc/%d/stat", pid)
	}
	s.CPU = time.Duration(utime+stime) * time.Second / time.Duration(ClockTicks())

	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for line := range bytes.SplitSeq(status, []byte("\n")) {
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		switch string(k) {
		case "VmRSS": // "  12345 kB"
			n, err := strconv.ParseInt(string(bytes.TrimSuffix(bytes.TrimSpace(v), []byte(" kB"))), 10, 64)
			if err != nil {
				return s, fmt.Errorf("procstat: malformed VmRSS in /proc/%d/status", pid)
			}
			s.RSS = n << 10
		case "Threads":
			s.Threads, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
	return s, nil
}

var clockTicks = sync.OnceValue(func() int {
	// sysconf(_SC_CLK_TCK) is what the kernel passes in the auxiliary
	// vector as AT_CLKTCK; Go has no sysconf without cgo, so read it there.
	if auxv, err := os.ReadFile("/proc/self/auxv"); err == nil {
		const atClkTck = 17
		w := int(unsafe.Sizeof(uintptr(0)))
		word := func(b []byte) uint64 {
			if w == 8 {
				return binary.NativeEndian.Uint64(b)
			}
			return uint64(binary.NativeEndian.Uint32(b))
		}
		for i := 0; i+2*w <= len(auxv); i += 2 * w {
			if word(auxv[i:]) == atClkTck {
				if v := word(auxv[i+w:]); v > 0 {
					return int(v)
				}
			}
		}
	}
	return 100 // USER_HZ on every mainstream Linux configuration
})

// ClockTicks returns the unit of the CPU times in /proc/PID/stat, in ticks
// per second (sysconf(_SC_CLK_TCK)).
func ClockTicks() int { return clockTicks() }

// SelfCPU returns this process's user plus system CPU time so far.
func SelfCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// AllowedCPUs returns how many CPUs this process may run on (its affinity
// mask, as set by taskset).
func AllowedCPUs() int {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return 0
	}
	return set.Count()
}

// MachineBusy returns the CPU time all CPUs have spent not idle since
// boot (user, nice, system, irq, softirq and steal in /proc/stat): the
// benchmark subtracts the server's and its own share to see what else ran.
func MachineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 9 || string(f[0]) != "cpu" {
		return 0, errors.New("procstat: malformed /proc/stat")
	}
	var ticks uint64
	for i, v := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, err := strconv.ParseUint(string(v), 10, 64)
		if err != nil {
			return 0, errors.New("procstat: malformed /proc/stat")
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / time.Duration(ClockTicks()), nil
}

// Somaxconn returns the kernel's cap on a listen backlog
// (/proc/sys/net/core/somaxconn), or 0 if it cannot be read.
func Somaxconn() int {
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(string(bytes.TrimSpace(b)))
	return n
}
