// Command linekv is the example of docs/streams.md: a line-based key-value
// server on gale's tcpserver, and a client for it on tcpclient.
//
//	go run ./docs/examples/linekv serve  [-addr 127.0.0.1:7070] [-loops N] [-max-line 1024] [-idle 5m] [-grace 5s]
//	go run ./docs/examples/linekv client [-addr 127.0.0.1:7070] [command ...]
//
// The protocol is one request per line and one reply line per request:
//
//	SET key value   OK                     (the value is the rest of the line)
//	GET key         VALUE value | NOT_FOUND
//	DEL key         DELETED | NOT_FOUND
//	QUIT            BYE, and the server closes the connection
//	anything else   ERR ...
//
// A request line longer than -max-line bytes is answered "ERR line too
// long" and the connection is closed. The client sends the commands given
// as arguments (pipelined), or else each line of its standard input, and
// prints the replies. The server stops on SIGINT or SIGTERM: it stops
// accepting, closes idle connections, lets requests in flight finish, and
// gives up on the rest after -grace.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gale-io/gale/loop"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("linekv: ")
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serveMain(os.Args[2:])
	case "client":
		err = clientMain(os.Args[2:], os.Stdin, os.Stdout)
	default:
		usage()
	}
	if err != nil {
		log.Fatal(err)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: linekv serve [flags] | linekv client [flags] [command ...]")
	os.Exit(2)
}

func serveMain(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:7070", "listen address (host:port; port 0 picks one)")
	loops := fs.Int("loops", 0, "event loops (0: GOMAXPROCS)")
	maxLine := fs.Int("max-line", DefaultMaxLine, "longest request line in bytes, newline included")
	idle := fs.Duration("idle", DefaultIdle, "close connections idle this long (negative: never)")
	grace := fs.Duration("grace", 5*time.Second, "on SIGINT/SIGTERM, how long requests in flight may finish")
	fs.Parse(args)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	srv := NewServer(Config{Loops: *loops, MaxLine: *maxLine, Idle: *idle})
	if err := srv.Listen(*addr); err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	log.Printf("listening on %s", srv.Addr())

	<-ctx.Done()
	stop() // a second signal kills the process the default way
	log.Printf("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("connections still open after %v were closed: %w", *grace, err)
	}
	return nil
}

func clientMain(args []string, in io.Reader, out io.Writer) error {
	fs := flag.NewFlagSet("client", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:7070", "server address (host:port)")
	fs.Parse(args)
	return runClient(*addr, fs.Args(), in, out)
}

// runClient connects to addr, sends cmds pipelined (or, with none, each
// line read from in, one at a time) and prints every reply to out. The
// loop runs on this goroutine; stdin is read on another, which hands each
// line to the loop with Post.
func runClient(addr string, cmds []string, in io.Reader, out io.Writer) error {
	l, err := loop.New(nil)
	if err != nil {
		return err
	}
	defer l.Close()
	stopped := make(chan struct{}) // tells the stdin goroutine the loop is gone
	defer close(stopped)
	_, err = loop.RunSync(l, 0, func(done func(struct{}, error)) {
		Dial(context.Background(), l, addr, func(c *Client, err error) {
			if err != nil {
				done(struct{}{}, err)
				return
			}
			if len(cmds) == 0 {
				// Done when the server hangs up (after QUIT) or stdin ends.
				c.SetCloseCallback(func(error) { done(struct{}{}, nil) })
				go readCommands(l, c, in, out, done, stopped)
				return
			}
			left := len(cmds)
			for _, cmd := range cmds {
				c.Do(cmd, func(reply string, err error) {
					if err != nil {
						done(struct{}{}, fmt.Errorf("%q: %w", cmd, err))
						return
					}
					fmt.Fprintln(out, reply)
					if left--; left == 0 {
						c.Close()
						done(struct{}{}, nil)
					}
				})
			}
		})
	})
	return err
}

// readCommands runs on its own goroutine: reading stdin blocks, so it may
// not run on the loop. Each line goes to the loop with Post, and the
// goroutine waits for the reply before it reads the next.
func readCommands(l *loop.Loop, c *Client, in io.Reader, out io.Writer, done func(struct{}, error), stopped <-chan struct{}) {
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		cmd := sc.Text()
		replied := make(chan error, 1)
		if l.Post(func() {
			c.Do(cmd, func(reply string, err error) {
				if err == nil {
					fmt.Fprintln(out, reply)
				}
				replied <- err
			})
		}) != nil {
			return // the loop is gone
		}
		select {
		case err := <-replied:
			if errors.Is(err, io.EOF) {
				// The server hung up (after QUIT, say): the end.
				l.Post(func() { done(struct{}{}, nil) })
				return
			}
			if err != nil {
				l.Post(func() { done(struct{}{}, fmt.Errorf("%q: %w", cmd, err)) })
				return
			}
		case <-stopped: // the server hung up, and the loop stopped
			return
		}
	}
	err := sc.Err()
	l.Post(func() {
		c.Close()
		done(struct{}{}, err)
	})
}
