package tcpserver_test

import (
	"crypto/tls"
	"testing"
	"time"
)

// Many short TLS sessions, each writing the moment its handshake ends (the
// data often arrives in the same segment as the client's Finished).
func TestTLSManySessions(t *testing.T) {
	addr, ss := tlsEchoServer(t)
	for i := range 200 {
		c, err := tls.Dial("tcp", addr, ss.Client("127.0.0.1"))
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		roundTrip(t, c, "x")
		c.Close()
	}
}
