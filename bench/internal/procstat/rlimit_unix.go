//go:build unix

package procstat

import "syscall"

// RaiseNoFile raises the soft limit on open files to the hard limit and
// returns the new soft limit. (Go already does this at start since 1.19;
// doing it here makes the limit explicit and reportable.)
func RaiseNoFile() (uint64, error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, err
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
			return 0, err
		}
	}
	return uint64(rl.Cur), nil
}
