// Package echo holds the echo-mode benchmark servers: raw TCP where every
// byte read is written back, in order. Each implementation is one file that
// registers itself with package server under mode "echo":
//
//	gale.go  gale's stream and tcpserver packages
//	gnet.go  github.com/panjf2000/gnet/v2, an event handler echoing in OnTraffic
//	nbio.go  github.com/lesismal/nbio, an OnData handler echoing on the poller
//	std.go   Go's net package, a goroutine per connection
package echo
