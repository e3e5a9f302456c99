// Command chat is the example of docs/websocket.md: a chat room a browser
// can use, on gale's HTTP server and WebSocket glue.
//
//	go run ./docs/examples/chat [-addr 127.0.0.1:8888] [-loops N] [-compress=true]
//
// Open http://127.0.0.1:8888/ in a few browser tabs. GET / serves the page;
// the page joins GET /ws?name=NAME. Every text message a member sends goes
// to every member as JSON {"from": NAME, "text": TEXT}; joins and leaves
// are announced as {"text": "..."}; a new member first gets the last
// HistoryLen lines. A line is encoded (and compressed, for members that
// negotiated permessage-deflate) once for the whole room, and each loop
// sends it to its own members. The server stops on SIGINT or SIGTERM,
// closing every member with 1001 (going away).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("chat: ")
	addr := flag.String("addr", "127.0.0.1:8888", "listen address (host:port; port 0 picks one)")
	loops := flag.Int("loops", 0, "event loops (0: GOMAXPROCS)")
	compress := flag.Bool("compress", true, "accept permessage-deflate")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := NewServer(Config{Loops: *loops, Compress: *compress})
	if err := srv.Listen(*addr); err != nil {
		log.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("chat: open http://%s/\n", srv.Addrs()[0])
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Stop(shutdown); err != nil {
		log.Fatal(err)
	}
}
