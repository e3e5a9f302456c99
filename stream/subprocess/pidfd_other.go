//go:build unix && !linux

package subprocess

// watchPidfd: only Linux has process descriptors a readiness poller can
// watch (kqueue's EVFILT_PROC is not a descriptor), so the exit is watched
// by a goroutine.
func (p *Process) watchPidfd() bool { return false }
