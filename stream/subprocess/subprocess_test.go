//go:build unix

package subprocess_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/stream/subprocess"
)

// watchers runs f once per way of watching exits this platform has.
func watchers(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	names := []string{"goroutine"}
	if runtime.GOOS == "linux" {
		names = append(names, "pidfd")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Cleanup(subprocess.SetForceGoroutine(name == "goroutine"))
			f(t)
		})
	}
}

// run runs a fresh loop until f calls done.
func run(t *testing.T, f func(l *loop.Loop, done func())) {
	t.Helper()
	l := testloop.New(t, nil)
	testloop.Run(t, l, func(done func()) { f(l, done) })
}

// start starts cmd or fails the test; at cleanup the child is killed and
// its pipes are closed, in case the test failed halfway.
func start(t *testing.T, l *loop.Loop, cmd *exec.Cmd, opts *subprocess.Options) *subprocess.Process {
	t.Helper()
	p, err := subprocess.Start(l, cmd, opts)
	if err != nil {
		t.Fatalf("Start %v: %v", cmd.Args, err)
	}
	t.Cleanup(func() {
		p.Kill()
		p.Close()
	})
	return p
}

// readAll reads s to its end into a string and calls cb with it.
func readAll(t *testing.T, s *stream.Stream, cb func(string)) {
	t.Helper()
	if err := s.ReadUntilClose(func(data []byte, err error) {
		if err != nil {
			t.Errorf("ReadUntilClose: %v", err)
		}
		cb(string(data))
	}); err != nil {
		t.Fatalf("ReadUntilClose: %v", err)
	}
}

// counter calls done after n calls of the function it returns.
func counter(n int, done func()) func() {
	return func() {
		if n--; n == 0 {
			done()
		}
	}
}

