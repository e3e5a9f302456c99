package procstat

import (
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/gale-io/gale/bench/internal/benchtest"
)

func TestMain(m *testing.M) { os.Exit(benchtest.Main(m)) }

var sink []byte

func TestReadSelf(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux's")
	}
	if ticks := ClockTicks(); ticks < 10 || ticks > 10000 {
		t.Fatalf("ClockTicks() = %d", ticks)
	}
	// Return what an earlier run touched, so that RSS must grow again.
	sink = nil
	debug.FreeOSMemory()
	before, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	self0, busy0 := SelfCPU(), mustBusy(t)
	// Burn 300 ms of CPU and touch 64 MiB.
	sink = make([]byte, 64<<20)
	for i := 0; i < len(sink); i += 4096 {
		sink[i] = 1
	}
	// Spin until this process has used 300 ms of CPU by getrusage's
	// count (however loaded the machine is), then check /proc saw it.
	for deadline := time.Now().Add(30 * time.Second); SelfCPU()-self0 < 300*time.Millisecond; {
		if time.Now().After(deadline) {
			t.Fatal("could not get 300 ms of CPU in 30 s")
		}
	}
	after, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if d := after.CPU - before.CPU; d < 200*time.Millisecond || d > 5*time.Second {
		t.Errorf("CPU grew by %v over 300 ms of spinning (by getrusage)", d)
	}
	if d := SelfCPU() - self0; d < 200*time.Millisecond {
		t.Errorf("SelfCPU grew by %v over 300 ms of spinning", d)
	}
	if d := mustBusy(t) - busy0; d < 200*time.Millisecond {
		t.Errorf("MachineBusy grew by %v over 300 ms of spinning", d)
	}
	if d := after.RSS - before.RSS; d < 60<<20 {
		t.Errorf("RSS grew by %d bytes after touching 64 MiB", d)
	}
	if after.Threads < 1 || AllowedCPUs() < 1 {
		t.Errorf("threads %d, allowed CPUs %d", after.Threads, AllowedCPUs())
	}
	sink = nil
	if _, err := Read(1 << 30); err == nil {
		t.Error("Read of a process that does not exist succeeded")
	}
}

func mustBusy(t *testing.T) time.Duration {
	t.Helper()
	d, err := MachineBusy()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestRaiseNoFile(t *testing.T) {
	n, err := RaiseNoFile()
	if err == ErrUnsupported {
		t.Skip(err)
	}
	if err != nil || n < 64 {
		t.Fatalf("RaiseNoFile() = %d, %v", n, err)
	}
}
