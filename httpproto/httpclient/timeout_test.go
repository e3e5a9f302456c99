package httpclient_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gale-io/gale/httpproto/httpclient"
	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/netutil"
)

// silent is a server that reads requests and never answers.
func silent(t *testing.T) string {
	return rawServer(t, func(c net.Conn) { io.Copy(io.Discard, c) })
}

func wantTimeout(t *testing.T, err error, phase httpclient.Phase) {
	t.Helper()
	var te *httpclient.TimeoutError
	if !errors.Is(err, httpclient.ErrTimeout) || !errors.As(err, &te) || te.Phase != phase {
		t.Fatalf("err = %v, want a %v timeout", err, phase)
	}
	var he *httpclient.Error
	if !errors.As(err, &he) || !he.Timeout() {
		t.Fatalf("err = %v, want an *httpclient.Error reporting Timeout", err)
	}
}

func TestRequestTimeout(t *testing.T) {
	url := silent(t)
	e := newEnv(t, nil)
	start := time.Now()
	_, err := e.do(&httpclient.Request{URL: url, RequestTimeout: 50 * time.Millisecond})
	wantTimeout(t, err, httpclient.PhaseRequest)
	if d := time.Since(start); d < 45*time.Millisecond {
		t.Fatalf("timed out after %v", d)
	}
	if err.Error() != "httpclient: read "+url+": httpclient: Timeout during request" {
		t.Errorf("message %q", err.Error())
	}
}

func TestConnectTimeout(t *testing.T) {
	// A resolver that never answers keeps the connect phase going.
	never := netutil.ResolverFunc(func(context.Context, *loop.Loop, string, int, string, func([]netip.AddrPort, error)) {})
	e := newEnv(t, &httpclient.Options{Resolver: never, ConnectTimeout: 40 * time.Millisecond})
	_, err := e.do(&httpclient.Request{URL: "http://never.invalid/"})
	wantTimeout(t, err, httpclient.PhaseConnect)
}

func TestQueueTimeoutAndOrder(t *testing.T) {
	url := silent(t)
	e := newEnv(t, &httpclient.Options{MaxClients: 1, QueueTimeout: 40 * time.Millisecond})
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Add(2)
	e.onLoop(func() {
		e.c.Fetch(&httpclient.Request{URL: url, RequestTimeout: 300 * time.Millisecond}, func(_ *httpclient.Response, err error) {
			errs[0] = err
			wg.Done()
		})
		e.c.Fetch(&httpclient.Request{URL: url}, func(_ *httpclient.Response, err error) {
			errs[1] = err
			wg.Done()
		})
	})
	wg.Wait()
	wantTimeout(t, errs[0], httpclient.PhaseRequest)
	wantTimeout(t, errs[1], httpclient.PhaseQueue)
}

// With MaxClients 1, queued requests run one at a time, in order.
func TestQueueFIFO(t *testing.T) {
	var mu sync.Mutex
	var order []string
	active, maxActive := 0, 0
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		order = append(order, r.URL.Path)
		active++
		maxActive = max(maxActive, active)
		mu.Unlock()
		time.Sleep(2 * time.Millisecond)
		mu.Lock()
		active--
		mu.Unlock()
	})
	e := newEnv(t, &httpclient.Options{MaxClients: 1})
	done := make(chan struct{}, 5)
	e.onLoop(func() {
		for _, p := range []string{"/1", "/2", "/3", "/4", "/5"} {
			e.c.Fetch(&httpclient.Request{URL: srv.URL + p}, func(_ *httpclient.Response, err error) {
				if err != nil {
					t.Error(err)
				}
				done <- struct{}{}
			})
		}
	})
	for range 5 {
		<-done
	}
	mu.Lock()
	defer mu.Unlock()
	if got := order; len(got) != 5 || got[0] != "/1" || got[4] != "/5" || got[2] != "/3" || maxActive != 1 {
		t.Fatalf("order %v, max active %d", got, maxActive)
	}
}

