package poller_test

import (
	"fmt"
	"net"
	"time"

	"github.com/gale-io/gale/poller"
)

// A poller reports readiness for registered descriptors by token. Here the
// descriptor is a listening socket from package net, readable once a
// connection waits in its queue.
func Example() {
	p, err := poller.New()
	if err != nil {
		panic(err)
	}
	defer p.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	raw, _ := ln.(*net.TCPListener).SyscallConn()
	var fd poller.FD
	raw.Control(func(s uintptr) { fd = poller.FD(s) })

	if err := p.Add(fd, poller.Readable, 42); err != nil {
		panic(err)
	}
	defer p.Delete(fd)

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	defer c.Close()

	events := make([]poller.Event, 8)
	for {
		n, err := p.Wait(events, 5*time.Second)
		if err != nil {
			panic(err)
		}
		for _, e := range events[:n] {
			fmt.Println(e.Token, e.Events&poller.Readable)
			return
		}
	}
	// Output: 42 Readable
}

// Wake interrupts a Wait from another goroutine.
func ExamplePoller_Wake() {
	p, _ := poller.New()
	defer p.Close()
	go p.Wake()
	n, err := p.Wait(make([]poller.Event, 1), -1) // returns once woken
	fmt.Println(n, err)
	// Output: 0 <nil>
}
