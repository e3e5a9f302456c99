//go:build unix

package subprocess

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync/atomic"
	"syscall"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream"
	"golang.org/x/sys/unix"
)

// forceGoroutine makes Start watch every exit with a goroutine; tests set
// it to run both watchers on Linux.
var forceGoroutine atomic.Bool

func start(l *loop.Loop, cmd *exec.Cmd, o *Options) (*Process, error) {
	p := &Process{l: l, cmd: cmd, path: cmd.Path}
	var children [3]*os.File // the child's ends, closed once it runs
	fail := func(err error) (*Process, error) {
		for i, f := range children {
			if f != nil {
				f.Close()
				children[i] = nil
			}
		}
		p.Close()
		// Leave the Cmd as it was given, not holding closed files.
		if o.Stdin == Pipe {
			cmd.Stdin = nil
		}
		if o.Stdout == Pipe {
			cmd.Stdout = nil
		}
		if o.Stderr != FromCmd {
			cmd.Stderr = nil
		}
		return nil, err
	}

	// Each pipe: the parent's end becomes a stream at once (it owns the
	// descriptor from then on), the child's end an *os.File for os/exec,
	// which hands an *os.File to the child as it is. Both ends are
	// close-on-exec; os/exec's dup2 onto 0, 1 or 2 clears that in the
	// child only.
	var err error
	if o.Stdin == Pipe {
		if p.stdin, children[0], err = newPipe(l, o.Stream, false, "stdin"); err != nil {
			return fail(err)
		}
		cmd.Stdin = children[0]
	}
	if o.Stdout == Pipe {
		if p.stdout, children[1], err = newPipe(l, o.Stream, true, "stdout"); err != nil {
			return fail(err)
		}
		cmd.Stdout = children[1]
	}
	switch o.Stderr {
	case Pipe:
		if p.stderr, children[2], err = newPipe(l, o.Stream, true, "stderr"); err != nil {
			return fail(err)
		}
		cmd.Stderr = children[2]
	case ToStdout:
		// os/exec passes one *os.File twice, and copies for one writer
		// given twice with a single goroutine.
		cmd.Stderr = cmd.Stdout
	}

	if err := cmd.Start(); err != nil {
		return fail(fmt.Errorf("subprocess: start: %w", err))
	}
	for _, f := range children {
		if f != nil {
			f.Close() // the child has its copy; EOF must not wait for ours
		}
	}
	p.pid = cmd.Process.Pid
	if !p.watchPidfd() {
		p.watchGoroutine()
	}
	return p, nil
}

// newPipe makes a pipe and returns a stream over the parent's end and the
// child's end as a file; parentReads says which end is the parent's.
func newPipe(l *loop.Loop, opts *stream.Options, parentReads bool, name string) (*stream.Stream, *os.File, error) {
	r, w, err := pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("subprocess: %s: %w", name, err)
	}
	parent, child := w, r
	if parentReads {
		parent, child = r, w
	}
	s, err := stream.NewPipe(l, parent, opts)
	if err != nil {
		unix.Close(parent)
		unix.Close(child)
		return nil, nil, fmt.Errorf("subprocess: %s: %w", name, err)
	}
	return s, os.NewFile(uintptr(child), "|"+name), nil
}

// watchGoroutine learns of the exit from a goroutine blocked in cmd.Wait,
// which also lets os/exec finish its own copying goroutines and close its
// descriptors, and posts the result to the loop. If the loop is closed by
// then, the result is dropped; the child is reaped all the same.
func (p *Process) watchGoroutine() {
	p.watcher = "goroutine"
	cmd, l := p.cmd, p.l
	go func() {
		err := cmd.Wait()
		state := cmd.ProcessState
		l.Post(func() { p.exit(state, err) })
	}()
}

// exit records the result of cmd.Wait, on the loop, and schedules the
// callbacks: the exit callback, then the waiters in order. Each runs as
// its own posted callback, so that one that panics does not keep the
// others from running.
func (p *Process) exit(state *os.ProcessState, err error) {
	p.exited = true
	p.state = state
	p.code = returnCode(state)
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee) || (state != nil && !state.Success()):
		p.err = &ExitError{Path: p.path, Code: p.code, State: state}
	case err != nil:
		p.err = fmt.Errorf("subprocess: wait: %w", err)
	}
	if cb := p.exitCb; cb != nil {
		p.exitCb = nil
		// Until it runs, a SetExitCallback (now after the exit) replaces
		// or removes it, as it does one it posts itself.
		gen := p.exitGen
		p.l.Post(func() {
			if p.exitGen == gen {
				cb(state)
			}
		})
	}
	code, perr := p.code, p.err
	for _, cb := range p.waiters {
		p.l.Post(func() { cb(code, perr) })
	}
	p.waiters = nil
}

// returnCode is Tornado's returncode: the exit status, or -N for a death
// by signal N; -1 when there is no state.
func returnCode(state *os.ProcessState) int {
	if state == nil {
		return -1
	}
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -int(ws.Signal())
	}
	return state.ExitCode()
}
