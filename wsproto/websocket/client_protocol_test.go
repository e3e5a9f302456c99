package websocket

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/gale-io/gale/httpproto"
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
