package httpbench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gale-io/gale/bench/internal/load"
	"github.com/gale-io/gale/bench/internal/server"
	"github.com/gale-io/gale/bench/internal/tlsutil"
)

func TestRegistry(t *testing.T) {
	want := []string{"fasthttp", "gale", "gnet", "nbio", "std"}
	if got := server.Impls("http"); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("http implementations %v, want %v", got, want)
	}
	srv, _ := server.New("http", "gnet")
	conf, err := tlsutil.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Start(server.Config{Addr: "127.0.0.1:0", Loops: 1, TLS: conf}); !errors.Is(err, server.ErrNoTLS) {
		t.Fatalf("gnet with TLS: %v, want ErrNoTLS", err)
	}
}

func drivers() []string {
	if load.DefaultDriver == load.DriverEpoll {
		return []string{load.DriverNet, load.DriverEpoll}
	}
	return []string{load.DriverNet}
}

// runs are the load generator's request kinds the implementations are
// driven with.
var runs = []struct {
	name     string
	method   string
	size     int
	chunked  bool
	pipeline int
}{
	{"GET", "GET", 0, false, 1},
	{"GET pipelined", "GET", 0, false, 16},
	{"POST", "POST", 64, false, 4},
	{"POST chunked", "POST", 3000, true, 2},
}

// TestLoad drives every implementation with the load generator, through
// both drivers, plain and pipelined: no errors, some requests.
func TestLoad(t *testing.T) {
	forEachImpl(t, func(t *testing.T, impl string) {
		for _, loops := range []int{1, 2} {
			addr := start(t, impl, loops, nil)
			for _, driver := range drivers() {
				for _, r := range runs {
					if loops > 1 && r.name != "GET pipelined" {
						continue
					}
					res := runHTTP(t, load.HTTPConfig{
						Addr: addr, Conns: 8, Pipeline: r.pipeline, Method: r.method, Size: r.size, Chunked: r.chunked,
						Warmup: 20 * time.Millisecond, Duration: 150 * time.Millisecond, Drain: 5 * time.Second,
						Driver: driver, Workers: 2, ServerPID: os.Getpid(),
					})
					if res.Errors != 0 || res.Requests == 0 {
						t.Fatalf("loops %d, %s, %s: %d requests, %d errors: %s", loops, driver, r.name, res.Requests, res.Errors, res.Error)
					}
				}
			}
		}
	})
}

// TestResponses checks what the load generator does not: the headers, the
// 404s, large bodies both ways, and pipelined requests of every kind
// answered in order.
func TestResponses(t *testing.T) {
	forEachImpl(t, func(t *testing.T, impl string) {
		addr := start(t, impl, 1, nil)
		tr := &http.Transport{DisableCompression: true}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr, Timeout: 20 * time.Second}

		resp, err := client.Get("http://" + addr + "/plaintext")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		date, derr := http.ParseTime(resp.Header.Get("Date"))
		if resp.StatusCode != 200 || string(body) != "Hello, World!" || resp.Header.Get("Content-Type") != "text/plain" ||
			resp.Header.Get("Server") == "" || derr != nil || time.Since(date).Abs() > 3*time.Second {
			t.Errorf("GET /plaintext: %d %q %v", resp.StatusCode, body, resp.Header)
		}

		for _, req := range []struct{ method, path string }{{"GET", "/nope"}, {"GET", "/echo"}, {"POST", "/plaintext"}} {
			resp, err := client.Do(must(http.NewRequest(req.method, "http://"+addr+req.path, nil)))
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 404 {
				t.Errorf("%s %s: %d, want 404", req.method, req.path, resp.StatusCode)
			}
		}

		big := make([]byte, 1<<20+17)
		for i := range big {
			big[i] = byte(i * 31 >> 3)
		}
		for _, chunked := range []bool{false, true} {
			var rd io.Reader = bytes.NewReader(big)
			if chunked {
				rd = io.MultiReader(rd) // no length known: net/http sends it chunked
			}
			resp, err := client.Post("http://"+addr+"/echo", "application/octet-stream", rd)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !bytes.Equal(got, big) || resp.Header.Get("Content-Type") != "application/octet-stream" {
				t.Errorf("POST /echo of %d bytes, chunked %v: %d, %d bytes back", len(big), chunked, resp.StatusCode, len(got))
			}
		}

		// Pipelined: all requests in one write, the responses in order.
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		_, err = io.WriteString(c, "GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n"+
			"POST /echo HTTP/1.1\r\nHost: x\r\nTrailer: T\r\nTransfer-Encoding: chunked\r\n\r\n3;e=1\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n"+
			"GET /x?y HTTP/1.1\r\nHost: x\r\n\r\n"+
			"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nwxyz"+
			"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"+
			"GET /plaintext?q=1 HTTP/1.1\r\nHost: x\r\n\r\n")
		if err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(c)
		for i, want := range []struct {
			code int
			body string
		}{{200, "Hello, World!"}, {200, "abcde"}, {404, "Not Found"}, {200, "wxyz"}, {200, ""}, {200, "Hello, World!"}} {
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("pipelined response %d: %v", i, err)
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != want.code || (want.code == 200 && string(body) != want.body) {
				t.Errorf("pipelined response %d: %d %q %v, want %d %q", i, resp.StatusCode, body, err, want.code, want.body)
			}
		}

		if impl == "nbio" {
			t.Log("nbio closes the connection past 64 MiB of body instead of answering 413 (nbio.go)")
			return
		}
		c2, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c2.Close()
		c2.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c2, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\nabc", MaxBody+1)
		resp, err = http.ReadResponse(bufio.NewReader(c2), nil)
		if err != nil || resp.StatusCode != 413 {
			t.Errorf("a body over 64 MiB: %v %v, want 413", resp, err)
		}
	})
}

