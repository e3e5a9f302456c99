//go:build unix

package subprocess_test

import (
	"errors"
	"fmt"
	"os/exec"
	"time"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream/subprocess"
)

// Run echo and read its output: read stdout to its end, then Wait for the
// exit, which Wait reports even if it came first.
func Example() {
	l, err := loop.New(nil)
	if err != nil {
		panic(err)
	}
	defer l.Close()

	out, err := loop.RunSync(l, 10*time.Second, func(done func(string, error)) {
		p, err := subprocess.Start(l, exec.Command("echo", "hello"), &subprocess.Options{Stdout: subprocess.Pipe})
		if err != nil {
			done("", err)
			return
		}
		p.Stdout().ReadUntilClose(func(data []byte, _ error) {
			text := string(data) // data is only valid in this callback
			p.Wait(func(code int, err error) {
				done(fmt.Sprintf("%q, exit %d", text, code), err)
			})
		})
	})
	fmt.Println(out, err)
	// Output: "hello\n", exit 0 <nil>
}

// Feed a child's stdin while reading its stdout: cat echoes what it is
// given, and CloseWrite gives it end of file.
func Example_stdin() {
	l, err := loop.New(nil)
	if err != nil {
		panic(err)
	}
	defer l.Close()

	out, err := loop.RunSync(l, 10*time.Second, func(done func(string, error)) {
		p, err := subprocess.Start(l, exec.Command("cat"),
			&subprocess.Options{Stdin: subprocess.Pipe, Stdout: subprocess.Pipe})
		if err != nil {
			done("", err)
			return
		}
		p.Stdin().Write([]byte("one\n"), nil)
		p.Stdin().Write([]byte("two\n"), nil)
		p.Stdin().CloseWrite() // after the queued bytes are written
		p.Stdout().ReadUntilClose(func(data []byte, _ error) {
			text := string(data)
			p.Wait(func(_ int, err error) { done(text, err) })
		})
	})
	fmt.Print(out)
	fmt.Println(err)
	// Output:
	// one
	// two
	// <nil>
}

// A code other than zero is an *ExitError, carrying the code and the
// state. Here stderr is captured separately.
func ExampleExitError() {
	l, err := loop.New(nil)
	if err != nil {
		panic(err)
	}
	defer l.Close()

	_, err = loop.RunSync(l, 10*time.Second, func(done func(struct{}, error)) {
		cmd := exec.Command("/bin/sh", "-c", "echo failing >&2; exit 3")
		p, err := subprocess.Start(l, cmd, &subprocess.Options{Stderr: subprocess.Pipe})
		if err != nil {
			done(struct{}{}, err)
			return
		}
		p.Stderr().ReadUntilClose(func(data []byte, _ error) {
			fmt.Printf("stderr: %s", data)
			p.Wait(func(_ int, err error) { done(struct{}{}, err) })
		})
	})
	var ee *subprocess.ExitError
	if errors.As(err, &ee) {
		fmt.Println("code:", ee.Code)
	}
	fmt.Println(err)
	// Output:
	// stderr: failing
	// code: 3
	// subprocess: /bin/sh: exit status 3
}

// Kill a child; the exit reports the signal, and the code is minus the
// signal's number, as Tornado's returncode.
func ExampleProcess_Kill() {
	l, err := loop.New(nil)
	if err != nil {
		panic(err)
	}
	defer l.Close()

	code, err := loop.RunSync(l, 10*time.Second, func(done func(int, error)) {
		p, err := subprocess.Start(l, exec.Command("sleep", "100"), nil)
		if err != nil {
			done(0, err)
			return
		}
		p.Kill()
		p.Wait(done)
	})
	fmt.Println(code, err != nil)
	// Output: -9 true
}