// Echo through cat: 1 MiB written to stdin in 64 KiB chunks, each after the
// previous one reached the kernel, then end of file; stdout read back as it
// comes must be the same bytes.
func TestCatEcho(t *testing.T) {
	watchers(t, func(t *testing.T) {
		const size, chunk = 1 << 20, 64 << 10
		data := make([]byte, size)
		rng := rand.NewChaCha8([32]byte{1})
		rng.Read(data)

		run(t, func(l *loop.Loop, done func()) {
			p := start(t, l, exec.Command("cat"), &subprocess.Options{Stdin: subprocess.Pipe, Stdout: subprocess.Pipe})
			if p.Stderr() != nil {
				t.Errorf("Stderr() = %v without a pipe, want nil", p.Stderr())
			}
			step := counter(2, done)

			var writeFrom func(off int)
			writeFrom = func(off int) {
				if off == size {
					if err := p.Stdin().CloseWrite(); err != nil {
						t.Errorf("CloseWrite: %v", err)
					}
					return
				}
				if err := p.Stdin().Write(data[off:off+chunk], func(err error) {
					if err != nil {
						t.Errorf("write at %d: %v", off, err)
						return
					}
					writeFrom(off + chunk)
				}); err != nil {
					t.Errorf("Write: %v", err)
				}
			}
			writeFrom(0)

			var got bytes.Buffer
			p.Stdout().ReadStream(func(b []byte, err error) {
				got.Write(b)
				if err == nil {
					return
				}
				if err != io.EOF {
					t.Errorf("ReadStream: %v", err)
				}
				if !bytes.Equal(got.Bytes(), data) {
					t.Errorf("read back %d bytes, not the %d written (first difference at %d)", got.Len(), size, firstDiff(got.Bytes(), data))
				}
				step()
			})
			p.Wait(func(code int, err error) {
				if code != 0 || err != nil {
					t.Errorf("cat exited with %d, %v", code, err)
				}
				step()
			})
		})
	})
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestStderrSeparate(t *testing.T) {
	watchers(t, func(t *testing.T) {
		run(t, func(l *loop.Loop, done func()) {
			p := start(t, l, exec.Command("sh", "-c", "echo out; echo err >&2; echo out2"),
				&subprocess.Options{Stdout: subprocess.Pipe, Stderr: subprocess.Pipe})
			step := counter(3, done)
			readAll(t, p.Stdout(), func(s string) {
				if s != "out\nout2\n" {
					t.Errorf("stdout %q", s)
				}
				step()
			})
			readAll(t, p.Stderr(), func(s string) {
				if s != "err\n" {
					t.Errorf("stderr %q", s)
				}
				step()
			})
			p.Wait(func(code int, err error) {
				if code != 0 || err != nil {
					t.Errorf("exit %d, %v", code, err)
				}
				step()
			})
		})
	})
}

func TestStderrToStdout(t *testing.T) {
	run(t, func(l *loop.Loop, done func()) {
		p := start(t, l, exec.Command("sh", "-c", "echo out; echo err >&2; echo out2"),
			&subprocess.Options{Stdout: subprocess.Pipe, Stderr: subprocess.ToStdout})
		if p.Stderr() != nil {
			t.Errorf("Stderr() = %v with ToStdout, want nil", p.Stderr())
		}
		step := counter(2, done)
		readAll(t, p.Stdout(), func(s string) {
			if s != "out\nerr\nout2\n" {
				t.Errorf("stdout %q, want both streams in order", s)
			}
			step()
		})
		p.Wait(func(int, error) { step() })
	})
}

// FromCmd hands an *os.File to the child as it is.
func TestStderrFromCmdFile(t *testing.T) {
	watchers(t, func(t *testing.T) {
		f, err := os.CreateTemp(t.TempDir(), "stderr")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		run(t, func(l *loop.Loop, done func()) {
			cmd := exec.Command("sh", "-c", "echo to-file >&2")
			cmd.Stderr = f
			p := start(t, l, cmd, nil)
			p.Wait(func(code int, err error) {
				if code != 0 || err != nil {
					t.Errorf("exit %d, %v", code, err)
				}
				done()
			})
		})
		if b, _ := os.ReadFile(f.Name()); string(b) != "to-file\n" {
			t.Errorf("file holds %q", b)
		}
	})
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		args []string
		code int
	}{
		{[]string{"true"}, 0},
		{[]string{"false"}, 1},
		{[]string{"sh", "-c", "exit 3"}, 3},
		{[]string{"sh", "-c", "exit 255"}, 255},
	}
	watchers(t, func(t *testing.T) {
		for _, tt := range tests {
			t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
				run(t, func(l *loop.Loop, done func()) {
					cmd := exec.Command(tt.args[0], tt.args[1:]...)
					p := start(t, l, cmd, nil)
					step := counter(2, done)
					var gotState *os.ProcessState
					p.SetExitCallback(func(state *os.ProcessState) {
						gotState = state
						if state == nil || state.ExitCode() != tt.code {
							t.Errorf("exit callback state %v, want exit status %d", state, tt.code)
						}
						if p.ProcessState() != state {
							t.Errorf("ProcessState() = %p, exit callback got %p", p.ProcessState(), state)
						}
						step()
					})
					p.Wait(func(code int, err error) {
						if gotState == nil {
							t.Errorf("Wait's callback ran before the exit callback")
						}
						if code != tt.code {
							t.Errorf("code %d, want %d", code, tt.code)
						}
						if tt.code == 0 {
							if err != nil {
								t.Errorf("err = %v, want nil", err)
							}
							step()
							return
						}
						var ee *subprocess.ExitError
						if !errors.As(err, &ee) {
							t.Fatalf("err = %#v, want an *ExitError", err)
						}
						if ee.Code != tt.code || ee.State != gotState || ee.Path != cmd.Path {
							t.Errorf("ExitError %+v, want Code %d, State %p, Path %q", ee, tt.code, gotState, cmd.Path)
						}
						if want := "subprocess: " + cmd.Path + ": exit status " + strconv.Itoa(tt.code); ee.Error() != want {
							t.Errorf("Error() = %q, want %q", ee.Error(), want)
						}
						step()
					})
				})
			})
		}
	})
}

