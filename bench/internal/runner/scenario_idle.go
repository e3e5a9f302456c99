package runner

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gale-io/gale/bench/internal/procstat"
)

// IdleOptions are the idle scenario's processes and traffic. Zero values
// mean one server process, one load process, no hold, no keep-alives and
// no probe.
type IdleOptions struct {
	// Servers is the number of server processes sharing the port with
	// SO_REUSEPORT; Loaders the number of load processes, load process k
	// connecting from source address 127.0.0.(k+1). Both are needed
	// beyond one process's RLIMIT_NOFILE (20,000 here) or one source
	// address's ephemeral ports (about 28,000).
	Servers, Loaders int
	// Hold is how long the connections stay open after the memory
	// reading, with keep-alives and the probe.
	Hold time.Duration
	// Keepalive is each connection's keep-alive period (spread evenly).
	Keepalive time.Duration
	// Probe is the probe connection's request interval (load process 0).
	Probe time.Duration
}

// idle: IdleConns connections held open after one echo each; the servers'
// VmRSS growth per connection, their threads, and a probe connection's
// latency while the connections are held with keep-alives.
func init() {
	register(&Scenario{
		Name: "idle",
		Mode: "echo",
		Describe: func(o *Options) string {
			s := fmt.Sprintf("idle: %d connections held open after one %d-byte echo each; server VmRSS delta / N",
				o.IdleConns, o.Size)
			if o.Idle.Servers > 1 || o.Idle.Loaders > 1 {
				s += fmt.Sprintf("; %d server and %d load processes", max(1, o.Idle.Servers), max(1, o.Idle.Loaders))
			}
			if o.Idle.Hold > 0 {
				s += fmt.Sprintf("; held %v", o.Idle.Hold)
				if o.Idle.Keepalive > 0 {
					s += fmt.Sprintf(" with a keep-alive every %v per connection", o.Idle.Keepalive)
				}
				if o.Idle.Probe > 0 {
					s += fmt.Sprintf(", probe every %v", o.Idle.Probe)
				}
			}
			return s
		},
		LoadArgs: func(o *Options) []string { return nil }, // Run below
		Timeout: func(o *Options) time.Duration {
			return o.Settle + o.Idle.Hold + 3*time.Minute + time.Duration(o.IdleConns)*time.Millisecond
		},
		Estimate: func(o *Options) time.Duration {
			return o.Settle + o.Idle.Hold + time.Duration(o.IdleConns)*300*time.Microsecond + 2*time.Second
		},
		Run:   runIdle,
		Impls: []string{"gale", "gnet", "std"},
		Columns: []Column{
			{Title: "mem/idle conn", Field: "server_bytes_per_conn", Format: fmtBytes, Better: "lower", Ratio: true},
			{Title: "threads", Field: "server_threads", Format: fmtCount, Better: "lower"},
			{Title: "probe p99", Field: "probe_p99_us", Format: fmtMicros, Better: "lower", Ratio: true},
			{Title: "keep-alive fails", Field: "keepalive_failures", Format: fmtCount, Better: "lower"},
		},
	})
}

// Sizes for checking the limits before a run.
const (
	fdMargin = 100 // descriptors a process needs besides its connections
	// reusePortSlack allows for SO_REUSEPORT's uneven spread: the kernel
	// hashes each connection to a listener, so a server may get a few
	// percent more than its share.
	reusePortSlack = 1.05
	// memPerConn is a generous estimate of both ends' memory per idle
	// loopback connection (kernel sockets and the servers' own state).
	memPerConn = 24 << 10
)

