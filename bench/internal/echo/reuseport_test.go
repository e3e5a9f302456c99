package echo

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/gale-io/gale/bench/internal/load"
	"github.com/gale-io/gale/bench/internal/server"
)

// With Config.ReusePort two servers of each implementation listen on one
// port, and an idle run through that port works.
func TestReusePortTwoServers(t *testing.T) {
	for _, impl := range server.Impls("echo") {
		t.Run(impl, func(t *testing.T) {
			var addr string
			for i := range 2 {
				srv, err := server.New("echo", impl)
				if err != nil {
					t.Fatal(err)
				}
				want := "127.0.0.1:0"
				if i > 0 {
					want = addr
				}
				a, err := srv.Start(server.Config{Addr: want, Loops: 1, ReusePort: true})
				if errors.Is(err, server.ErrNotBuilt) {
					t.Skip(err)
				}
				if err != nil {
					t.Fatalf("server %d on %s: %v", i+1, want, err)
				}
				t.Cleanup(func() {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					if err := srv.Stop(ctx); err != nil {
						t.Errorf("stop: %v", err)
					}
				})
				if i == 0 {
					addr = a.String()
				} else if a.(*net.TCPAddr).Port != mustPort(t, addr) {
					t.Fatalf("second server on %v, want %s", a, addr)
				}
			}
			res, err := load.RunIdle(context.Background(), load.IdleConfig{
				Addr: addr, Conns: 100, Size: 64, Keepalive: 50 * time.Millisecond, Hold: 100 * time.Millisecond,
				ProbeEvery: 10 * time.Millisecond, Source: "127.0.0.2",
			})
			if err != nil || res.Errors != 0 {
				t.Fatalf("idle through two servers: %v %+v", err, res)
			}
		})
	}
}

func mustPort(t *testing.T, addr string) int {
	a, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return a.Port
}
