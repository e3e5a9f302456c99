package httpproto_test

import (
	"errors"
	"fmt"

	"github.com/gale-io/gale/httpproto"
)

// A server's read loop: two pipelined requests in one buffer. The caller
// drops the bytes Next used and calls again.
func ExampleParser() {
	var p httpproto.Parser
	p.InitRequest(nil)
	buf := []byte("POST /echo HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\nhello" +
		"GET /plaintext HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")
	for {
		ev, n, err := p.Next(buf)
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		buf = buf[n:]
		switch ev.Kind {
		case httpproto.HeadDone:
			r := p.Request()
			fmt.Printf("%s %s host=%s length=%d keep-alive=%v\n", r.RawMethod, r.Target, r.Host, r.ContentLength, r.KeepAlive)
		case httpproto.BodyData:
			fmt.Printf("body %q\n", ev.Data)
		case httpproto.MessageDone:
			fmt.Println("done")
		case httpproto.None:
			fmt.Println("state:", p.State()) // wait for more input, or stop
			return
		}
	}
	// Output:
	// POST /echo host=example.com length=5 keep-alive=true
	// body "hello"
	// done
	// GET /plaintext host=example.com length=0 keep-alive=false
	// done
	// state: closed
}

// A client reading a chunked response, fed in two pieces as they might
// arrive from the network; the incomplete chunk-size line waits in the
// buffer.
func ExampleParser_response() {
	var p httpproto.Parser
	p.InitResponse(nil)
	p.ExpectResponseTo(httpproto.MethodGet)
	var buf []byte
	for _, piece := range []string{
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHello\r\n",
		"8\r\n, World!\r\n0\r\nX-Checksum: 42\r\n\r\n",
	} {
		buf = append(buf, piece...)
		for {
			ev, n, err := p.Next(buf)
			if err != nil {
				fmt.Println("error:", err)
				return
			}
			buf = buf[n:]
			if ev.Kind == httpproto.None {
				break
			}
			switch ev.Kind {
			case httpproto.HeadDone:
				fmt.Println("status", p.Response().Status, "chunked", p.Response().Chunked)
			case httpproto.BodyData:
				fmt.Printf("body %q\n", ev.Data)
			case httpproto.MessageDone:
				fmt.Println("trailer X-Checksum:", p.Trailers().GetString("X-Checksum"))
			}
		}
	}
	// Output:
	// status 200 chunked true
	// body "Hello"
	// body ", World!"
	// trailer X-Checksum: 42
}

// A WebSocket handshake: the parser pauses after the request; the bytes
// after it belong to the new protocol (or, after Resume, to the next
// request).
func ExampleParser_upgrade() {
	var p httpproto.Parser
	p.InitRequest(nil)
	buf := []byte("GET /ws HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x05hello")
	for p.State() != httpproto.StatePaused {
		_, n, err := p.Next(buf)
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		buf = buf[n:]
	}
	fmt.Println("upgrade:", p.Request().Upgrade, p.Request().Header.GetString("Upgrade"))
	fmt.Printf("left for the new protocol: %q\n", buf)
	// Output:
	// upgrade: true websocket
	// left for the new protocol: "\x81\x05hello"
}

// Every rejection carries the status a server answers with.
func ExampleError() {
	var p httpproto.Parser
	p.InitRequest(nil)
	_, _, err := p.Next([]byte("GET / HTTP/1.1\r\nContent-Length : 5\r\nHost: a\r\n\r\nhello"))
	var perr *httpproto.Error
	if errors.As(err, &perr) {
		fmt.Println(perr.Status(), perr.Code == httpproto.CodeBadHeader, errors.Is(err, httpproto.ErrBadHeader))
		fmt.Println(err)
	}
	// Output:
	// 400 true true
	// httpproto: malformed header field: whitespace between field name and colon in "Content-Length "
}
