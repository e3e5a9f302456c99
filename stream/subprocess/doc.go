// Package subprocess runs child processes whose standard streams are
// gale streams on a loop, the counterpart of Tornado's process.Subprocess.
// It is for Unix; elsewhere Start returns an error wrapping
// errors.ErrUnsupported.
//
//	p, err := subprocess.Start(l, exec.Command("cat"),
//		&subprocess.Options{Stdin: subprocess.Pipe, Stdout: subprocess.Pipe})
//	p.Stdin().Write(data, nil)
//	p.Stdin().CloseWrite()                 // cat sees end of file
//	p.Stdout().ReadUntilClose(func(out []byte, _ error) {
//		p.Wait(func(code int, err error) { ... }) // err: *ExitError unless 0
//	})
//
// The command is an *exec.Cmd, so its path, arguments, environment,
// directory and SysProcAttr are set as for os/exec. For each of stdin,
// stdout and stderr, Options says Pipe (a *stream.Stream over the parent's
// end of a pipe, non-blocking, close-on-exec), ToStdout (stderr only: 2>&1)
// or FromCmd (whatever the Cmd's field says: nil is the null device,
// os.Stderr inherits the parent's).
//
// # Exit detection
//
// Go's os/exec reaps its own children, so this package does not do what
// Tornado's Subprocess.initialize does: a SIGCHLD handler that reaps with
// waitpid would steal exit statuses from every other os/exec user in the
// program. Instead each child is watched in one of two ways:
//
//   - On Linux, a process descriptor (pidfd_open) registered with the loop,
//     which polls readable when the child exits; the loop then collects
//     the exit with cmd.Wait, which no longer blocks. No goroutine or
//     thread is spent per child. This is used when pidfd_open works and
//     the Cmd's stdin, stdout and stderr are all pipes of this package,
//     nil or *os.File.
//   - Otherwise (other systems; old kernels or seccomp filters that refuse
//     pidfd_open; a Cmd with an io.Reader or io.Writer that os/exec copies
//     with goroutines), a goroutine per child blocks in cmd.Wait and posts
//     the result to the loop. While it waits it also holds an OS thread,
//     since wait is a blocking system call.
//
// Either way the callbacks run on the loop with the same results.
//
// # Exit and output
//
// When the exit callbacks run, the child has exited and been reaped, and
// everything the child itself wrote has reached its pipes; the streams may
// still hold unread data, and they may stay open after the exit, because a
// process the child left behind (sh -c 'daemon &') may hold the write end.
// The exit is not delayed until the pipes reach end of file (Tornado does
// not do that either): it could wait forever on such a process, or on a
// program that does not read its pipes. To have both the output and the
// exit, read to the end and then Wait, as above: Wait and SetExitCallback
// called after the exit still report it.
//
// # Lifetimes
//
// The pipe streams belong to the caller, as Tornado's PipeIOStreams do:
// read them to the end (a stream closes itself at end of file) or Close
// them; Process.Close closes all three. Closing them does not signal the
// child; Kill and Signal do that.
//
// Keep the loop running until the exit is reported. Where a goroutine
// watches, the child is reaped even if the loop closes first; where a
// pidfd does, the child stays a zombie and the pidfd open until the
// program ends, as a Tornado Subprocess whose IOLoop is gone is never
// reaped either.
//
// # Threading
//
// Start, the streams and every Process method except Pid, Signal and Kill
// belong to the loop's goroutine; all callbacks run there. Start blocks
// the loop while the child forks and executes its program.
//
// # Tornado mapping
//
//	Subprocess(args, stdin=..., ...)       Start(l, exec.Command(...), &Options{...})
//	Subprocess.STREAM                      Pipe
//	stderr=subprocess.STDOUT               ToStdout
//	stdin=None (inherit; the default)      FromCmd with cmd.Stdin = os.Stdin (likewise Stdout, Stderr)
//	subprocess.DEVNULL                     FromCmd with the field nil (os/exec's default)
//	a file object                          FromCmd with the field an *os.File
//	.stdin / .stdout / .stderr             Stdin() / Stdout() / Stderr(), *stream.Stream
//	.pid / .proc                           Pid() / the *exec.Cmd passed to Start
//	.returncode                            ProcessState(); the code passed to Wait
//	set_exit_callback(cb)                  SetExitCallback(cb), with an *os.ProcessState
//	wait_for_exit(raise_error=True)        Wait(cb): err is an *ExitError for a code other than 0
//	wait_for_exit(raise_error=False)       Wait(cb), ignoring err
//	CalledProcessError                     *ExitError (Code is the returncode)
//	proc.send_signal / proc.kill           Signal / Kill
//	initialize() / uninitialize()          nothing to do (see Exit detection)
//
// The code passed to Wait follows Tornado's returncode: -N for a child
// killed by signal N, where os.ProcessState.ExitCode says -1.
package subprocess
