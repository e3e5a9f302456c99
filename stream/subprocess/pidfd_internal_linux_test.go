package subprocess

import (
	"os/exec"
	"testing"
	"time"

	"github.com/gale-io/gale/loop"
	"golang.org/x/sys/unix"
)

// zombie, which guards the pidfd handler against spurious events, tells a
// running child from one that has exited, without reaping it.
func TestZombie(t *testing.T) {
	l, err := loop.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = loop.RunSync(l, 30*time.Second, func(done func(struct{}, error)) {
		p, err := Start(l, exec.Command("sleep", "100"), nil)
		if err != nil {
			done(struct{}{}, err)
			return
		}
		if p.zombie() {
			t.Errorf("zombie() = true for a running child")
		}
		p.Kill()
		// Block until it has exited, reaping nothing.
		var info unix.Siginfo
		for {
			err := unix.Waitid(unix.P_PID, p.pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
			if err != unix.EINTR {
				break
			}
		}
		if !p.zombie() {
			t.Errorf("zombie() = false for a child that exited")
		}
		p.Wait(func(code int, _ error) {
			if code != -int(unix.SIGKILL) {
				t.Errorf("code %d after the checks, want -9", code)
			}
			done(struct{}{}, nil)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}
