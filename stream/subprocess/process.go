package subprocess

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream"
)

// Stdio says what one of the child's standard streams is connected to.
type Stdio uint8

const (
	// FromCmd leaves the stream to the *exec.Cmd, as os/exec would: a nil
	// Cmd.Stdin, Stdout or Stderr is the null device, an *os.File is given
	// to the child as it is (os.Stderr to inherit the parent's), and any
	// other io.Reader or io.Writer is copied by a goroutine of os/exec. The
	// zero value.
	FromCmd Stdio = iota
	// Pipe connects the stream to a pipe whose parent end is a
	// *stream.Stream on the loop (Process.Stdin, Stdout or Stderr), as
	// Tornado's Subprocess.STREAM does. The Cmd's field must be nil.
	Pipe
	// ToStdout, for Options.Stderr only, sends the child's standard error
	// wherever its standard output goes, the stdout pipe included (the
	// shell's 2>&1, Python's stderr=subprocess.STDOUT). Cmd.Stderr must be
	// nil.
	ToStdout
)

// String returns the constant's name.
func (s Stdio) String() string {
	switch s {
	case FromCmd:
		return "FromCmd"
	case Pipe:
		return "Pipe"
	case ToStdout:
		return "ToStdout"
	}
	return "Stdio(" + strconv.Itoa(int(s)) + ")"
}

// Options configure Start. A nil *Options means all defaults.
type Options struct {
	// Stdin, Stdout and Stderr say what the child's standard streams are
	// connected to. Default FromCmd: what the Cmd says, which for a nil
	// field is the null device.
	Stdin, Stdout, Stderr Stdio
	// Stream configures the pipe streams. Default nil: the stream
	// package's defaults (among them a 100 MiB cap on buffered reads).
	Stream *stream.Options
}

// Process is a child process started by Start, with its pipes as streams
// on a loop: Tornado's Subprocess.
//
// Concurrency: a Process belongs to its loop, like its streams. Pid,
// Signal and Kill are safe from any goroutine; every other method must be
// called on the loop's goroutine, and the callbacks run there.
type Process struct {
	l    *loop.Loop
	cmd  *exec.Cmd
	path string
	pid  int

	stdin, stdout, stderr *stream.Stream

	// Set on the loop once the exit is known.
	exited  bool
	state   *os.ProcessState
	code    int
	err     error
	exitCb  func(*os.ProcessState)
	exitGen uint64 // SetExitCallback calls after the exit (see there)
	waiters []func(code int, err error)

	watcher string // how the exit is watched: "pidfd" or "goroutine"
}

// Start starts cmd with its standard streams connected as opts says and
// returns the running Process. It must be called on l's goroutine (or
// before l runs), and it blocks that goroutine while the child is forked
// and executes its program, as Tornado's Subprocess blocks its IOLoop in
// Popen.
//
// The Process owns cmd from now on: do not call cmd.Wait (the Process
// does), and read the exit from the Process (ProcessState, Wait) rather
// than from cmd.ProcessState, which another goroutine may be setting.
// Where opts asks for a pipe, Start sets the Cmd's field to the child's
// end, which it closes in the parent once the child runs.
//
// A program that cannot be found or executed is an error from Start, which
// wraps the error of os/exec (errors.Is(err, exec.ErrNotFound) or
// fs.ErrNotExist). Outside Unix, Start returns an error wrapping
// errors.ErrUnsupported.
func Start(l *loop.Loop, cmd *exec.Cmd, opts *Options) (*Process, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if cmd == nil {
		return nil, errNilCmd
	}
	if err := o.check(cmd); err != nil {
		return nil, err
	}
	return start(l, cmd, &o)
}

var errNilCmd = fmt.Errorf("subprocess: nil *exec.Cmd")

