package websocket

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpclient"
	"github.com/gale-io/gale/wsproto"
)

// A Sec-WebSocket-Protocol field given in DialOptions.Header (Subprotocols
// empty) is sent and is the offer: the server choosing that very
// subprotocol chose one "present in the client's handshake" (RFC 6455
// section 4.1), and Dial succeeds.
func TestHeaderSubprotocolOffer(t *testing.T) {
	l := clientLoop(t)
	sent := make(chan string, 1)
	url := rawServer(t, func(c net.Conn, br *bufio.Reader, req *http.Request) {
		sent <- req.Header.Get("Sec-WebSocket-Protocol")
		io.WriteString(c, accept101(req, "Sec-WebSocket-Protocol: chat\r\n"))
		io.Copy(io.Discard, br)
	})
	var h httpproto.Headers
	h.Set("Sec-WebSocket-Protocol", "chat")
	c, err := dialSync(t, l, url, newRecorder(), &DialOptions{Header: &h})
	if got := <-sent; got != "chat" {
		t.Fatalf("request offered %q, want chat", got)
	}
	if err != nil {
		t.Fatalf("server chose the offered subprotocol %q but Dial failed: %v", "chat", err)
	}
	onLoop(t, l, func() { c.Abort() })
}

// Credentials in the URL are sent as a Basic Authorization field, as
// Tornado's websocket_connect (and gale's httpclient) send them; an
// Authorization field in DialOptions.Header wins. Dial used to drop them
// silently, and the server answered 401.
func TestDialURLCredentials(t *testing.T) {
	cases := []struct {
		name, userinfo, header, want string
	}{
		{"userinfo", "alice:p%40ss", "", "Basic YWxpY2U6cEBzcw=="}, // alice:p@ss
		{"user only", "bob", "", "Basic Ym9iOg=="},                 // bob:
		{"header wins", "alice:x", "Bearer t0k", "Bearer t0k"},
		{"none", "", "", ""},
		{"empty userinfo", ":", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := clientLoop(t)
			sent := make(chan []string, 1)
			url := rawServer(t, func(c net.Conn, br *bufio.Reader, req *http.Request) {
				sent <- req.Header.Values("Authorization")
				io.WriteString(c, accept101(req, ""))
				io.Copy(io.Discard, br)
			})
			if tc.userinfo != "" {
				url = strings.Replace(url, "ws://", "ws://"+tc.userinfo+"@", 1)
			}
			var opts DialOptions
			if tc.header != "" {
				opts.Header = new(httpproto.Headers)
				opts.Header.Set("Authorization", tc.header)
			}
			c, err := dialSync(t, l, url, newRecorder(), &opts)
			if err != nil {
				t.Fatal(err)
			}
			onLoop(t, l, func() { c.Abort() })
			got := <-sent
			switch {
			case tc.want == "" && len(got) != 0:
				t.Errorf("Authorization %q, want none", got)
			case tc.want != "" && (len(got) != 1 || got[0] != tc.want):
				t.Errorf("Authorization %q, want %q", got, tc.want)
			}
		})
	}
}

// An interim 1xx answer before the 101 (a 100 Continue, a 103 Early
// Hints) is skipped, however the answer is split across reads: the bytes
// of the interim head are consumed before the parser is called again. Dial
// used to feed them to the parser a second time when the 101's head was
// still incomplete, and failed with "malformed response". A 16-byte read
// chunk makes the split certain.
func TestDialInterimResponseSplit(t *testing.T) {
	l := clientLoop(t)
	url := rawServer(t, func(c net.Conn, br *bufio.Reader, req *http.Request) {
		hello := wsproto.AppendFrame(nil, true, false, wsproto.OpText, false, [4]byte{}, []byte("hello"))
		io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"+
			accept101(req, "X-Extra: one\r\n")+string(hello))
		io.Copy(io.Discard, br)
	})
	rec := newRecorder()
	rec.noEcho = true
	opts := &DialOptions{TCP: &tcpclient.Options{Stream: &stream.Options{ReadChunkSize: 16}}}
	c, err := dialSync(t, l, url, rec, opts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if m := rec.waitMsg(t); m.op != wsproto.OpText || string(m.data) != "hello" {
		t.Errorf("first message %v %q, want the server's hello", m.op, m.data)
	}
	onLoop(t, l, func() { c.Abort() })
	rec.waitClose(t)
}

// A client's Conn shows the 101's fields (Tornado's
// WebSocketClientConnection.headers) while OnOpen and the Dial callback
// run; a server's shows none.
func TestResponseHeader(t *testing.T) {
	l := clientLoop(t)
	url := rawServer(t, func(c net.Conn, br *bufio.Reader, req *http.Request) {
		io.WriteString(c, accept101(req, "Set-Cookie: s=1\r\nX-Server-Id: 7\r\n"))
		io.Copy(io.Discard, br)
	})
	rec := newRecorder()
	seen := make(chan string, 1)
	h := &opener{recorder: rec, f: func(c *Conn) {
		seen <- c.ResponseHeader().GetString("X-Server-Id") + " " + c.ResponseHeader().GetString("Set-Cookie")
	}}
	c, err := dialSync(t, l, url, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := <-seen; got != "7 s=1" {
		t.Errorf("X-Server-Id and Set-Cookie in OnOpen %q, want \"7 s=1\"", got)
	}
	onLoop(t, l, func() {
		// After the open, the fields are gone: an idle client keeps none.
		if h := c.ResponseHeader(); h != nil {
			t.Errorf("ResponseHeader after the open: %v", h)
		}
		c.Abort()
	})

	serverSide := make(chan *httpproto.Headers, 1)
	addr := startServer(t, nil, func() Handler {
		return &opener{recorder: newRecorder(), f: func(c *Conn) { serverSide <- c.ResponseHeader() }}
	})
	c2, err := dialSync(t, l, "ws://"+addr+"/", newRecorder(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if h := <-serverSide; h != nil {
		t.Errorf("a server's Conn has a ResponseHeader: %v", h)
	}
	onLoop(t, l, func() { c2.Abort() })
}
