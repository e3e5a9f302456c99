package load

import (
	"time"

	"github.com/gale-io/gale/bench/internal/procstat"
)

// Output: cmd/load prints each result as one JSON object on one line.
// Field names carry their unit: _s seconds, _us microseconds, _bytes bytes;
// _util is a fraction (1.0 = one CPU fully busy per CPU available).

// EchoResult is the outcome of an echo run (mode "echo").
type EchoResult struct {
	Mode     string  `json:"mode"`   // "echo"
	Driver   string  `json:"driver"` // how the load generator drove the connections: epoll or net
	Addr     string  `json:"addr"`
	Conns    int     `json:"conns"`
	Size     int     `json:"size_bytes"` // bytes per message
	Pipeline int     `json:"pipeline"`   // messages in flight per connection
	TLS      bool    `json:"tls"`
	Warmup   float64 `json:"warmup_s"` // run before the measured window, not counted
	// Measured: requests are messages whose echo completed intact in the
	// window, latency from the write of a message to the read of the last
	// byte of its echo.
	Measured
	LoadCPU
	*ServerWindow
}

// LoadCPU is the load generator's own CPU use in the window. LoadCPUUtil
// near 1 means it saturated the CPUs it may use, and then the server's
// throughput is bounded by the load generator: compare servers by
// requests per server CPU-second instead.
//
// OtherCPU is the CPU time the rest of the machine (other processes,
// kernel threads) used in the window: all CPUs' busy time from /proc/stat
// minus the load generator's and the server's. Much above zero means the
// run shared the machine and its figures are suspect.
type LoadCPU struct {
	LoadCPU     float64 `json:"load_cpu_s"`
	LoadCPUs    int     `json:"load_cpus"` // CPUs the load generator may use: min(affinity, GOMAXPROCS)
	LoadCPUUtil float64 `json:"load_cpu_util"`
	OtherCPU    float64 `json:"other_cpu_s"`
}

// ServerWindow is what the server process (-server-pid) did in the window,
// from /proc/PID/stat and /proc/PID/status. req_per_server_cpu_s is left
// out when the server's CPU time in the window read as zero (under one
// clock tick: the server hardly ran, so the figure is unknown, not zero;
// a zero would drag the runner's medians and ratios to 0).
type ServerWindow struct {
	PID           int     `json:"server_pid"`
	CPU           float64 `json:"server_cpu_s"`                   // user+system time in the window
	CPUUtil       float64 `json:"server_cpu_util"`                // server_cpu_s / duration_s
	ReqPerCPUSec  float64 `json:"req_per_server_cpu_s,omitempty"` // absent when server_cpu_s is 0
	RSSStartBytes int64   `json:"server_rss_start_bytes"`         // VmRSS at the start of the window
	RSSEndBytes   int64   `json:"server_rss_end_bytes"`           // VmRSS at the end
	Threads       int     `json:"server_threads"`                 // OS threads at the end
}

// IdleResult is the outcome of an idle-memory run (mode "echo", -idle).
type IdleResult struct {
	Mode  string `json:"mode"` // "idle"
	Addr  string `json:"addr"`
	Conns int    `json:"conns"`      // connections held open, each having echoed once
	Size  int    `json:"size_bytes"` // the one message per connection
	TLS   bool   `json:"tls"`
	// ConnectSeconds is how long opening and echoing on all connections took.
	ConnectSeconds float64 `json:"connect_s"`
	Settle         float64 `json:"settle_s"` // wait before the second reading
	Errors         int64   `json:"errors"`
	Error          string  `json:"error,omitempty"`
	PID            int     `json:"server_pid,omitempty"`
	// Server VmRSS before connecting and with all connections open and
	// idle, and their difference per connection.
	RSSBefore    int64   `json:"server_rss_before_bytes,omitempty"`
	RSSIdle      int64   `json:"server_rss_idle_bytes,omitempty"`
	BytesPerConn float64 `json:"server_bytes_per_conn,omitempty"`
	Threads      int     `json:"server_threads,omitempty"` // with all connections open
	// Source is the local address the connections were bound to ("" for
	// the kernel's choice).
	Source string `json:"source_addr,omitempty"`
	// HoldSeconds is how long the connections were held after the
	// measurement, with keep-alives and the probe.
	HoldSeconds float64 `json:"hold_s"`
	// Keepalive is the period of each connection's keep-alive message
	// (0: none); KeepaliveSent counts the messages sent and
	// KeepaliveFailures those whose echo failed (each is also a failed
	// connection in Errors).
	Keepalive         float64 `json:"keepalive_s"`
	KeepaliveSent     int64   `json:"keepalive_sent"`
	KeepaliveFailures int64   `json:"keepalive_failures"`
	*ProbeResult      `json:",omitempty"`
}

// ProbeResult is the latency of the probe connection, which echoes one
// message every probe_every_us during the hold while the idle connections
// are open.
type ProbeResult struct {
	Every    float64 `json:"probe_every_us"`
	Requests int64   `json:"probe_requests"`
	P50      float64 `json:"probe_p50_us"`
	P99      float64 `json:"probe_p99_us"`
	Max      float64 `json:"probe_max_us"`
	Error    string  `json:"probe_error,omitempty"`
}

// window samples the server and the load generator at the edges of the
// measured window.
type window struct {
	pid      int
	start    time.Time
	self0    time.Duration
	machine0 time.Duration
	server   procstat.Sample
	err      error
}

func openWindow(pid int) *window {
	w := &window{pid: pid, self0: procstat.SelfCPU()}
	w.machine0, _ = procstat.MachineBusy()
	if pid > 0 {
		w.server, w.err = procstat.Read(pid)
	}
	w.start = time.Now()
	return w
}

// close returns the window's length, the load generator's CPU, and the
// server's figures (nil without a pid) for the given request count.
func (w *window) close(requests int64) (time.Duration, LoadCPU, *ServerWindow, error) {
	d := time.Since(w.start)
	var end procstat.Sample
	if w.pid > 0 && w.err == nil {
		end, w.err = procstat.Read(w.pid)
	}
	self := procstat.SelfCPU() - w.self0
	machine, _ := procstat.MachineBusy()
	cpus := max(1, procstat.AllowedCPUs())
	cpus = min(cpus, gomaxprocs())
	lc := LoadCPU{LoadCPU: self.Seconds(), LoadCPUs: cpus, LoadCPUUtil: self.Seconds() / d.Seconds() / float64(cpus)}
	if w.pid <= 0 || w.err != nil {
		return d, lc, nil, w.err
	}
	cpu := (end.CPU - w.server.CPU).Seconds()
	if machine > 0 {
		// Clamped at zero: the three counters tick separately, so a quiet
		// machine shows a few ticks either way.
		lc.OtherCPU = max(0, (machine-w.machine0).Seconds()-cpu-self.Seconds())
	}
	sw := &ServerWindow{
		PID:           w.pid,
		CPU:           cpu,
		CPUUtil:       cpu / d.Seconds(),
		RSSStartBytes: w.server.RSS,
		RSSEndBytes:   end.RSS,
		Threads:       end.Threads,
	}
	if cpu > 0 {
		sw.ReqPerCPUSec = float64(requests) / cpu
	}
	return d, lc, sw, nil
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
