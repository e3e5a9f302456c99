package websocket_test

import (
	"context"
	"fmt"

	"github.com/gale-io/gale/httpproto/httpserver"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/wsproto"
	"github.com/gale-io/gale/wsproto/websocket"
)

// echo is a server Handler: every message goes back as it came.
type echo struct{ websocket.BaseHandler }

func (echo) OnMessage(c *websocket.Conn, op wsproto.Opcode, data []byte) {
	c.WriteMessage(op, data)
}

// client sends one message, prints the echo and closes.
type client struct {
	done chan struct{}
}

func (h *client) OnOpen(c *websocket.Conn) { c.WriteText([]byte("hello, gale")) }

func (h *client) OnMessage(c *websocket.Conn, op wsproto.Opcode, data []byte) {
	fmt.Printf("%v message: %s\n", op, data)
	c.Close(wsproto.CloseNormal, "bye")
}

func (h *client) OnClose(c *websocket.Conn, e *websocket.CloseError) {
	// The server echoed our code (a reason is not echoed).
	fmt.Printf("closed: %d local=%v clean=%v\n", e.Code, e.Local, e.Clean())
	close(h.done)
}

// A WebSocket echo server on httpserver, and a client on another loop.
func Example() {
	opts := &httpserver.Options{}
	opts.TCP.Loops = 1
	srv := httpserver.New(func(w *httpserver.ResponseWriter, r *httpserver.Request) {
		if string(r.Path) != "/ws" {
			w.Respond(404, "text/plain", []byte("not found\n"))
			return
		}
		websocket.Upgrade(w, r, echo{}, &websocket.ServerOptions{
			Config: websocket.Config{Compression: &wsproto.DeflateConfig{}},
		})
	}, opts)
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		panic(err)
	}
	srv.Start()
	defer srv.Close()

	l, _ := loop.New(nil)
	defer l.Close()
	h := &client{done: make(chan struct{})}
	url := "ws://" + srv.Addrs()[0].String() + "/ws"
	l.Post(func() {
		websocket.Dial(context.Background(), l, url, h, nil, func(c *websocket.Conn, err error) {
			if err != nil {
				fmt.Println("dial:", err)
				close(h.done)
			}
		})
	})
	go func() { <-h.done; l.Stop() }()
	if err := l.Run(); err != nil {
		fmt.Println("run:", err)
	}
	// Output:
	// Text message: hello, gale
	// closed: 1000 local=true clean=true
}

// A broadcast encodes its message once and sends the same frames to every
// connection, compressed or not as each agreed.
func ExampleConn_WritePrepared() {
	m := wsproto.NewPreparedMessage(wsproto.OpText, []byte("news for everyone"), &wsproto.DeflateConfig{})
	broadcast := func(conns []*websocket.Conn) {
		for _, c := range conns {
			if err := c.WritePrepared(m); err == websocket.ErrBackpressure {
				// A slow reader: skip it this time (or drop it).
				continue
			}
		}
	}
	broadcast(nil)
	fmt.Println("sent")
	// Output: sent
}
