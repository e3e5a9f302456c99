package echo

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/gale-io/gale/bench/internal/benchtest"
	"github.com/gale-io/gale/bench/internal/load"
	"github.com/gale-io/gale/bench/internal/server"
	"github.com/gale-io/gale/bench/internal/tlsutil"
)

// suite starts the echo servers (benchtest.Suite.Start).
var suite = &benchtest.Suite{Mode: "echo", ChildEnv: "ECHOBENCH_CHILD"}

func start(t *testing.T, impl string, loops int, tlsConf *tls.Config) string {
	t.Helper()
	return suite.Start(t, impl, loops, tlsConf)
}

func TestImplementationsEcho(t *testing.T) {
	for _, impl := range server.Impls("echo") {
		for _, loops := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/loops=%d", impl, loops), func(t *testing.T) {
				addr := start(t, impl, loops, nil)
				for _, driver := range []string{load.DriverNet, load.DefaultDriver} {
					res, err := load.RunEcho(context.Background(), load.EchoConfig{
						Addr: addr, Conns: 16, Size: 64, Pipeline: 2,
						Warmup: 20 * time.Millisecond, Duration: 250 * time.Millisecond, Drain: 2 * time.Second,
						Driver: driver, ServerPID: os.Getpid(),
					})
					if err != nil {
						t.Fatalf("loops %d, %s: %v", loops, driver, err)
					}
					if res.Errors != 0 || res.Requests == 0 {
						t.Fatalf("loops %d, %s: %d requests, %d errors: %s", loops, driver, res.Requests, res.Errors, res.Error)
					}
				}
				// A large message crosses many reads and writes.
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				big := make([]byte, 1<<20)
				for i := range big {
					big[i] = byte(i * 7)
				}
				go c.Write(big)
				got := make([]byte, len(big))
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				if _, err := io.ReadFull(c, got); err != nil {
					t.Fatalf("1 MiB echo: %v", err)
				}
				for i := range got {
					if got[i] != big[i] {
						t.Fatalf("1 MiB echo differs at byte %d", i)
					}
				}
			})
		}
	}
}

func TestImplementationsIdle(t *testing.T) {
	for _, impl := range server.Impls("echo") {
		t.Run(impl, func(t *testing.T) {
			addr := start(t, impl, 1, nil)
			res, err := load.RunIdle(context.Background(), load.IdleConfig{
				Addr: addr, Conns: 300, Size: 64, Dialers: 100, ServerPID: os.Getpid(),
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Errors != 0 {
				t.Fatalf("%d errors: %s", res.Errors, res.Error)
			}
		})
	}
}

func TestTLS(t *testing.T) {
	conf, err := tlsutil.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	for _, impl := range server.Impls("echo") {
		t.Run(impl, func(t *testing.T) {
			srv, _ := server.New("echo", impl)
			addr, err := srv.Start(server.Config{Addr: "127.0.0.1:0", Loops: 1, TLS: conf})
			switch {
			case errors.Is(err, server.ErrNoTLS), errors.Is(err, server.ErrNotBuilt):
				t.Skipf("%s: %v", impl, err)
			case err != nil:
				t.Fatal(err)
			}
			defer srv.Stop(context.Background())
			res, err := load.RunEcho(context.Background(), load.EchoConfig{
				Addr: addr.String(), Conns: 4, Size: 64, Duration: 200 * time.Millisecond, TLS: tlsutil.Client(),
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Errors != 0 || res.Requests == 0 || !res.TLS || res.Driver != load.DriverNet {
				t.Fatalf("%+v", res)
			}
			// The certificate is for localhost and 127.0.0.1.
			c, err := tls.Dial("tcp", addr.String(), &tls.Config{RootCAs: rootsOf(t, conf), ServerName: "localhost"})
			if err != nil {
				t.Fatalf("verifying the certificate for localhost: %v", err)
			}
			c.Close()
		})
	}
}

func TestGnetHasNoTLS(t *testing.T) {
	conf, err := tlsutil.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := server.New("echo", "gnet")
	if _, err := srv.Start(server.Config{Addr: "127.0.0.1:0", Loops: 1, TLS: conf}); !errors.Is(err, server.ErrNoTLS) {
		t.Fatalf("gnet with TLS: got %v, want ErrNoTLS", err)
	}
}

func TestRegistry(t *testing.T) {
	for _, impl := range []string{"gale", "gnet", "nbio", "std"} {
		if _, err := server.New("echo", impl); err != nil {
			t.Errorf("echo %s: %v", impl, err)
		}
	}
	for _, c := range []struct{ mode, impl string }{{"ws", "std"}, {"ws", "gale"}, {"smtp", "std"}, {"echo", "nope"}, {"echo", "fasthttp"}} {
		if _, err := server.New(c.mode, c.impl); err == nil {
			t.Errorf("%s %s: no error", c.mode, c.impl)
		}
	}
}