// A signal shows in the exit state and as a negative code, as Tornado's
// returncode; once the exit is collected, signals fail with ErrProcessDone.
func TestSignal(t *testing.T) {
	tests := []struct {
		name string
		send func(p *subprocess.Process) error
		sig  syscall.Signal
	}{
		{"Kill", (*subprocess.Process).Kill, syscall.SIGKILL},
		{"SIGTERM", func(p *subprocess.Process) error { return p.Signal(syscall.SIGTERM) }, syscall.SIGTERM},
	}
	watchers(t, func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				run(t, func(l *loop.Loop, done func()) {
					p := start(t, l, exec.Command("sleep", "100"), &subprocess.Options{Stdout: subprocess.Pipe})
					if err := tt.send(p); err != nil {
						t.Fatalf("signal: %v", err)
					}
					step := counter(3, done)
					p.SetExitCallback(func(state *os.ProcessState) {
						ws, ok := state.Sys().(syscall.WaitStatus)
						if !ok || !ws.Signaled() || ws.Signal() != tt.sig {
							t.Errorf("state %v, want killed by %v", state, tt.sig)
						}
						step()
					})
					p.Wait(func(code int, err error) {
						if code != -int(tt.sig) {
							t.Errorf("code %d, want %d", code, -int(tt.sig))
						}
						var ee *subprocess.ExitError
						if !errors.As(err, &ee) || ee.Code != code {
							t.Errorf("err = %v, want an *ExitError with code %d", err, code)
						} else if !strings.Contains(ee.Error(), "signal: "+tt.sig.String()) {
							t.Errorf("Error() = %q, want the signal named", ee.Error())
						}
						if err := p.Kill(); !errors.Is(err, os.ErrProcessDone) {
							t.Errorf("Kill after the exit: %v, want os.ErrProcessDone", err)
						}
						step()
					})
					// sleep's stdout closes with it.
					readAll(t, p.Stdout(), func(s string) { step() })
				})
			})
		}
	})
}

// A CommandContext's cancellation kills the child as os/exec does, and
// the exit is reported as a kill.
func TestCommandContext(t *testing.T) {
	watchers(t, func(t *testing.T) {
		run(t, func(l *loop.Loop, done func()) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			p := start(t, l, exec.CommandContext(ctx, "sleep", "100"), nil)
			cancel()
			p.Wait(func(code int, err error) {
				var ee *subprocess.ExitError
				if code != -int(syscall.SIGKILL) || !errors.As(err, &ee) {
					t.Errorf("exit %d, %v; want -9 and an *ExitError", code, err)
				}
				done()
			})
		})
	})
}

// Fifty children at once on one loop, each with its own output and code.
func TestMany(t *testing.T) {
	const n = 50
	watchers(t, func(t *testing.T) {
		run(t, func(l *loop.Loop, done func()) {
			step := counter(2*n, done)
			for i := range n {
				p := start(t, l, exec.Command("sh", "-c", `echo "child $0"; exit $(($0 % 7))`, strconv.Itoa(i)),
					&subprocess.Options{Stdout: subprocess.Pipe})
				readAll(t, p.Stdout(), func(s string) {
					if want := fmt.Sprintf("child %d\n", i); s != want {
						t.Errorf("child %d wrote %q, want %q", i, s, want)
					}
					step()
				})
				p.Wait(func(code int, err error) {
					if code != i%7 || (err == nil) != (code == 0) {
						t.Errorf("child %d: exit %d, %v; want %d", i, code, err, i%7)
					}
					step()
				})
			}
		})
	})
}

// Wait and SetExitCallback after the exit still report it, on a later
// turn, never inside the call.
func TestWaitAfterExit(t *testing.T) {
	watchers(t, func(t *testing.T) {
		run(t, func(l *loop.Loop, done func()) {
			p := start(t, l, exec.Command("sh", "-c", "exit 5"), nil)
			p.Wait(func(int, error) {
				step := counter(2, done)
				returned := false
				p.Wait(func(code int, err error) {
					if !returned {
						t.Errorf("Wait after the exit ran its callback inline")
					}
					if code != 5 || err == nil {
						t.Errorf("late Wait: %d, %v", code, err)
					}
					step()
				})
				p.SetExitCallback(func(state *os.ProcessState) {
					if !returned {
						t.Errorf("SetExitCallback after the exit ran its callback inline")
					}
					if state.ExitCode() != 5 {
						t.Errorf("late exit callback: %v", state)
					}
					step()
				})
				returned = true
			})
		})
	})
}

