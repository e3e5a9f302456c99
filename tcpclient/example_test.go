package tcpclient_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/netutil"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpclient"
)

// echoListener starts a loopback echo server with package net, for the
// examples.
func echoListener() net.Listener {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go echo(c)
		}
	}()
	return ln
}

// Connect, send a line, read the reply.
func ExampleConnect() {
	ln := echoListener()
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	l, err := loop.New(nil)
	if err != nil {
		panic(err)
	}
	defer l.Close()
	reply, err := loop.RunSync(l, 10*time.Second, func(done func(string, error)) {
		opts := &tcpclient.Options{Timeout: 5 * time.Second, NoDelay: true}
		tcpclient.Connect(context.Background(), l, "127.0.0.1", port, opts, func(s *stream.Stream, err error) {
			if err != nil {
				done("", err)
				return
			}
			s.Write([]byte("hello, gale\n"), nil)
			s.ReadUntil([]byte("\n"), 1024, func(line []byte, err error) {
				reply := string(line) // line is only valid in this callback
				s.Close()
				done(reply, err)
			})
		})
	})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Print(reply)
	// Output: hello, gale
}

// A name with two addresses, the first of which refuses: the second
// attempt starts at once, without waiting for the attempt delay.
func ExampleConnect_happyEyeballs() {
	ln := echoListener()
	defer ln.Close()
	working := ln.Addr().(*net.TCPAddr).AddrPort()
	dead, _ := net.Listen("tcp4", "127.0.0.1:0")
	refusing := dead.Addr().(*net.TCPAddr).AddrPort()
	dead.Close() // nothing listens there now

	opts := &tcpclient.Options{
		Resolver: &netutil.OverrideResolver{Hosts: map[string][]netip.AddrPort{
			"db.internal": {refusing, working},
		}},
		AttemptDelay: 2 * time.Second,
	}
	l, err := loop.New(nil)
	if err != nil {
		panic(err)
	}
	defer l.Close()
	start := time.Now()
	peer, err := loop.RunSync(l, 10*time.Second, func(done func(netip.AddrPort, error)) {
		tcpclient.Connect(context.Background(), l, "db.internal", 5432, opts, func(s *stream.Stream, err error) {
			if err != nil {
				done(netip.AddrPort{}, err)
				return
			}
			defer s.Close()
			done(s.RemoteAddr().(*net.TCPAddr).AddrPort(), nil)
		})
	})
	fmt.Println("connected to the working address:", err == nil && peer == working)
	fmt.Println("before the attempt delay:", time.Since(start) < opts.AttemptDelay)
	// Output:
	// connected to the working address: true
	// before the attempt delay: true
}
