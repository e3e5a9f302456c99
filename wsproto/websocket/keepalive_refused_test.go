package websocket

import (
	"net"
	"testing"
	"time"

	"github.com/gale-io/gale/wsproto"
)

// A peer that stopped reading (dead, or stuck) lets the server's queue fill
// up to the stream's cap, which then refuses the keepalive Ping: the ping
// counts as unanswered and the peer is closed with "ping timed out" (the
// keepalive used to stop for good there).
func TestKeepalivePingRefused(t *testing.T) {
	recs := make(chan *recorder, 1)
	filled := make(chan int, 1)
	addr := startCapped(t, streamCap, nil, &ServerOptions{Config: Config{PingInterval: 50 * time.Millisecond, CloseTimeout: 100 * time.Millisecond}}, func() Handler {
		rec := newRecorder()
		rec.noEcho = true
		recs <- rec
		return &opener{recorder: rec, f: func(c *Conn) {
			if _, err := fillKernel(c); err != nil {
				panic(err)
			}
			for {
				room := c.Stream().WriteRoom()
				if room < 2 {
					break
				}
				n := room - 2
				if n >= 126 {
					n = room - 4
				}
				if err := c.WriteBinary(make([]byte, n)); err != nil {
					break
				}
			}
			filled <- c.Stream().WriteRoom()
		}}
	})
	rc := dialRaw(t, addr)
	rc.c.(*net.TCPConn).SetReadBuffer(32 << 10)
	rc.open()
	rec := <-recs
	if room := <-filled; room >= 2 {
		t.Fatalf("queue not full: room %d", room)
	}
	// The client never reads nor answers pings. With PingInterval 50 ms
	// and a 50 ms pong timeout, the server must give up on it quickly.
	select {
	case e := <-rec.closed:
		t.Logf("closed: %+v", e)
	case <-time.After(3 * time.Second):
		t.Fatal("dead peer never closed: keepalive stopped after its Ping was refused by the stream cap")
	}
	_ = wsproto.OpPing
}