// The exit is reported while a process the child left behind still holds
// stdout open: it does not wait for the pipe's end of file.
func TestExitBeforeEOF(t *testing.T) {
	watchers(t, func(t *testing.T) {
		run(t, func(l *loop.Loop, done func()) {
			p := start(t, l, exec.Command("sh", "-c", "sleep 100 & echo $!"), &subprocess.Options{Stdout: subprocess.Pipe})
			out := p.Stdout()
			out.ReadUntil([]byte("\n"), 64, func(line []byte, err error) {
				if err != nil {
					t.Fatalf("reading the pid: %v", err)
				}
				pid, err := strconv.Atoi(strings.TrimSpace(string(line)))
				if err != nil {
					t.Fatalf("pid line %q: %v", line, err)
				}
				p.Wait(func(code int, err error) {
					if code != 0 || err != nil {
						t.Errorf("sh exited with %d, %v", code, err)
					}
					if out.Closed() {
						t.Errorf("stdout closed although sleep holds it")
					}
					// Now end the sleep; stdout reaches end of file.
					if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
						t.Errorf("kill sleep: %v", err)
					}
					readAll(t, out, func(s string) {
						if s != "" {
							t.Errorf("more output: %q", s)
						}
						if !errors.Is(out.Err(), io.EOF) {
							t.Errorf("stdout closed with %v, want io.EOF", out.Err())
						}
						done()
					})
				})
			})
		})
	})
}

// Writing to a child that has exited fails the stream with EPIPE; SIGPIPE
// does not kill the program.
func TestWriteAfterExit(t *testing.T) {
	run(t, func(l *loop.Loop, done func()) {
		p := start(t, l, exec.Command("true"), &subprocess.Options{Stdin: subprocess.Pipe})
		p.Wait(func(int, error) {
			in := p.Stdin()
			err := in.Write(make([]byte, 1<<20), func(err error) {
				if !errors.Is(err, stream.ErrClosed) || !errors.Is(err, syscall.EPIPE) {
					t.Errorf("write callback: %v, want a *ClosedError with EPIPE", err)
				}
				done()
			})
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
		})
	})
}

// Close releases the pipes: cat reads end of file and exits 0.
func TestClose(t *testing.T) {
	watchers(t, func(t *testing.T) {
		run(t, func(l *loop.Loop, done func()) {
			p := start(t, l, exec.Command("cat"), &subprocess.Options{Stdin: subprocess.Pipe, Stdout: subprocess.Pipe})
			p.Close()
			if !p.Stdin().Closed() || !p.Stdout().Closed() {
				t.Errorf("Close left a pipe open")
			}
			p.Close() // twice does nothing
			p.Wait(func(code int, err error) {
				if code != 0 || err != nil {
					t.Errorf("cat exited with %d, %v", code, err)
				}
				done()
			})
		})
	})
}

// Start fails for a program that does not exist, for options that make
// no sense, and leaves no descriptor and no Cmd field behind.
func TestStartErrors(t *testing.T) {
	pipes := &subprocess.Options{Stdin: subprocess.Pipe, Stdout: subprocess.Pipe, Stderr: subprocess.Pipe}
	tests := []struct {
		name string
		cmd  func() *exec.Cmd
		opts *subprocess.Options
		is   error // errors.Is target, if any
	}{
		{"not in PATH", func() *exec.Cmd { return exec.Command("gale-no-such-command") }, pipes, exec.ErrNotFound},
		{"no such file", func() *exec.Cmd { return exec.Command("/nonexistent/gale") }, pipes, fs.ErrNotExist},
		{"no such dir", func() *exec.Cmd {
			c := exec.Command("true")
			c.Dir = "/nonexistent/gale"
			return c
		}, pipes, fs.ErrNotExist},
		{"ToStdout for stdin", func() *exec.Cmd { return exec.Command("true") }, &subprocess.Options{Stdin: subprocess.ToStdout}, nil},
		{"out of range", func() *exec.Cmd { return exec.Command("true") }, &subprocess.Options{Stdout: 9}, nil},
		{"Pipe with Cmd.Stdout set", func() *exec.Cmd {
			c := exec.Command("true")
			c.Stdout = io.Discard
			return c
		}, &subprocess.Options{Stdout: subprocess.Pipe}, nil},
		{"ToStdout with Cmd.Stderr set", func() *exec.Cmd {
			c := exec.Command("true")
			c.Stderr = io.Discard
			return c
		}, &subprocess.Options{Stderr: subprocess.ToStdout}, nil},
		{"nil Cmd", func() *exec.Cmd { return nil }, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run(t, func(l *loop.Loop, done func()) {
				defer done()
				before := openFDs()
				cmd := tt.cmd()
				p, err := subprocess.Start(l, cmd, tt.opts)
				if err == nil {
					p.Kill()
					p.Close()
					t.Fatalf("Start succeeded")
				}
				if !strings.HasPrefix(err.Error(), "subprocess: ") {
					t.Errorf("error %q does not start with the package name", err)
				}
				if tt.is != nil && !errors.Is(err, tt.is) {
					t.Errorf("error %v, want one wrapping %v", err, tt.is)
				}
				if after := openFDs(); after != before {
					t.Errorf("%d descriptors open before Start, %d after", before, after)
				}
				if tt.is != nil && (cmd.Stdin != nil || cmd.Stdout != nil || cmd.Stderr != nil) {
					t.Errorf("failed Start left Cmd fields set: %v %v %v", cmd.Stdin, cmd.Stdout, cmd.Stderr)
				}
			})
		})
	}
}

