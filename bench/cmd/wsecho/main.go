// Command wsecho is a gale WebSocket client that echoes (bench/DESIGN.md,
// "The bench interface"):
//
//	wsecho -url ws://HOST:PORT/PATH [-compress]
//
// It connects with gale's websocket.Dial, sends every message it receives
// back with the same opcode, and when the server closes, completes the
// close handshake, prints "close CODE" (the code the server sent) and
// exits 0. It exits 1 on any error: the connection or handshake failed,
// the server broke the protocol (wsecho then sends the close code the
// codec names, prints the server's answer as above and reports the cause
// on stderr), or the connection dropped without a close handshake; and 2
// on bad flags. Conformance suites that test clients (Autobahn's
// fuzzingserver) drive it, one connection per run.
//
// -compress offers permessage-deflate with wsproto's defaults. Messages
// up to -max-message bytes are accepted (64 MiB by default, above the
// suites' largest), and the echoes are never refused for backpressure.
// wss:// URLs are dialled without verifying the server's certificate.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/gale-io/gale/bench/internal/tlsutil"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/wsproto"
	"github.com/gale-io/gale/wsproto/websocket"
)

func main() { os.Exit(run()) }

func run() int {
	var (
		url      = flag.String("url", "", "WebSocket URL, ws://HOST:PORT/PATH or wss://... (required)")
		compress = flag.Bool("compress", false, "offer permessage-deflate")
		maxMsg   = flag.Int("max-message", 64<<20, "largest message accepted, in bytes (after decompression too)")
	)
	flag.Parse()
	if flag.NArg() > 0 || *url == "" || *maxMsg < 1 {
		fmt.Fprintln(os.Stderr, "wsecho: usage: wsecho -url ws://HOST:PORT/PATH [-compress] [-max-message N]")
		return 2
	}
	l, err := loop.New(nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wsecho:", err)
		return 1
	}
	defer l.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	opts := &websocket.DialOptions{
		Config: websocket.Config{MaxMessageSize: *maxMsg, WriteBufferLimit: -1},
		TLS:    tlsutil.Client(),
	}
	if *compress {
		opts.Compression = &wsproto.DeflateConfig{MaxDecompressedSize: *maxMsg}
	}
	closed, err := loop.RunSync(l, 0, func(done func(*websocket.CloseError, error)) {
		h := &websocket.HandlerFuncs{
			Message: func(c *websocket.Conn, op wsproto.Opcode, data []byte) {
				if err := c.WriteMessage(op, data); err != nil && !errors.Is(err, websocket.ErrClosed) {
					c.Close(wsproto.CloseInternalError, "echo failed")
				}
			},
			Close: func(_ *websocket.Conn, e *websocket.CloseError) { done(e, nil) },
		}
		websocket.Dial(ctx, l, *url, h, opts, func(_ *websocket.Conn, err error) {
			if err != nil {
				done(nil, err)
			}
		})
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "wsecho:", err)
		return 1
	}
	if closed.Code != wsproto.CloseAbnormal {
		fmt.Printf("close %d\n", closed.Code)
	}
	if !closed.Clean() {
		fmt.Fprintln(os.Stderr, "wsecho:", closed)
		return 1
	}
	return 0
}