// TestTimeouts: an idle keep-alive connection and a stalled request are
// closed after the timeout (shortened here to half a second).
func TestTimeouts(t *testing.T) {
	withTimeout(t, 500*time.Millisecond)
	forEachImpl(t, func(t *testing.T, impl string) {
		addr := start(t, impl, 1, nil)
		cases := []struct{ name, send string }{
			{"idle after a request", "GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n"},
			{"stalled head", "GET /plaintext HTTP/1.1\r\nHo"},
			{"stalled body", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"},
		}
		// All three at once: each waits for the same timeout.
		conns := make([]net.Conn, len(cases))
		began := time.Now()
		for i, tc := range cases {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := io.WriteString(c, tc.send); err != nil {
				t.Fatal(err)
			}
			c.SetReadDeadline(began.Add(10 * time.Second))
			conns[i] = c
		}
		for i, tc := range cases {
			_, err := io.Copy(io.Discard, conns[i]) // whatever the server answers, until it closes
			took := time.Since(began)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Errorf("%s: still open after %v", tc.name, took)
			} else if took > 5*time.Second {
				t.Errorf("%s: closed after %v, want about 0.5 s", tc.name, took)
			}
		}
	})
}

func TestTLS(t *testing.T) {
	conf, err := tlsutil.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	forEachImpl(t, func(t *testing.T, impl string) {
		addr := start(t, impl, 1, conf)
		for _, r := range runs {
			res := runHTTP(t, load.HTTPConfig{
				Addr: addr, Conns: 4, Pipeline: r.pipeline, Method: r.method, Size: r.size, Chunked: r.chunked,
				Duration: 150 * time.Millisecond, TLS: tlsutil.Client(),
			})
			if res.Errors != 0 || res.Requests == 0 || !res.TLS {
				t.Fatalf("%s: %d requests, %d errors: %s", r.name, res.Requests, res.Errors, res.Error)
			}
		}
	})
}

// With Config.ReusePort two servers of each implementation share a port.
func TestReusePort(t *testing.T) {
	forEachImpl(t, func(t *testing.T, impl string) {
		var addr string
		for i := range 2 {
			srv, _ := server.New("http", impl)
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
			defer srv.Stop(context.Background())
			addr = a.String()
		}
		res := runHTTP(t, load.HTTPConfig{Addr: addr, Conns: 16, Duration: 100 * time.Millisecond})
		if res.Errors != 0 || res.Requests == 0 {
			t.Fatalf("through two servers: %+v", res)
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