// openFDs counts this process's descriptors where the system tells (-1
// elsewhere).
func openFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// On Linux a pidfd watches the exit unless the Cmd has stdio os/exec
// copies with goroutines; then cmd.Wait runs on a goroutine, and the
// copying is finished when the exit is reported.
func TestWatcherChoice(t *testing.T) {
	pidfd := "goroutine"
	if runtime.GOOS == "linux" {
		pidfd = "pidfd"
		if err := pidfdOpenWorks(); err != nil {
			t.Logf("pidfd_open: %v; the goroutine fallback is in use", err)
			pidfd = "goroutine"
		}
	}
	run(t, func(l *loop.Loop, done func()) {
		step := counter(2, done)

		p := start(t, l, exec.Command("true"), &subprocess.Options{Stdout: subprocess.Pipe})
		if got := subprocess.Watcher(p); got != pidfd {
			t.Errorf("files only: watched by %s, want %s", got, pidfd)
		}
		p.Wait(func(int, error) { step() })

		var errBuf bytes.Buffer
		cmd := exec.Command("sh", "-c", "echo copied >&2")
		cmd.Stderr = &errBuf
		q := start(t, l, cmd, &subprocess.Options{Stdout: subprocess.Pipe})
		if got := subprocess.Watcher(q); got != "goroutine" {
			t.Errorf("io.Writer stderr: watched by %s, want goroutine", got)
		}
		q.Wait(func(code int, err error) {
			if code != 0 || err != nil || errBuf.String() != "copied\n" {
				t.Errorf("exit %d, %v, stderr %q", code, err, errBuf.String())
			}
			step()
		})
	})
}

func TestStdioString(t *testing.T) {
	for v, want := range map[subprocess.Stdio]string{
		subprocess.FromCmd: "FromCmd", subprocess.Pipe: "Pipe", subprocess.ToStdout: "ToStdout", 9: "Stdio(9)",
	} {
		if got := v.String(); got != want {
			t.Errorf("Stdio(%d).String() = %q, want %q", v, got, want)
		}
	}
}

// After the exit, a later SetExitCallback replaces a callback that has not
// run yet, and nil removes it, as before the exit.
func TestSetExitCallbackAfterExitReplaces(t *testing.T) {
	watchers(t, func(t *testing.T) {
		run(t, func(l *loop.Loop, done func()) {
			p := start(t, l, exec.Command("sh", "-c", "exit 3"), nil)
			p.Wait(func(int, error) {
				p.SetExitCallback(func(*os.ProcessState) { t.Error("a replaced exit callback ran") })
				p.SetExitCallback(nil)
				p.SetExitCallback(func(*os.ProcessState) { t.Error("a removed exit callback ran") })
				p.SetExitCallback(func(state *os.ProcessState) {
					if state.ExitCode() != 3 {
						t.Errorf("exit callback: %v", state)
					}
					// A turn later, nothing else may come.
					l.Post(done)
				})
			})
		})
	})
}
