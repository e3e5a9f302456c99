package stream_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/netutil"
	"github.com/gale-io/gale/poller"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpclient"
)

// connectedPair returns the two ends of a loopback TCP connection as
// streams on l, made the way programs make them: tcpclient connects,
// netutil accepts (tcpserver does that part for a server). The examples
// then talk to themselves on one loop.
func connectedPair(l *loop.Loop) (client, server *stream.Stream) {
	lns, err := netutil.BindSockets(0, "127.0.0.1", nil)
	if err != nil {
		panic(err)
	}
	ln := lns[0]
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	_, err = loop.RunSync(l, 10*time.Second, func(done func(struct{}, error)) {
		var acc *netutil.Acceptor
		acc, aerr := netutil.AddAcceptHandler(l, ln, func(fd poller.FD, _ net.Addr) {
			acc.Stop() // one connection is all we want
			s, err := stream.New(l, fd, nil)
			server = s
			if err != nil {
				done(struct{}{}, err)
			} else if client != nil {
				done(struct{}{}, nil)
			}
		}, nil)
		if aerr != nil {
			done(struct{}{}, aerr)
			return
		}
		tcpclient.Connect(context.Background(), l, "127.0.0.1", port, nil, func(s *stream.Stream, err error) {
			client = s
			if err != nil {
				acc.Stop()
				done(struct{}{}, err)
			} else if server != nil {
				done(struct{}{}, nil)
			}
		})
	})
	if err != nil {
		panic(err)
	}
	return client, server
}

// run runs l until f calls done, as loop.RunSync does, for examples that
// return nothing.
func run(l *loop.Loop, f func(done func())) {
	_, err := loop.RunSync(l, 10*time.Second, func(d func(struct{}, error)) {
		f(func() { d(struct{}{}, nil) })
	})
	if err != nil {
		panic(err)
	}
}

// A line protocol: read line by line with ReadUntil, and let its max-bytes
// limit end a peer that sends a line too long. The limit closes the
// stream, as Tornado does; the error says why.
func ExampleStream_ReadUntil() {
	l, _ := loop.New(nil)
	defer l.Close()
	client, server := connectedPair(l)
	defer client.Close()
	defer server.Close()

	long := "MAIL FROM:<" + strings.Repeat("x", 600) + "@gale.example>\r\n"
	client.Write([]byte("HELO gale.example\r\nNOOP\r\n"+long), nil)
	run(l, func(done func()) {
		var next func()
		next = func() {
			server.ReadUntil([]byte("\r\n"), 512, func(line []byte, err error) {
				if err != nil {
					var unsat *stream.UnsatisfiableReadError
					fmt.Println(errors.Is(err, stream.ErrClosed), errors.As(err, &unsat), server.Closed())
					fmt.Println(err)
					done()
					return
				}
				// line is a view of the stream's buffer, valid until this
				// callback returns: copy what must be kept.
				fmt.Printf("%q\n", line)
				next()
			})
		}
		next()
	})
	// Output:
	// "HELO gale.example\r\n"
	// "NOOP\r\n"
	// true true true
	// stream: closed: stream: unsatisfiable read: delimiter "\r\n" not found within 512 bytes
}

// A binary protocol with length-prefixed frames: ReadBytes reads the
// 2-byte header, then exactly the body it announces.
func ExampleStream_ReadBytes() {
	l, _ := loop.New(nil)
	defer l.Close()
	client, server := connectedPair(l)
	defer client.Close()
	defer server.Close()

	var frames []byte
	for _, msg := range []string{"hello", "", "gale"} {
		frames = binary.BigEndian.AppendUint16(frames, uint16(len(msg)))
		frames = append(frames, msg...)
	}
	client.Write(frames, nil)
	client.CloseWrite() // the peer sees end of file after the frames

	run(l, func(done func()) {
		var next func()
		next = func() {
			server.ReadBytes(2, false, func(hdr []byte, err error) {
				if err != nil {
					// The end of the stream between two frames is the
					// normal end: the cause is io.EOF.
					fmt.Println("end:", errors.Is(err, io.EOF))
					done()
					return
				}
				n := int(binary.BigEndian.Uint16(hdr))
				server.ReadBytes(n, false, func(body []byte, err error) {
					if err != nil {
						fmt.Println("truncated frame:", err)
						done()
						return
					}
					fmt.Printf("frame of %d bytes: %q\n", n, body)
					next()
				})
			})
		}
		next()
	})
	// Output:
	// frame of 5 bytes: "hello"
	// frame of 0 bytes: ""
	// frame of 4 bytes: "gale"
	// end: true
}

