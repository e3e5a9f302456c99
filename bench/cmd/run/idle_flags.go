package main

import (
	"flag"
	"time"

	"github.com/gale-io/gale/bench/internal/runner"
)

// The idle scenario's process and traffic flags. They live in this file and
// reach the runner through runner.SetIdleFlags, so main.go need not change.
var idleFlags runner.IdleOptions

func init() {
	flag.IntVar(&idleFlags.Servers, "idle-servers", 1, "idle: server processes sharing the port with SO_REUSEPORT "+
		"(beyond one process's RLIMIT_NOFILE, e.g. 6 for 100,000 connections at a 20,000 limit)")
	flag.IntVar(&idleFlags.Loaders, "idle-loaders", 1, "idle: load processes, each from its own source address 127.0.0.k "+
		"(beyond one process's RLIMIT_NOFILE or one address's ephemeral ports)")
	flag.DurationVar(&idleFlags.Hold, "idle-hold", 5*time.Second, "idle: after the memory reading, hold the connections "+
		"this long with keep-alives while the probe measures latency")
	flag.DurationVar(&idleFlags.Keepalive, "keepalive", 5*time.Second, "idle: each connection echoes a small message "+
		"this often, spread evenly over the period; 0 for none")
	flag.DurationVar(&idleFlags.Probe, "probe", 10*time.Millisecond, "idle: the probe connection's request interval "+
		"during the hold; 0 for no probe")
	runner.SetIdleFlags(&idleFlags)
}