// idleLimits checks, before a run, that IdleConns fits the machine's
// limits as split over the processes; it names the limit and how to raise
// it.
func idleLimits(o *Options, nofile uint64, ports int, fileMax, memAvail int64) error {
	n, s, l := o.IdleConns, max(1, o.Idle.Servers), max(1, o.Idle.Loaders)
	var errs []error
	if nofile > 0 {
		usable := float64(nofile) - fdMargin
		if per := float64(n) / float64(s) * reusePortSlack; per > usable {
			errs = append(errs, fmt.Errorf("file descriptors: %d connections over %d server processes is about %.0f per process, "+
				"over RLIMIT_NOFILE (hard limit %d per process): use -idle-servers >= %d, or raise the hard limit "+
				"(ulimit -Hn, /etc/security/limits.conf, systemd LimitNOFILE)", n, s, per, nofile,
				int(float64(n)*reusePortSlack/usable)+1))
		}
		if per := float64(n) / float64(l); per > usable {
			errs = append(errs, fmt.Errorf("file descriptors: %d connections over %d load processes is %.0f per process, "+
				"over RLIMIT_NOFILE (hard limit %d per process): use -idle-loaders >= %d, or raise the hard limit",
				n, l, per, nofile, int(float64(n)/usable)+1))
		}
	}
	if ports > 0 {
		// connect() takes the even half of the range first (Linux >= 4.6)
		// and, once a source address has used it up, scans all of it again
		// for every further connection before trying an odd port: connecting
		// drops to a few hundred per second and dials time out. So one
		// source address gets half the range.
		usable := connectPorts(ports) - fdMargin
		if per := (n + l - 1) / l; per > usable {
			errs = append(errs, fmt.Errorf("ephemeral ports: %d connections over %d load processes (one source address each) "+
				"is %d per address, over the %d ports connect() takes first (the even half of the %d of "+
				"/proc/sys/net/ipv4/ip_local_port_range; beyond them every connect scans them all and dials time out): "+
				"use -idle-loaders >= %d, or widen the range for the run (%s)", n, l, per, usable+fdMargin, ports,
				n/usable+1, portRangeAdvice))
		}
	}
	if fileMax > 0 && int64(2*n+2*fdMargin) > fileMax {
		errs = append(errs, fmt.Errorf("file descriptors: %d connections need %d descriptors machine-wide, over "+
			"/proc/sys/fs/file-max (%d): raise it (sysctl fs.file-max)", n, 2*n, fileMax))
	}
	if memAvail > 0 && int64(n)*memPerConn > memAvail {
		errs = append(errs, fmt.Errorf("memory: %d connections need about %d MiB (%d KiB each, both ends), over "+
			"MemAvailable (%d MiB): lower -idle-conns or free memory", n, int64(n)*memPerConn>>20, memPerConn>>10, memAvail>>20))
	}
	if len(errs) > 0 {
		return fmt.Errorf("idle: a system limit stops this run: %w", errors.Join(errs...))
	}
	return nil
}

// machineLimits reads what idleLimits checks: the hard RLIMIT_NOFILE
// (children inherit it), the ephemeral port range, fs.file-max and
// MemAvailable. Unknown figures are 0.
func machineLimits() (nofile uint64, ports int, fileMax, memAvail int64) {
	nofile, _ = procstat.RaiseNoFile()
	ports = ephemeralPorts()
	if b, err := os.ReadFile("/proc/sys/fs/file-max"); err == nil {
		fileMax, _ = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
				f := strings.Fields(rest)
				if len(f) > 0 {
					kb, _ := strconv.ParseInt(f[0], 10, 64)
					memAvail = kb << 10
				}
			}
		}
	}
	return
}

// connectPorts is how many ports of an ephemeral range of size ports
// connect() picks from first: the even ones.
func connectPorts(ports int) int { return ports / 2 }

// portRangeAdvice is the temporary sysctl that gives each source address
// more ports (undone by writing back the old range, or by a reboot).
const portRangeAdvice = "sysctl -w net.ipv4.ip_local_port_range=\"1024 65535\", as root; it does not persist"

func ephemeralPorts() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0
	}
	lo, _ := strconv.Atoi(f[0])
	hi, _ := strconv.Atoi(f[1])
	if hi < lo {
		return 0
	}
	return hi - lo + 1
}

