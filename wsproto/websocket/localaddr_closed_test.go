package websocket

import (
	"net"
	"testing"

	"github.com/gale-io/gale/wsproto"
)

// closeAddrHandler records, from OnClose, what LocalAddr reports once a new
// socket has been opened on the loop (which takes the lowest free
// descriptor: the one the connection just released).
type closeAddrHandler struct {
	*recorder
	res chan [2]string
}

func (h *closeAddrHandler) OnClose(c *Conn, e *CloseError) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	got := "<nil>"
	if a := c.LocalAddr(); a != nil {
		got = a.String()
	}
	other := ""
	if err == nil {
		other = ln.Addr().String()
		ln.Close()
	}
	h.res <- [2]string{got, other}
	h.recorder.OnClose(c, e)
}

// LocalAddr on a closed connection is nil, not the address of whatever
// socket took over its descriptor number.
func TestLocalAddrAfterClose(t *testing.T) {
	h := &closeAddrHandler{recorder: newRecorder(), res: make(chan [2]string, 1)}
	h.noEcho = true
	addr := startServer(t, nil, func() Handler { return h })
	rc := dialRaw(t, addr)
	rc.open()
	<-h.opened
	rc.send(frame(true, false, wsproto.OpClose, closePayload(1000, "")))
	rc.expectClose()
	rc.expectEOF()
	h.waitClose(t)
	r := <-h.res
	if r[0] == r[1] {
		t.Fatalf("Conn.LocalAddr after close returned %s, the address of an unrelated socket that reused the descriptor", r[0])
	}
}