// Close fails requests in flight and queued.
func TestCloseFailsRequests(t *testing.T) {
	url := silent(t)
	e := newEnv(t, &httpclient.Options{MaxClients: 1})
	errs := make(chan error, 3)
	e.onLoop(func() {
		for range 2 {
			e.c.Fetch(&httpclient.Request{URL: url}, func(_ *httpclient.Response, err error) { errs <- err })
		}
	})
	e.onLoop(e.c.Close)
	e.onLoop(func() {
		e.c.Fetch(&httpclient.Request{URL: url}, func(_ *httpclient.Response, err error) { errs <- err })
	})
	for range 3 {
		if err := <-errs; !errors.Is(err, httpclient.ErrClosed) {
			t.Fatalf("err = %v, want ErrClosed", err)
		}
	}
}

// Do gives up when its context ends, and the request is aborted.
func TestDoContext(t *testing.T) {
	url := silent(t)
	e := newEnv(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := e.c.Do(ctx, &httpclient.Request{URL: url})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
}

func TestBadRequests(t *testing.T) {
	e := newEnv(t, nil)
	for _, c := range []struct {
		req  httpclient.Request
		want error
	}{
		{httpclient.Request{URL: "ftp://x/"}, httpclient.ErrUnsupported},
		{httpclient.Request{URL: "http://"}, nil},
		{httpclient.Request{URL: "http://x/", Method: "BAD METHOD"}, httpclient.ErrUnsupported},
	} {
		_, err := e.do(&c.req)
		var he *httpclient.Error
		if !errors.As(err, &he) || he.Op != "request" || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%q %q: %v", c.req.Method, c.req.URL, err)
		}
	}
}

// A request retried after a stale pooled connection keeps its first
// attempt's deadline: the retry does not restart the request timeout.
func TestRetryKeepsRequestDeadline(t *testing.T) {
	const stale, timeout = 250 * time.Millisecond, 400 * time.Millisecond
	var mu sync.Mutex
	conns := 0
	url := rawServer(t, func(c net.Conn) {
		defer c.Close()
		mu.Lock()
		conns++
		n := conns
		mu.Unlock()
		if n > 1 { // the retry's connection: read, never answer
			io.Copy(io.Discard, c)
			return
		}
		if _, err := readHead(c); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
		if _, err := readHead(c); err != nil {
			return
		}
		time.Sleep(stale) // then close the pooled connection unanswered
	})
	e := newEnv(t, nil)
	e.mustDo(&httpclient.Request{URL: url})
	start := time.Now()
	_, err := e.do(&httpclient.Request{URL: url, RequestTimeout: timeout})
	elapsed := time.Since(start)
	wantTimeout(t, err, httpclient.PhaseRequest)
	mu.Lock()
	n := conns
	mu.Unlock()
	if n != 2 {
		t.Fatalf("%d connections, want 2 (the request was retried)", n)
	}
	// A restarted timeout would fire at stale+timeout (650 ms).
	if elapsed < timeout-10*time.Millisecond || elapsed >= stale+timeout-50*time.Millisecond {
		t.Fatalf("timed out after %v, want about %v (the first attempt's deadline)", elapsed, timeout)
	}
}

