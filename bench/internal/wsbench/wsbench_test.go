package wsbench

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/gale-io/gale/bench/internal/load"
	"github.com/gale-io/gale/bench/internal/server"
	"github.com/gale-io/gale/bench/internal/tlsutil"
	"github.com/gale-io/gale/bench/internal/wsbench/broadcast"
)

func TestRegistry(t *testing.T) {
	got := server.Impls("ws")
	for _, want := range []string{"gale", "nbio", "std"} {
		if !slices.Contains(got, want) {
			t.Errorf("ws implementations %v lack %s", got, want)
		}
	}
}

func drivers() []string {
	if load.DefaultDriver == load.DriverEpoll {
		return []string{load.DriverNet, load.DriverEpoll}
	}
	return []string{load.DriverNet}
}

// runWS runs the load generator, doubling the window (up to three times)
// while no echo completes in it and nothing failed: a busy machine can let
// a short window pass without one.
func runWS(t *testing.T, cfg load.WSConfig) *load.WSResult {
	t.Helper()
	for attempt := 0; ; attempt++ {
		res, err := load.RunWS(context.Background(), cfg)
		if err != nil {
			t.Fatalf("size %d, compress %v: %v", cfg.Size, cfg.Compress, err)
		}
		if res.Requests > 0 || res.Errors > 0 || attempt == 3 {
			return res
		}
		t.Logf("no echo completed in %v; again with a window twice as long", cfg.Duration)
		cfg.Duration *= 2
	}
}

// TestLoad drives every implementation with the load generator: both
// drivers, 64-byte and 4 KiB messages, with and without permessage-deflate
// (agreed on every connection), pipelined, 1 and 2 loops.
func TestLoad(t *testing.T) {
	forEachImpl(t, func(t *testing.T, impl string) {
		for _, loops := range []int{1, 2} {
			addr := start(t, impl, loops, nil)
			for _, driver := range drivers() {
				for _, size := range []int{64, 4096} {
					for _, compress := range []bool{false, true} {
						if loops > 1 && (compress || size > 64) {
							continue
						}
						res := runWS(t, load.WSConfig{
							Addr: addr, Conns: 8, Size: size, Pipeline: 2, Compress: compress,
							Warmup: 20 * time.Millisecond, Duration: 150 * time.Millisecond, Drain: 5 * time.Second,
							Driver: driver, Workers: 2, ServerPID: os.Getpid(),
						})
						if res.Errors != 0 || res.Requests == 0 {
							t.Fatalf("loops %d, %s, size %d, compress %v: %d requests, %d errors: %s",
								loops, driver, size, compress, res.Requests, res.Errors, res.Error)
						}
						if want := map[bool]int{false: 0, true: 8}[compress]; res.Deflate != want {
							t.Errorf("compress %v: %d connections agreed on permessage-deflate, want %d", compress, res.Deflate, want)
						}
					}
				}
			}
		}
	})
}

// With Compress off, an offer of permessage-deflate is declined.
func TestCompressOff(t *testing.T) {
	forEachImpl(t, func(t *testing.T, impl string) {
		withCompress(t, false)
		addr := start(t, impl, 1, nil)
		res := runWS(t, load.WSConfig{Addr: addr, Conns: 2, Size: 300, Compress: true,
			Duration: 100 * time.Millisecond, Driver: load.DriverNet})
		if res.Errors != 0 || res.Requests == 0 || res.Deflate != 0 {
			t.Fatalf("%d requests, %d errors (%s), %d deflate connections; want no deflate", res.Requests, res.Errors,
				res.Error, res.Deflate)
		}
	})
}

// Text messages come back as text, binary as binary, 1 and 16 MiB messages whole,
// a malformed trigger as an ordinary text message; another path is 404.
func TestOpcodesAndPaths(t *testing.T) {
	forEachImpl(t, func(t *testing.T, impl string) {
		addr := start(t, impl, 1, nil)
		for _, compress := range []bool{false, true} {
			d := websocket.Dialer{EnableCompression: compress, HandshakeTimeout: 5 * time.Second}
			c, resp, err := d.Dial("ws://"+addr+"/ws", nil)
			if err != nil {
				t.Fatalf("compress %v: dial: %v", compress, err)
			}
			type message struct {
				op   int
				data []byte
			}
			msgs := []message{
				{websocket.TextMessage, []byte("héllo")},
				{websocket.BinaryMessage, []byte{0, 1, 2, 0xff}},
				{websocket.TextMessage, []byte("broadcast:0")},
				{websocket.TextMessage, []byte("broadcast:x")},
				{websocket.BinaryMessage, bytes.Repeat([]byte("0123456789abcdef"), 1<<16)},
			}
			if !compress {
				// Autobahn's cases 9.1.6 and 9.2.6: 16 MiB in one frame.
				msgs = append(msgs, message{websocket.TextMessage, bytes.Repeat([]byte("*"), 16<<20)},
					message{websocket.BinaryMessage, bytes.Repeat([]byte{0xfe}, 16<<20)})
			}
			for _, m := range msgs {
				// Written by another goroutine: a server may stream its
				// echo while the message arrives (std does), and neither
				// side would read if both wrote more than the sockets hold.
				wrote := make(chan error, 1)
				go func() { wrote <- c.WriteMessage(m.op, m.data) }()
				c.SetReadDeadline(time.Now().Add(20 * time.Second))
				op, got, err := c.ReadMessage()
				if err != nil || op != m.op || !bytes.Equal(got, m.data) {
					t.Fatalf("compress %v: echo of a %d-byte message type %d: type %d, %d bytes, %v",
						compress, len(m.data), m.op, op, len(got), err)
				}
				if err := <-wrote; err != nil {
					t.Fatal(err)
				}
			}
			if ext := resp.Header.Get("Sec-WebSocket-Extensions"); (ext != "") != compress {
				t.Errorf("compress %v: extensions answer %q", compress, ext)
			}
			c.Close()
		}
		resp, err := http.Get("http://" + addr + "/nope")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("GET /nope: %s, want 404", resp.Status)
		}
	})
}

