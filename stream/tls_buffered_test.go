package stream_test

import (
	"testing"
	"time"

	"github.com/gale-io/gale/internal/testloop"
)

// crypto/tls reads the socket in bulk, so records behind the one a read
// took wait in its buffer, where the poller cannot see them. A read
// started later from outside the stream's callbacks (a timer, a posted
// callback) must still find them, not wait for the socket forever.
func TestTLSReadStartedLaterFindsRecordsCryptoTLSHolds(t *testing.T) {
	ss := selfSigned(t)
	l := newLoop(t)
	cli, srv := pair(t, l, nil)
	var first, second string
	timedOut := false
	testloop.Run(t, l, func(done func()) {
		handshakes := 0
		both := func() {
			if handshakes++; handshakes < 2 {
				return
			}
			// Two records, both in the client's socket before it reads.
			mustWrite(t, srv, "hello")
			srv.Write([]byte("world"), func(error) {
				cli.ReadBytes(5, false, func(data []byte, err error) {
					first = string(data)
					l.Post(func() { // outside the stream's callbacks
						watchdog := l.CallLater(2*time.Second, func() { timedOut = true; done() })
						cli.ReadBytes(5, false, func(data []byte, err error) {
							second = string(data)
							watchdog.Cancel()
							done()
						})
					})
				})
			})
		}
		srv.StartTLS(ss.Server, true, func(err error) {
			if err != nil {
				t.Fatalf("server handshake: %v", err)
			}
			both()
		})
		cli.StartTLS(ss.Client("localhost"), false, func(err error) {
			if err != nil {
				t.Fatalf("client handshake: %v", err)
			}
			both()
		})
	})
	if timedOut {
		t.Fatalf("the second read never completed (first %q)", first)
	}
	if first != "hello" || second != "world" {
		t.Fatalf("read %q then %q", first, second)
	}
}
