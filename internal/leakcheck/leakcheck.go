// Package leakcheck fails a test binary that leaks goroutines or file
// descriptors. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(leakcheck.Main(m)) }
package leakcheck

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// settle is how long leftovers get to finish after the tests end, since
// some goroutines (deferred closes, finishing handlers) exit a moment later.
const settle = 5 * time.Second

// Main runs the tests, then checks that no goroutine started by them is
// still running and (where the platform can tell) that no descriptor opened
// by them is still open. It returns the exit code for os.Exit.
func Main(m *testing.M) int {
	fdsBefore := openFDs()
	code := m.Run()
	if code != 0 {
		return code
	}
	var leaked []string
	deadline := time.Now().Add(settle)
	for {
		leaked = strayGoroutines()
		if len(leaked) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(leaked) > 0 {
		fmt.Fprintf(os.Stderr, "leakcheck: %d goroutines still running after the tests:\n\n%s\n",
			len(leaked), strings.Join(leaked, "\n\n"))
		return 1
	}
	if fdsBefore != nil {
		var extra []string
		for time.Now().Before(deadline.Add(time.Second)) {
			extra = newFDs(fdsBefore, openFDs())
			if len(extra) == 0 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if len(extra) > 0 {
			fmt.Fprintf(os.Stderr, "leakcheck: %d descriptors still open after the tests: %s\n",
				len(extra), strings.Join(extra, ", "))
			return 1
		}
	}
	return 0
}

// strayGoroutines lists the stacks of goroutines other than the current one
// and the runtime's and testing package's own.
func strayGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i == 0 || g == "" || benign(g) {
			continue // the first is this goroutine
		}
		out = append(out, g)
	}
	return out
}

func benign(stack string) bool {
	for _, s := range []string{
		"testing.(*M).",
		"testing.tRunner",
		"testing.runTests",
		"os/signal.signal_recv",
		"runtime/trace.",
		"testing.(*T).Run", // parents still returning
		"created by runtime.gc",
		"runtime.ensureSigM",
		"internal/poll.runtime_pollWait", // net's own poller, if a test used net
	} {
		if strings.Contains(stack, s) && !strings.Contains(stack, "gale-io/gale/") {
			return true
		}
	}
	return false
}

// newFDs returns the descriptors in after that were not in before.
func newFDs(before, after map[string]string) []string {
	var extra []string
	for fd, target := range after {
		if _, ok := before[fd]; !ok {
			extra = append(extra, fd+" -> "+target)
		}
	}
	sort.Strings(extra)
	return extra
}