// A trigger reaches every connection, the sender included; a message over
// MaxMessage closes the connection with 1009.
func TestBroadcastAndLimit(t *testing.T) {
	forEachImpl(t, func(t *testing.T, impl string) {
		addr := start(t, impl, 2, nil)
		for _, compress := range []bool{false, true} {
			res, err := load.RunBroadcast(context.Background(), load.BroadcastConfig{
				Addr: addr, Conns: 50, Size: 1024, Rounds: 3, Compress: compress, ServerPID: os.Getpid(),
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Errors != 0 || len(res.RoundsLastUS) != 3 || res.LastUS <= 0 || res.MedianUS > res.LastUS {
				t.Fatalf("compress %v: %+v", compress, res)
			}
		}
		c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		// Written by another goroutine: a server may stream its echo while
		// the message arrives.
		wrote := make(chan error, 1)
		go func() { wrote <- c.WriteMessage(websocket.BinaryMessage, make([]byte, MaxMessage+1)) }()
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		for {
			_, msg, err := c.ReadMessage()
			if err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					t.Errorf("the connection stayed open after an oversized message")
				}
				break
			}
			if len(msg) > MaxMessage {
				t.Errorf("a message of %d bytes, over MaxMessage, was echoed", len(msg))
			}
		}
		c.Close()
		<-wrote
	})
}

// Idle connections are kept and answer after the hold.
func TestIdle(t *testing.T) {
	forEachImpl(t, func(t *testing.T, impl string) {
		addr := start(t, impl, 1, nil)
		for _, compress := range []bool{false, true} {
			res, err := load.RunWSIdle(context.Background(), load.WSIdleConfig{
				Addr: addr, Conns: 200, Size: 64, Compress: compress, Settle: 10 * time.Millisecond,
				Hold: 10 * time.Millisecond, ServerPID: os.Getpid(),
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Errors != 0 || res.RSSIdle == 0 || (res.Deflate == 200) != compress {
				t.Fatalf("compress %v: %+v", compress, res)
			}
		}
	})
}

// wss: the load generator over TLS.
func TestTLS(t *testing.T) {
	forEachImpl(t, func(t *testing.T, impl string) {
		conf, err := tlsutil.SelfSigned()
		if err != nil {
			t.Fatal(err)
		}
		addr := start(t, impl, 1, conf)
		res := runWS(t, load.WSConfig{Addr: addr, Conns: 4, Size: 100, TLS: tlsutil.Client(),
			Duration: 150 * time.Millisecond, Driver: load.DriverNet})
		if res.Errors != 0 || res.Requests == 0 || !res.TLS {
			t.Fatalf("%d requests, %d errors: %s", res.Requests, res.Errors, res.Error)
		}
	})
}

func TestTriggerParse(t *testing.T) {
	for in, want := range map[string]int{
		"broadcast:1": 1, "broadcast:1024": 1024, "broadcast:1048576": broadcast.Max,
		"broadcast:1048577": -1, "broadcast:0": -1, "broadcast:01": -1, "broadcast:": -1, "broadcast:-1": -1,
		"broadcast:1x": -1, "Broadcast:1": -1, "x": -1,
	} {
		n, ok := broadcast.Parse([]byte(in))
		if (want < 0) == ok || (ok && n != want) {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, n, ok, want)
		}
	}
	if string(broadcast.Trigger(1024)) != "broadcast:1024" {
		t.Errorf("Trigger(1024) = %q", broadcast.Trigger(1024))
	}
	p := broadcast.Payload(600)
	if err := broadcast.Check(p[300:], 300); err != nil {
		t.Error(err)
	}
	p[400] ^= 1
	if err := broadcast.Check(p, 0); err == nil {
		t.Error("Check missed a flipped byte")
	}
}

// A text message that is not UTF-8 closes the connection with 1007
// (Autobahn's 6.* cases); nbio's own choice is 1002.
func TestInvalidText(t *testing.T) {
	forEachImpl(t, func(t *testing.T, impl string) {
		want := websocket.CloseInvalidFramePayloadData
		if impl == "nbio" {
			want = websocket.CloseProtocolError
		}
		addr := start(t, impl, 1, nil)
		c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.WriteMessage(websocket.TextMessage, []byte("ok \xff no")); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, msg, err := c.ReadMessage()
		if !websocket.IsCloseError(err, want) {
			t.Fatalf("got %q, %v; want a %d close", msg, err, want)
		}
	})
}