// runIdle takes one idle sample with Idle.Servers server processes on one
// port (SO_REUSEPORT) and Idle.Loaders load processes (load -sync), each
// from its own source address: read every server's VmRSS, start the load
// processes, wait until all have connected, wait Settle, read VmRSS and
// threads again, then release the hold (keep-alives go on, the probe
// starts), wait Hold, end it, and collect the load results. Memory per
// connection is the sum of the servers' VmRSS growth over IdleConns.
func runIdle(ctx context.Context, o *Options, pin pinSpec, bins binaries, sc *Scenario, impl string) (Result, error, error) {
	nofile, ports, fileMax, memAvail := machineLimits()
	if err := idleLimits(o, nofile, ports, fileMax, memAvail); err != nil {
		return nil, nil, err
	}
	ns, nl := max(1, o.Idle.Servers), max(1, o.Idle.Loaders)
	if nl > 254 {
		return nil, nil, fmt.Errorf("idle: at most 254 load processes (source addresses 127.0.0.1-254), not %d", nl)
	}
	reuse := ns > 1
	first, err := startServer(ctx, o, pin, bins, sc.Mode, impl, "127.0.0.1:0", reuse)
	if err != nil {
		return nil, err, nil
	}
	servers := []*serverProc{first}
	var errs []error
	stopAll := func() {
		for _, s := range servers {
			if err := s.stop(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	fail := func(err error) (Result, error, error) {
		stopAll()
		return nil, nil, errors.Join(append([]error{err}, errs...)...)
	}
	for range ns - 1 {
		s, err := startServer(ctx, o, pin, bins, sc.Mode, impl, first.addr, true)
		if err != nil {
			return fail(fmt.Errorf("starting another server process on %s: %w", first.addr, err))
		}
		servers = append(servers, s)
	}
	before := make([]procstat.Sample, ns)
	for i, s := range servers {
		if before[i], err = procstat.Read(s.cmd.Process.Pid); err != nil {
			return fail(fmt.Errorf("measuring server %d: %w", s.cmd.Process.Pid, err))
		}
	}

	overflowsBefore := tcpExt("ListenOverflows")
	deadline := time.NewTimer(sc.Timeout(o))
	defer deadline.Stop()
	loaders := make([]*loaderProc, nl)
	killLoaders := func() {
		for _, l := range loaders {
			if l != nil {
				l.cmd.Process.Kill()
				<-l.done
			}
		}
	}
	for k := range nl {
		conns := o.IdleConns / nl
		if k < o.IdleConns%nl {
			conns++
		}
		probe := time.Duration(0)
		if k == 0 {
			probe = o.Idle.Probe
		}
		args := []string{"-mode", sc.Mode, "-addr", first.addr, "-idle", "-sync",
			"-conns", strconv.Itoa(conns), "-size", strconv.Itoa(o.Size),
			"-keepalive", o.Idle.Keepalive.String(), "-probe", probe.String(),
			"-source", fmt.Sprintf("127.0.0.%d", k+1)}
		if o.TLS {
			args = append(args, "-tls")
		}
		l, err := startLoader(pin.command(o.LoadCPUs, o.LoadProcs, bins.load, args...))
		if err != nil {
			killLoaders()
			return fail(err)
		}
		loaders[k] = l
	}
	// Wait until every load process has connected.
	for k, l := range loaders {
		select {
		case <-l.connected:
		case <-l.done:
			killLoaders()
			return fail(fmt.Errorf("load process %d of %d exited before connecting: %v: %s%s", k+1, nl, l.err, l.why(),
				dialAdvice(o, l.why(), ports, overflowsBefore)))
		case <-deadline.C:
			killLoaders()
			return fail(fmt.Errorf("load processes not connected after %v", sc.Timeout(o)))
		case <-ctx.Done():
			killLoaders()
			return fail(ctx.Err())
		}
	}
	res := Result{
		"mode": "idle", "addr": first.addr, "conns": float64(o.IdleConns), "size_bytes": float64(o.Size), "tls": o.TLS,
		"server_procs": float64(ns), "load_procs": float64(nl), "settle_s": o.Settle.Seconds(),
	}
	if !sleepCtx(ctx, o.Settle) {
		killLoaders()
		return fail(ctx.Err())
	}
	var rssBefore, rssIdle int64
	var threads int
	var pids, fds []any
	for i, s := range servers {
		pid := s.cmd.Process.Pid
		if err, gone := s.exited(); gone {
			killLoaders()
			return fail(fmt.Errorf("server process %d exited with all connections open: %s", pid, deathCause(err, s)))
		}
		idle, err := procstat.Read(pid)
		if err != nil {
			killLoaders()
			return fail(fmt.Errorf("measuring server %d: %w", pid, err))
		}
		rssBefore += before[i].RSS
		rssIdle += idle.RSS
		threads += idle.Threads
		pids = append(pids, float64(pid))
		fds = append(fds, float64(openFDs(pid)))
	}
	res["server_rss_before_bytes"] = float64(rssBefore)
	res["server_rss_idle_bytes"] = float64(rssIdle)
	res["server_bytes_per_conn"] = float64(rssIdle-rssBefore) / float64(o.IdleConns)
	res["server_threads"] = float64(threads)
	res["server_pids"] = pids
	res["server_open_fds"] = fds // per server: its share of the connections, plus a few

	// The hold: keep-alives go on, the probe runs.
	for _, l := range loaders {
		io.WriteString(l.stdin, "hold\n")
	}
	holdStart := time.Now()
	if !sleepCtx(ctx, o.Idle.Hold) {
		killLoaders()
		return fail(ctx.Err())
	}
	for _, l := range loaders {
		l.stdin.Close() // EOF: the hold ends
	}
	res["hold_s"] = time.Since(holdStart).Seconds()
	res["keepalive_s"] = o.Idle.Keepalive.Seconds()
	var (
		errCount, kaSent, kaFails float64
		firstErr                  string
		connect                   float64
		loadErrs                  []error
	)
	for k, l := range loaders {
		select {
		case <-l.done:
		case <-deadline.C:
			killLoaders()
			return fail(fmt.Errorf("load process %d still running after %v; killed", k+1, sc.Timeout(o)))
		case <-ctx.Done():
			killLoaders()
			return fail(ctx.Err())
		}
		var r Result
		if len(l.last) > 0 {
			if err := json.Unmarshal(l.last, &r); err != nil {
				loadErrs = append(loadErrs, fmt.Errorf("load process %d output: %w", k+1, err))
				continue
			}
		}
		if r == nil {
			loadErrs = append(loadErrs, fmt.Errorf("load process %d printed no result: %v: %s", k+1, l.err, l.why()))
			continue
		}
		errCount += r.Num("errors")
		kaSent += r.Num("keepalive_sent")
		kaFails += r.Num("keepalive_failures")
		connect = max(connect, r.Num("connect_s"))
		if e, _ := r["error"].(string); e != "" && firstErr == "" {
			firstErr = fmt.Sprintf("load process %d: %s", k+1, e)
		}
		if k == 0 {
			for f, v := range r {
				if strings.HasPrefix(f, "probe_") {
					res[f] = v
				}
			}
		}
	}
	res["errors"], res["keepalive_sent"], res["keepalive_failures"], res["connect_s"] = errCount, kaSent, kaFails, connect
	if firstErr != "" {
		res["error"] = firstErr
		loadErrs = append(loadErrs, fmt.Errorf("%.0f connections failed; first: %s", errCount, firstErr))
	}
	stopAll()
	return res, nil, errors.Join(append(loadErrs, errs...)...)
}

// loaderProc is one load -idle -sync process.
type loaderProc struct {
	cmd       *exec.Cmd
	stdin     io.WriteCloser
	stderr    *tail
	connected chan struct{} // closed at its "connected" line
	last      []byte        // its last other stdout line: the result; read after done
	done      chan struct{} // closed when it has exited
	err       error         // Wait's result, once done
}

func startLoader(cmd *exec.Cmd) (*loaderProc, error) {
	l := &loaderProc{cmd: cmd, stderr: new(tail), connected: make(chan struct{}), done: make(chan struct{})}
	cmd.Stderr = l.stderr
	var err error
	if l.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		said := false
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "connected ") && !said {
				close(l.connected)
				said = true
				continue
			}
			l.last = append(l.last[:0], sc.Bytes()...)
		}
		l.err = cmd.Wait()
		close(l.done)
	}()
	return l, nil
}

