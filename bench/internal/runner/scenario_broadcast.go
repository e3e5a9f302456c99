package runner

import (
	"fmt"
	"strconv"
	"time"
)

// broadcast: WS.BroadcastConns WebSocket connections; WS.Rounds times one
// of them sends the trigger and the server sends one WS.BroadcastSize-byte
// message to all (a prepared message where the library has one): the time
// until the last connection had it, and the server's CPU time for it,
// medians over the rounds.
func init() {
	var sc *Scenario
	sc = &Scenario{
		Name: "broadcast",
		Mode: "ws",
		Describe: func(o *Options) string {
			w := wsOpts()
			return fmt.Sprintf("broadcast: one %d-byte message to %d WebSocket connections, median of %d rounds; "+
				"time from the trigger to the last delivery, server CPU time", w.broadcastSize(), w.broadcastConns(), w.rounds())
		},
		LoadArgs: func(o *Options) []string {
			w := wsOpts()
			return append([]string{"-broadcast", "-conns", strconv.Itoa(w.broadcastConns()),
				"-size", strconv.Itoa(w.broadcastSize()), "-rounds", strconv.Itoa(w.rounds())}, tlsArg(o)...)
		},
		Timeout: func(o *Options) time.Duration {
			w := wsOpts()
			return 3*time.Minute + time.Duration(w.broadcastConns())*time.Millisecond + time.Duration(w.rounds())*30*time.Second
		},
		Estimate: func(o *Options) time.Duration {
			w := wsOpts()
			return time.Duration(w.broadcastConns())*300*time.Microsecond + time.Duration(w.rounds())*100*time.Millisecond +
				2*time.Second
		},
		Impls:     wsImpls,
		Baselines: wsBaselines(&sc),
		Columns: []Column{
			{Title: "last delivery", Field: "last_delivery_us", Format: fmtMicros, Better: "lower", Ratio: true},
			{Title: "median delivery", Field: "median_delivery_us", Format: fmtMicros, Better: "lower"},
			{Title: "server CPU", Field: "server_cpu_us", Format: fmtMicros, Better: "lower", Ratio: true},
			{Title: "connect", Field: "connect_s", Format: fmtSeconds, Better: "lower"},
		},
	}
	register(sc)
}
