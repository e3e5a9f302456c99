package websocket

import (
	"os"
	"testing"

	"github.com/gale-io/gale/internal/leakcheck"
)

func TestMain(m *testing.M) { os.Exit(leakcheck.Main(m)) }
