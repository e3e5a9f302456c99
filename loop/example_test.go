package loop_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/poller"
)

// A loop runs callbacks, timers and periodic calls on one goroutine.
// RunSync runs it until the function reports a result.
func Example() {
	l, err := loop.New(nil)
	if err != nil {
		panic(err)
	}
	defer l.Close()

	ticks := 0
	msg, err := loop.RunSync(l, time.Second, func(done func(string, error)) {
		l.Post(func() { fmt.Println("callback") })
		l.CallLater(10*time.Millisecond, func() { fmt.Println("timer") })
		var p *loop.Periodic
		p = loop.NewPeriodic(l, 5*time.Millisecond, 0, func() {
			if ticks++; ticks == 3 {
				p.Stop()
				done(fmt.Sprintf("stopped after %d ticks", ticks), nil)
			}
		})
		p.Start()
	})
	fmt.Println(msg, err)
	// Output:
	// callback
	// timer
	// stopped after 3 ticks <nil>
}

// Post is the one way in from other goroutines.
func ExampleLoop_Post() {
	l, _ := loop.New(nil)
	stopped := make(chan error)
	go func() { stopped <- l.Run() }()

	got := make(chan string)
	go func() {
		l.Post(func() { got <- "ran on the loop" })
	}()
	fmt.Println(<-got)

	l.Stop()
	fmt.Println(<-stopped, l.Close())
	// Output:
	// ran on the loop
	// <nil> <nil>
}

// Offload runs blocking work off the loop and brings the result back.
func ExampleOffload() {
	l, _ := loop.New(nil)
	defer l.Close()
	n, err := loop.RunSync(l, time.Second, func(done func(int, error)) {
		loop.Offload(l, func() (int, error) {
			// Blocking work (a file read, a DNS query) goes here.
			return len(strings.Fields("off the loop")), nil
		}, done) // done runs on the loop's goroutine
	})
	fmt.Println(n, err)
	// Output: 3 <nil>
}

// Call runs a function on a loop that another goroutine is running.
func ExampleCall() {
	l, _ := loop.New(nil)
	stopped := make(chan error)
	go func() { stopped <- l.Run() }()

	backend, err := loop.Call(context.Background(), l, func() (bool, error) {
		return l.Backend() != "", nil
	})
	fmt.Println(backend, err)

	l.Stop()
	<-stopped
	l.Close()
	// Output: true <nil>
}

// AddHandler watches a descriptor. Here it is a listening socket from
// package net, which becomes readable when a connection is waiting.
func ExampleLoop_AddHandler() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	raw, _ := ln.(*net.TCPListener).SyscallConn()
	var fd poller.FD
	raw.Control(func(s uintptr) { fd = poller.FD(s) })

	// A client connects; the connection waits in the listener's queue.
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	defer c.Close()

	l, _ := loop.New(nil)
	defer l.Close()
	msg, err := loop.RunSync(l, 5*time.Second, func(done func(string, error)) {
		err := l.AddHandler(fd, loop.Readable, loop.HandlerFunc(func(fd poller.FD, ev poller.Events) {
			// Accept here, at most a budget's worth per call.
			l.RemoveHandler(fd)
			done(fmt.Sprintf("listener readable: %v", ev&loop.Readable != 0), nil)
		}))
		if err != nil {
			done("", err)
		}
	})
	fmt.Println(msg, err)
	// Output: listener readable: true <nil>
}

// A package keeps per-loop state, here a counter, under a key of its own:
// only the loop's goroutine touches it, so it needs no lock.
func ExampleLoop_Local() {
	var counterKey = loop.NewLocalKey() // at package level in real code

	count := func(l *loop.Loop) int {
		p := l.Local(counterKey)
		n, _ := (*p).(*int)
		if n == nil {
			n = new(int)
			*p = n
		}
		*n++
		return *n
	}

	l, _ := loop.New(nil)
	defer l.Close()
	n, _ := loop.RunSync(l, time.Second, func(done func(int, error)) {
		count(l)
		count(l)
		done(count(l), nil)
	})
	fmt.Println(n)
	// Output: 3
}
