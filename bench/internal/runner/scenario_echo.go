package runner

import (
	"fmt"
	"strconv"
	"time"
)

// noisyWindow: other processes used more than NoiseLimit of a CPU in the
// measured window.
func noisyWindow(o *Options, r Result) bool {
	return r.Num("other_cpu_s")/r.Num("duration_s") > o.NoiseLimit
}

// echo: Conns connections in request/response, Size-byte messages.
func init() {
	register(&Scenario{
		Name: "echo",
		Mode: "echo",
		Describe: func(o *Options) string {
			return fmt.Sprintf("echo: %d connections, %d-byte messages, pipeline %d, %v measured after %v warmup",
				o.Conns, o.Size, o.Pipeline, o.Duration, o.Warmup)
		},
		LoadArgs: func(o *Options) []string {
			args := []string{
				"-conns", strconv.Itoa(o.Conns), "-size", strconv.Itoa(o.Size),
				"-pipeline", strconv.Itoa(o.Pipeline),
				"-duration", o.Duration.String(), "-warmup", o.Warmup.String(),
			}
			if o.TLS {
				args = append(args, "-tls")
			}
			return args
		},
		Timeout:  func(o *Options) time.Duration { return o.Warmup + o.Duration + 90*time.Second },
		Estimate: func(o *Options) time.Duration { return o.Warmup + o.Duration + 2*time.Second },
		Noisy:    noisyWindow,
		Impls:    []string{"gale", "gnet", "std"},
		Columns:  throughputColumns(true, true),
	})
}
