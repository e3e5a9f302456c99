package load

import (
	"os"
	"testing"

	"github.com/gale-io/gale/bench/internal/benchtest"
)

func TestMain(m *testing.M) { os.Exit(benchtest.Main(m)) }
