// Package echo holds the echo-mode benchmark servers: raw TCP where every
// byte read is written back, in order. Each implementation is one file that
// registers itself with package server under mode "echo":
//
//	gale.go  gale's stream and tcpserver packages
//	gnet.go  github.com/panjf2000/gnet/v2, an event handler echoing in OnTraffic
//	std.go   Go's net package, a goroutine per connection
package echo
