//go:build unix

package subprocess

// SetForceGoroutine makes Start watch exits with a goroutine even where a
// pidfd would do, and returns a function that restores the default.
func SetForceGoroutine(on bool) (restore func()) {
	old := forceGoroutine.Swap(on)
	return func() { forceGoroutine.Store(old) }
}

// Watcher names how p's exit is watched: "pidfd" or "goroutine".
func Watcher(p *Process) string { return p.watcher }
