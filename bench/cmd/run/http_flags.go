package main

import (
	"flag"

	"github.com/gale-io/gale/bench/internal/runner"
)

// The http scenario's flags.
var httpFlags runner.HTTPOptions

func init() {
	flag.IntVar(&httpFlags.Conns, "http-conns", 128, "http: keep-alive connections")
	flag.IntVar(&httpFlags.Pipeline, "http-pipeline", 16, "http: requests written back to back in the pipelined variant")
	flag.StringVar(&httpFlags.Load, "http-load", "load", "http: what drives the servers: load (cmd/load; every "+
		"response checked, figures measured as for echo) or wrk (wrk on PATH)")
}