// The callback of a Write runs once its bytes (and all before them) are
// in the kernel: the time to write more, or to close. Write copies what
// the kernel does not take, so the slice may be reused at once.
func ExampleStream_Write() {
	l, _ := loop.New(nil)
	defer l.Close()
	client, server := connectedPair(l)
	defer client.Close()
	defer server.Close()

	run(l, func(done func()) {
		buf := []byte("first\n")
		server.Write(buf, func(err error) { fmt.Println("first written:", err) })
		copy(buf, "again\n") // safe: Write kept what it needed
		server.Write(buf, func(err error) {
			fmt.Println("second written:", err)
			server.CloseWrite() // end of file once the queue is written
		})
		client.ReadUntilClose(func(data []byte, err error) {
			fmt.Printf("client read %q, %v\n", data, err)
			done()
		})
	})
	err := server.Write([]byte("late"), nil)
	fmt.Println(err == stream.ErrWriteClosed)
	server.Close()
	err = server.Write([]byte("later"), nil)
	fmt.Println(errors.Is(err, stream.ErrClosed))
	// Output:
	// first written: <nil>
	// second written: <nil>
	// client read "first\nagain\n", <nil>
	// true
	// true
}

// The codec-facing view: Peek waits for bytes, the parser works on the
// buffer in place, Consume drops what it used, and an incomplete message
// asks for one byte more than is buffered. Here the codec parses
// netstrings ("5:hello,") without copying a byte.
func ExampleStream_Peek() {
	l, _ := loop.New(nil)
	defer l.Close()
	client, server := connectedPair(l)
	defer client.Close()
	defer server.Close()

	// The first message arrives in two parts, 5 ms apart.
	client.Write([]byte("5:hello,3:ga"), nil)
	l.CallLater(5*time.Millisecond, func() { client.Write([]byte("l,0:,"), nil) })

	run(l, func(done func()) {
		count := 0
		var onData func(buf []byte, err error)
		onData = func(buf []byte, err error) {
			if err != nil {
				fmt.Println(err)
				done()
				return
			}
			for {
				msg, n, ok := parseNetstring(buf)
				if !ok {
					break
				}
				fmt.Printf("%q\n", msg) // msg aliases the stream's buffer
				server.Consume(n)
				buf = server.Buffered()
				if count++; count == 3 {
					done()
					return
				}
			}
			server.Peek(len(buf)+1, onData)
		}
		server.Peek(1, onData)
	})
	// Output:
	// "hello"
	// "gal"
	// ""
}

// parseNetstring parses "<length>:<data>," at the start of b. It returns
// the data (aliasing b) and the length of the whole netstring, or ok false
// when b does not hold a complete one yet. (Malformed input is not
// checked, to keep the example short.)
func parseNetstring(b []byte) (data []byte, n int, ok bool) {
	colon := -1
	for i, c := range b {
		if c == ':' {
			colon = i
			break
		}
	}
	if colon < 0 {
		return nil, 0, false
	}
	size, err := strconv.Atoi(string(b[:colon]))
	if err != nil || len(b) < colon+1+size+1 {
		return nil, 0, false
	}
	return b[colon+1 : colon+1+size], colon + size + 2, true
}

// The close callback runs once, on the loop, after the stream closed and
// after pending reads and writes were told. On an idle stream it also
// makes the stream watch for the peer's close.
func ExampleStream_SetCloseCallback() {
	l, _ := loop.New(nil)
	defer l.Close()
	client, server := connectedPair(l)
	defer client.Close()
	defer server.Close()

	var clientErr, serverErr error
	run(l, func(done func()) {
		told := 0
		client.SetCloseCallback(func(err error) {
			clientErr = err // nil: closed here
			if told++; told == 2 {
				done()
			}
		})
		server.SetCloseCallback(func(err error) {
			serverErr = err // io.EOF: the peer closed
			if told++; told == 2 {
				done()
			}
		})
		client.Close()
	})
	fmt.Println("client:", clientErr, client.Closed())
	fmt.Println("server:", serverErr, server.Closed(), server.Err() == io.EOF)
	// Output:
	// client: <nil> true
	// server: EOF true true
}
