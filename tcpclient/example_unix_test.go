//go:build unix

package tcpclient_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream"
	"github.com/gale-io/gale/tcpclient"
)

// A failed connect reports an *Error that keeps the system's cause.
func ExampleError() {
	dead, _ := net.Listen("tcp4", "127.0.0.1:0")
	port := dead.Addr().(*net.TCPAddr).Port
	dead.Close() // nothing listens there now

	l, err := loop.New(nil)
	if err != nil {
		panic(err)
	}
	defer l.Close()
	_, err = loop.RunSync(l, 10*time.Second, func(done func(struct{}, error)) {
		tcpclient.Connect(context.Background(), l, "127.0.0.1", port, nil, func(s *stream.Stream, err error) {
			if s != nil {
				s.Close()
			}
			done(struct{}{}, err)
		})
	})
	var e *tcpclient.Error
	fmt.Println(errors.As(err, &e), e.Op)
	fmt.Println("refused:", errors.Is(err, syscall.ECONNREFUSED))
	fmt.Println("timeout:", e.Timeout())
	// Output:
	// true connect
	// refused: true
	// timeout: false
}
