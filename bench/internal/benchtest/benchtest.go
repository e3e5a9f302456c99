// Package benchtest is what the bench module's test binaries share: Main,
// the leak-checked test main, and Suite, the harness that runs a mode's
// implementations side by side (some in child processes) on loopback.
package benchtest

import (
	"testing"

	"github.com/panjf2000/gnet/v2/pkg/pool/goroutine"

	"github.com/gale-io/gale/internal/leakcheck"
)

// Main runs the tests under gale's leak checker:
//
//	func TestMain(m *testing.M) { os.Exit(benchtest.Main(m)) }
//
// gnet starts a package-level goroutine pool (ants) at init, used on Unix
// only by Engine.Register, which the benchmark servers never call; its two
// housekeeping goroutines would live as long as the process. Main releases
// that pool first, so the leak check sees only what the tests start.
func Main(m *testing.M) int {
	goroutine.DefaultWorkerPool.Release()
	return leakcheck.Main(m)
}