// Do waits for a callback it posted to the loop; a loop closed meanwhile
// drops it (loop.Done's contract), so Do must return then, and must not
// hang when its context ends after the loop closed either.
func TestDo_ReturnsWhenLoopCloses(t *testing.T) {
	for _, cancelFirst := range []bool{false, true} {
		asked := make(chan struct{}, 1)
		// A resolver that never answers keeps the request connecting,
		// with no descriptor open.
		never := netutil.ResolverFunc(func(context.Context, *loop.Loop, string, int, string, func([]netip.AddrPort, error)) {
			asked <- struct{}{}
		})
		l := testloop.New(t, nil)
		c := httpclient.New(l, &httpclient.Options{Resolver: never})
		stop := testloop.Start(t, l)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := c.Do(ctx, &httpclient.Request{URL: "http://never.invalid/"})
			done <- err
		}()
		<-asked
		stop()
		if cancelFirst {
			cancel() // Do posts the abort: Run is over, so it waits in the queue
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			want := loop.ErrClosed
			if cancelFirst {
				want = context.Canceled
			}
			if !errors.Is(err, want) {
				t.Errorf("cancel first %v: err = %v, want %v", cancelFirst, err, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("cancel first %v: Do still waiting 5 s after its loop closed", cancelFirst)
		}
		cancel()
	}
}

// A context that ends just after the request's callback ran must not
// abort anything: the request's record is recycled by then, and a later
// request may get it. (Do's abort used to find the free record still
// answering to the request's number: it "finished" it again, calling a
// nil callback, and left it marked done, so the next request on it never
// ran.)
func TestDo_CancelAfterDeliveryLeavesRecycledRecordAlone(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	var logs testloop.LogBuffer
	l := testloop.New(t, &loop.Options{Logger: logs.Logger()})
	c := httpclient.New(l, nil)
	stop := testloop.Start(t, l)
	t.Cleanup(func() {
		loop.Call(context.Background(), l, func() (struct{}, error) { c.Close(); return struct{}{}, nil })
		stop()
	})
	wait := func(what string, done <-chan error) {
		t.Helper()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no answer after 5 s", what)
		}
	}
	for i := range 20 {
		ctx, cancel := context.WithCancel(context.Background())
		req := &httpclient.Request{URL: srv.URL, OnChunk: func([]byte) {
			// A request that fails at once: its callback, which ends
			// ctx, runs just before this request's.
			c.Fetch(&httpclient.Request{URL: "ftp://x/"}, func(*httpclient.Response, error) { cancel() })
		}}
		done := make(chan error, 1)
		go func() {
			_, err := c.Do(ctx, req)
			done <- err
		}()
		wait(fmt.Sprintf("request %d", i), done)
		cancel()
		go func() {
			_, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL})
			done <- err
		}()
		wait(fmt.Sprintf("request %d's follower", i), done)
	}
	if s := logs.String(); strings.Contains(s, "panic") {
		t.Fatalf("the loop recovered a panic:\n%.600s", s)
	}
}

// Do on a Client whose loop closed before the call fails as Do on one
// whose loop closes during it: with an *Error (Op "request", the URL
// without userinfo) matching loop.ErrClosed. It returned loop.ErrClosed
// bare, which errors.As(err, **httpclient.Error) did not find.
func TestDo_LoopClosedBefore(t *testing.T) {
	l := testloop.New(t, nil)
	c := httpclient.New(l, nil)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := c.Do(context.Background(), &httpclient.Request{URL: "http://u:p@127.0.0.1:1/x"})
	var he *httpclient.Error
	if !errors.As(err, &he) || !errors.Is(err, loop.ErrClosed) || he.Op != "request" || he.URL != "http://127.0.0.1:1/x" {
		t.Fatalf("Do on a closed loop: %#v, want an *Error matching loop.ErrClosed", err)
	}
}

// A context that ended before the loop closed gives Do its error, even
// when Do sees both ended at once (it had not reached its wait yet): its
// select picked either at random, so that TestDo_ReturnsWhenLoopCloses
// failed now and then with loop.ErrClosed. The rounds make that window
// likely to be hit at least once.
func TestDo_ContextEndedBeforeLoopClosed(t *testing.T) {
	for i := range doRounds {
		asked := make(chan struct{}, 1)
		never := netutil.ResolverFunc(func(context.Context, *loop.Loop, string, int, string, func([]netip.AddrPort, error)) {
			asked <- struct{}{}
		})
		l := testloop.New(t, nil)
		c := httpclient.New(l, &httpclient.Options{Resolver: never})
		stop := testloop.Start(t, l)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := c.Do(ctx, &httpclient.Request{URL: "http://never.invalid/"})
			done <- err
		}()
		<-asked
		stop()
		cancel()
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			var he *httpclient.Error
			if !errors.Is(err, context.Canceled) || !errors.As(err, &he) {
				t.Fatalf("round %d: err = %v, want an *Error matching context.Canceled", i, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: Do still waiting 5 s after its loop closed", i)
		}
	}
	// Ended before Do was called, on a loop closed before too.
	l := testloop.New(t, nil)
	c := httpclient.New(l, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l.Close()
	if _, err := c.Do(ctx, &httpclient.Request{URL: "http://never.invalid/"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Do with an ended context on a closed loop: %v, want context.Canceled", err)
	}
}

var doRounds = 5000
