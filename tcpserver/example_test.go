package tcpserver_test

import (
	"bufio"
	"fmt"
	"net"

	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpserver"
)

// A line-based upper-casing server on two loops.
func Example() {
	srv := tcpserver.New(func(s *stream.Stream) {
		var serve func()
		serve = func() {
			s.ReadUntil([]byte("\n"), 1024, func(line []byte, err error) {
				if err != nil {
					return // closed, or a line over 1024 bytes
				}
				out := make([]byte, len(line))
				for i, c := range line {
					if 'a' <= c && c <= 'z' {
						c -= 'a' - 'A'
					}
					out[i] = c
				}
				s.Write(out, nil)
				serve()
			})
		}
		serve()
	}, &tcpserver.Options{Loops: 2})
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		panic(err)
	}
	srv.Start()
	defer srv.Close()

	c, _ := net.Dial("tcp", srv.Addrs()[0].String())
	defer c.Close()
	fmt.Fprintf(c, "hello, gale\n")
	reply, _ := bufio.NewReader(c).ReadString('\n')
	fmt.Print(reply)
	// Output: HELLO, GALE
}
