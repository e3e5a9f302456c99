package main

import (
	"flag"
	"time"

	"github.com/gale-io/gale/bench/internal/runner"
)

// The ws, ws-idle and broadcast scenarios' flags. They reach the runner
// through runner.SetWSFlags, as the idle flags do.
var wsFlags runner.WSOptions

func init() {
	flag.IntVar(&wsFlags.Conns, "ws-conns", 128, "ws: WebSocket connections in ping-pong")
	flag.DurationVar(&wsFlags.Duration, "ws-duration", 3*time.Second, "ws: measured window of each message size")
	flag.DurationVar(&wsFlags.Warmup, "ws-warmup", time.Second, "ws: traffic before the window, not counted")
	flag.IntVar(&wsFlags.IdleConns, "ws-idle-conns", 10000, "ws-idle: WebSocket connections held open")
	flag.IntVar(&wsFlags.BroadcastConns, "broadcast-conns", 10000, "broadcast: WebSocket connections receiving it")
	flag.IntVar(&wsFlags.BroadcastSize, "broadcast-size", 1024, "broadcast: bytes of the message")
	flag.IntVar(&wsFlags.Rounds, "broadcast-rounds", 5, "broadcast: broadcasts per sample (the sample is their median)")
	runner.SetWSFlags(&wsFlags)
}