// check reports a caller's mistake in o before anything is opened.
func (o *Options) check(cmd *exec.Cmd) error {
	bad := func(field string, v Stdio) error {
		return fmt.Errorf("subprocess: Options.%s: %v is not valid there", field, v)
	}
	set := func(field string) error {
		return fmt.Errorf("subprocess: Options.%s asks for a pipe, but Cmd.%[1]s is already set", field)
	}
	switch o.Stdin {
	case FromCmd:
	case Pipe:
		if cmd.Stdin != nil {
			return set("Stdin")
		}
	default:
		return bad("Stdin", o.Stdin)
	}
	switch o.Stdout {
	case FromCmd:
	case Pipe:
		if cmd.Stdout != nil {
			return set("Stdout")
		}
	default:
		return bad("Stdout", o.Stdout)
	}
	switch o.Stderr {
	case FromCmd:
	case Pipe, ToStdout:
		if cmd.Stderr != nil {
			return set("Stderr")
		}
	default:
		return bad("Stderr", o.Stderr)
	}
	return nil
}

// Pid returns the child's process id. It is safe from any goroutine.
func (p *Process) Pid() int { return p.pid }

// Stdin returns the stream that writes to the child's standard input, or
// nil unless Options.Stdin was Pipe. Write to it; CloseWrite (or Close)
// gives the child end of file.
func (p *Process) Stdin() *stream.Stream { return p.stdin }

// Stdout returns the stream that reads the child's standard output, or nil
// unless Options.Stdout was Pipe. Reads reach end of file (and the stream
// closes, with io.EOF as its cause) once every holder of the pipe's write
// end, the child and any process it left behind, has closed it.
func (p *Process) Stdout() *stream.Stream { return p.stdout }

// Stderr returns the stream that reads the child's standard error, or nil
// unless Options.Stderr was Pipe.
func (p *Process) Stderr() *stream.Stream { return p.stderr }

// Signal sends sig to the child. It is safe from any goroutine. Once the
// child's exit has been collected it returns os.ErrProcessDone.
func (p *Process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Kill sends SIGKILL to the child (Signal(os.Kill)). It is safe from any
// goroutine. The exit callbacks then see the signal in the state, and a
// code of -9.
func (p *Process) Kill() error { return p.cmd.Process.Kill() }

// ProcessState returns the child's exit state, or nil until the loop has
// learned of the exit (or if collecting it failed; Wait then reports why).
func (p *Process) ProcessState() *os.ProcessState { return p.state }

// SetExitCallback sets the function called on the loop, with the child's
// exit state, once the child has exited: Tornado's set_exit_callback. A
// later call replaces it; nil removes it. Set after the exit, it is called
// on the loop's next turn, never inside SetExitCallback. state is nil only
// if collecting the exit failed (see Wait).
//
// The callback says nothing about the pipes: the child's output may still
// be in them, and they may stay open after it (see the package
// documentation, Exit and output).
func (p *Process) SetExitCallback(cb func(state *os.ProcessState)) {
	if !p.exited {
		p.exitCb = cb
		return
	}
	// After the exit the callback is posted: a later call (another
	// callback, or nil) replaces or removes one still waiting to run,
	// this one or the one posted when the exit was learned.
	p.exitGen++
	if cb != nil {
		state, gen := p.state, p.exitGen
		p.l.Post(func() {
			if p.exitGen == gen {
				cb(state)
			}
		})
	}
}

// Wait calls cb on the loop once the child has exited: Tornado's
// wait_for_exit. code is Tornado's returncode: the exit status, or -N if
// the child was killed by signal N (unlike ProcessState.ExitCode, which
// gives -1 then). err is nil for a zero code, an *ExitError for any other,
// and the failure if the exit could not be collected (code -1). Ignoring
// err is Tornado's raise_error=False.
//
// Any number of callbacks may wait; they run in the order of their Wait
// calls, after the exit callback. Called after the exit, Wait calls cb on
// the loop's next turn, never inside Wait.
func (p *Process) Wait(cb func(code int, err error)) {
	if !p.exited {
		p.waiters = append(p.waiters, cb)
		return
	}
	code, err := p.code, p.err
	p.l.Post(func() { cb(code, err) })
}

// Close closes the streams of the child's pipes that are still open, as
// each one's Close would. It does not signal the child, and the exit
// callbacks still run when the child exits. Closing twice does nothing.
func (p *Process) Close() {
	for _, s := range [...]*stream.Stream{p.stdin, p.stdout, p.stderr} {
		if s != nil {
			s.Close()
		}
	}
}
