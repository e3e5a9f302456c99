package runner

import (
	"fmt"
	"strconv"
	"time"
)

// idle: IdleConns connections held open after one echo each; the server's
// VmRSS growth per connection.
func init() {
	register(&Scenario{
		Name: "idle",
		Mode: "echo",
		Describe: func(o *Options) string {
			return fmt.Sprintf("idle: %d connections held open after one %d-byte echo each; server VmRSS delta / N",
				o.IdleConns, o.Size)
		},
		LoadArgs: func(o *Options) []string {
			args := []string{"-idle", "-conns", strconv.Itoa(o.IdleConns), "-size", strconv.Itoa(o.Size),
				"-settle", o.Settle.String()}
			if o.TLS {
				args = append(args, "-tls")
			}
			return args
		},
		Timeout: func(o *Options) time.Duration { return o.Settle + 3*time.Minute },
		Estimate: func(o *Options) time.Duration {
			return o.Settle + time.Duration(o.IdleConns)*300*time.Microsecond + 2*time.Second
		},
		Columns: []Column{
			{Title: "mem/idle conn", Field: "server_bytes_per_conn", Format: fmtBytes, Better: "lower", Ratio: true},
		},
	})
}
