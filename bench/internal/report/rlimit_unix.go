//go:build unix

package report

import "syscall"

func noFile() (soft, hard uint64) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, 0
	}
	return uint64(rl.Cur), uint64(rl.Max)
}