func (l *loaderProc) why() string {
	return strings.TrimPrefix(strings.TrimSpace(l.stderr.String()), "load: ")
}

// exited reports, without waiting, whether the server has exited.
func (s *serverProc) exited() (error, bool) {
	select {
	case err := <-s.done:
		s.done <- err
		return err, true
	default:
		return nil, false
	}
}

// deathCause explains a server's exit; SIGKILL without the runner asking
// is most likely the kernel's OOM killer.
func deathCause(err error, s *serverProc) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return "killed by SIGKILL, most likely the kernel's OOM killer (out of memory: see dmesg; " +
				"lower -idle-conns or free memory); stderr: " + s.stderr.String()
		}
	}
	return fmt.Sprintf("%v; stderr: %s", err, s.stderr)
}

// openFDs counts a process's open descriptors (0 when unknown).
func openFDs(pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0
	}
	return len(ents)
}

// idleFlags are cmd/run's idle flags, used by Run when Options.Idle is zero.
var idleFlags *IdleOptions

// SetIdleFlags gives Run the idle options to use when Options.Idle is
// zero: cmd/run passes the variables its flags parse into.
func SetIdleFlags(p *IdleOptions) { idleFlags = p }

// dialAdvice explains a load process's dial failure (a timeout) from the
// kernel's figures: the source address's share of the connect() ports, the
// listen queue overflows during the ramp, and TIME_WAIT sockets.
func dialAdvice(o *Options, why string, ports int, overflowsBefore int64) string {
	if !strings.Contains(why, "i/o timeout") {
		return ""
	}
	var notes []string
	per := (o.IdleConns + max(1, o.Idle.Loaders) - 1) / max(1, o.Idle.Loaders)
	if cp := connectPorts(ports); ports > 0 && per > cp-fdMargin {
		notes = append(notes, fmt.Sprintf("each source address needs %d ports but connect() takes only the %d even ports of "+
			"ip_local_port_range first, then scans them all for every connection: use -idle-loaders >= %d, or widen the "+
			"range for the run (%s)", per, cp, o.IdleConns/(cp-fdMargin)+1, portRangeAdvice))
	}
	if ov := tcpExt("ListenOverflows"); ov >= 0 && overflowsBefore >= 0 && ov > overflowsBefore {
		notes = append(notes, fmt.Sprintf("%d listen queue overflows during the ramp (TcpExtListenOverflows): the servers "+
			"did not accept fast enough for net.core.somaxconn (%d); raise it for the run (sysctl -w net.core.somaxconn=65535) "+
			"or use more -idle-servers", ov-overflowsBefore, procstat.Somaxconn()))
	}
	if tw := timeWait(); tw >= 0 {
		notes = append(notes, fmt.Sprintf("%d TIME_WAIT sockets (/proc/net/sockstat; net.ipv4.tcp_max_tw_buckets caps them, "+
			"and beyond it sockets close at once, which does not stop a dial)", tw))
	}
	if len(notes) == 0 {
		return ""
	}
	return " (" + strings.Join(notes, "; ") + ")"
}

// tcpExt reads a TcpExt counter from /proc/net/netstat; -1 when unknown.
func tcpExt(name string) int64 {
	b, err := os.ReadFile("/proc/net/netstat")
	if err != nil {
		return -1
	}
	lines := strings.Split(string(b), "\n")
	for i := 0; i+1 < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "TcpExt:") || !strings.HasPrefix(lines[i+1], "TcpExt:") {
			continue
		}
		names, vals := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		for j := range names {
			if names[j] == name && j < len(vals) {
				v, err := strconv.ParseInt(vals[j], 10, 64)
				if err != nil {
					return -1
				}
				return v
			}
		}
	}
	return -1
}

// timeWait is the TIME_WAIT socket count of /proc/net/sockstat; -1 when
// unknown.
func timeWait() int64 {
	b, err := os.ReadFile("/proc/net/sockstat")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "TCP:"); ok {
			f := strings.Fields(rest)
			for j := 0; j+1 < len(f); j++ {
				if f[j] == "tw" {
					v, err := strconv.ParseInt(f[j+1], 10, 64)
					if err == nil {
						return v
					}
				}
			}
		}
	}
	return -1
}
