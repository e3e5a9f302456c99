package httpclient_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/httpproto/httpclient"
	"github.com/gale-io/gale/internal/testloop"
)

// TestGzipStreamed: with OnChunk, a gzip body is decompressed as it
// arrives. The server sends the first half, then waits until the client
// has seen decompressed bytes of it before sending the rest: a client
// that decoded only at the end would never get there.
func TestGzipStreamed(t *testing.T) {
	first := bytes.Repeat([]byte("first half "), 20000)  // 220 KB
	second := bytes.Repeat([]byte("second half "), 9000) // 108 KB
	seen := make(chan struct{})
	waited := make(chan bool, 1)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		zw.Write(first)
		zw.Flush()
		w.(http.Flusher).Flush()
		select {
		case <-seen:
			waited <- true
		case <-time.After(testloop.Timeout / 2):
			waited <- false
		}
		zw.Write(second)
		zw.Close()
	})
	e := newEnv(t, nil)
	var got []byte
	pieces := 0
	r := e.mustDo(&httpclient.Request{URL: srv.URL, OnChunk: func(b []byte) {
		if len(b) > 64<<10 {
			t.Errorf("a piece of %d bytes, over 64 KiB", len(b))
		}
		if len(got) == 0 {
			close(seen)
		}
		pieces++
		got = append(got, b...)
	}})
	if !<-waited {
		t.Fatal("no decompressed byte reached OnChunk before the body ended")
	}
	want := append(append([]byte(nil), first...), second...)
	if !bytes.Equal(got, want) || len(r.Body) != 0 || r.Header.GetString("X-Consumed-Content-Encoding") != "gzip" {
		t.Fatalf("streamed %d bytes in %d pieces (want %d), Body %d bytes", len(got), pieces, len(want), len(r.Body))
	}
	if pieces < 6 {
		t.Fatalf("%d pieces for %d bytes", pieces, len(got))
	}
}

func TestGzipStreamedFailures(t *testing.T) {
	twoMembers := append(gz([]byte("one, ")), gz([]byte("two"))...)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		switch r.URL.Path {
		case "/bomb":
			w.Write(gz(make([]byte, 4<<20)))
		case "/corrupt":
			w.Write(gz([]byte("valid at first"))[:20])
			w.Write([]byte("then not gzip at all, and long enough to be read"))
		case "/members":
			w.Write(twoMembers)
		case "/empty":
		case "/stall":
			zw := gzip.NewWriter(w)
			zw.Write([]byte("a start"))
			zw.Flush()
			w.(http.Flusher).Flush()
			<-r.Context().Done() // until the client gives up
		}
	})
	e := newEnv(t, &httpclient.Options{MaxDecompressedSize: 1 << 20})
	stream := func(path string, timeout time.Duration) ([]byte, error) {
		var got []byte
		_, err := e.do(&httpclient.Request{URL: srv.URL + path, RequestTimeout: timeout,
			OnChunk: func(b []byte) { got = append(got, b...) }})
		return got, err
	}
	var he *httpclient.Error
	got, err := stream("/bomb", 0)
	if !errors.Is(err, httpproto.ErrBodyTooLarge) || !errors.As(err, &he) || he.Op != "decode" || len(got) > 1<<20 {
		t.Fatalf("bomb: %v after %d bytes", err, len(got))
	}
	if _, err := stream("/corrupt", 0); !errors.As(err, &he) || he.Op != "decode" {
		t.Fatalf("corrupt: %v", err)
	}
	if got, err := stream("/members", 0); err != nil || string(got) != "one, two" {
		t.Fatalf("two gzip members: %q, %v", got, err)
	}
	if got, err := stream("/empty", 0); err != nil || len(got) != 0 {
		t.Fatalf("empty gzip body: %q, %v", got, err)
	}
	// A request that times out mid-body stops its decoder (leakcheck sees
	// to the goroutine).
	got, err = stream("/stall", 200*time.Millisecond)
	var te *httpclient.TimeoutError
	if !errors.As(err, &te) || string(got) != "a start" {
		t.Fatalf("stalled: %q, %v", got, err)
	}
	// The client is still fine.
	if got, err := stream("/members", 0); err != nil || string(got) != "one, two" {
		t.Fatalf("after the failures: %q, %v", got, err)
	}
}

// A produced body whose server answers early with a gzip body streamed to
// OnChunk: the connection is released as soon as the response is complete,
// while the body is still decoding. A BodyWriter call in that window
// reports ErrBodyClosed and End does nothing, instead of reaching for the
// released connection.
func TestBodyWriterAfterStreamedGzipResponse(t *testing.T) {
	var resp bytes.Buffer
	zw := gzip.NewWriter(&resp)
	zw.Write(make([]byte, 8<<20)) // 8 MiB of zeros: ~8 KiB compressed, 128 pieces to decode
	zw.Close()
	head := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n", resp.Len())
	stop := make(chan struct{})
	url := rawServer(t, func(c net.Conn) {
		if _, err := readHead(c); err != nil {
			return
		}
		// One write: the client reads the head and the whole body at
		// once, so the response is complete within that read.
		c.Write(append([]byte(head), resp.Bytes()...))
		<-stop
	})
	t.Cleanup(func() { close(stop) })
	e := newEnv(t, nil)

	var w *httpclient.BodyWriter
	var panicked any
	var writeErrs []error
	done := make(chan struct{})
	afterResponse := func() { // posted from OnHeader: runs once that read is processed
		defer func() {
			panicked = recover()
			e.l.Post(func() { close(done) }) // after the write's callback
		}()
		w.Write([]byte("more"), func(err error) { writeErrs = append(writeErrs, err) })
		w.End(nil)
	}
	var decoded int
	r, err := e.do(&httpclient.Request{Method: "POST", URL: url,
		BodyProducer: func(bw *httpclient.BodyWriter) { w = bw; w.Write([]byte("start"), nil) },
		OnHeader:     func(*httpclient.Response) { e.l.Post(afterResponse) },
		OnChunk:      func(p []byte) { decoded += len(p) }})
	if err != nil || r.Status != 200 || decoded != 8<<20 {
		t.Fatalf("response: %v, %v, %d bytes decoded", r, err, decoded)
	}
	<-done
	if panicked != nil {
		t.Fatalf("BodyWriter panicked on the loop: %v", panicked)
	}
	if len(writeErrs) != 1 || !errors.Is(writeErrs[0], httpclient.ErrBodyClosed) {
		t.Fatalf("write after the response: %v, want ErrBodyClosed", writeErrs)
	}
}

// A streamed gzip body cut short fails its request, whose record the
// client then recycles for the next Fetch, while the decoder goroutine
// may still be flushing what it had decoded: the goroutine must not touch
// the recycled record (under -race this was a data race on it).
func TestGzipStreamed_CutShortDoesNotTouchRecycledRecord(t *testing.T) {
	var text bytes.Buffer
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"alpha ", "beta ", "gamma ", "delta ", "epsilon ", "zeta\n"}
	for text.Len() < 1<<20 {
		text.WriteString(words[rng.IntN(len(words))])
	}
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write(text.Bytes())
	zw.Close()
	z := zb.Bytes()
	url := rawServer(t, func(c net.Conn) {
		defer c.Close()
		if _, err := readHead(c); err != nil {
			return
		}
		// Half the body, mid-block, then the end of the connection.
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n", len(z))
		c.Write(z[:len(z)/2])
	})
	e := newEnv(t, nil)
	for range 20 {
		_, err := e.do(&httpclient.Request{URL: url, OnChunk: func([]byte) {}})
		if !errors.Is(err, httpproto.ErrIncomplete) {
			t.Fatalf("err = %v, want the body cut short", err)
		}
	}
}

// A loop closed (CloseAll) under a request whose gzip body streams to
// OnChunk drops the request, its close callbacks and timers with it:
// the decoder goroutine, waiting for more of the body, must end too
// instead of waiting for ever.
func TestGzipStreamed_DecoderEndsWithItsLoop(t *testing.T) {
	// The first part flushed (a complete deflate block, which the decoder
	// can hand on), the rest not sent.
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write(bytes.Repeat([]byte("streamed "), 1000))
	zw.Flush()
	first := zb.Len()
	zw.Write([]byte("never sent"))
	zw.Close()
	z := zb.Bytes()
	stop := make(chan struct{})
	url := rawServer(t, func(c net.Conn) {
		defer c.Close()
		if _, err := readHead(c); err != nil {
			return
		}
		// The first part, then nothing until the test ends.
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n", len(z))
		c.Write(z[:first])
		<-stop
	})
	t.Cleanup(func() { close(stop) })
	l := testloop.New(t, nil)
	c := httpclient.New(l, nil)
	stopLoop := testloop.Start(t, l)
	seen := make(chan struct{})
	once := false
	if err := l.Post(func() {
		c.Fetch(&httpclient.Request{URL: url, OnChunk: func([]byte) {
			if !once {
				once = true
				close(seen)
			}
		}}, func(*httpclient.Response, error) {})
	}); err != nil {
		t.Fatal(err)
	}
	select { // the decoder runs, and waits for the rest of the body
	case <-seen:
	case <-time.After(testloop.Timeout):
		t.Fatal("no decoded piece")
	}
	stopLoop()
	if err := l.CloseAll(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		if !bytes.Contains(buf, []byte("httpclient.(*gzStream)")) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gzip decoder still runs 5 s after its loop closed:\n%s", buf)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A server may answer in full before it has read a produced body: the
// client then closes the connection under the body's queued write. With a
// gzip body streamed to OnChunk, the request outlives that close (the
// decoder still runs), and the write's failure must not fail a request
// whose response was complete: the producer's callback learns it, the
// request gets its response.
func TestGzipStreamed_EarlyResponseOverProducedBody(t *testing.T) {
	zbody := gz([]byte("early answer"))
	stop := make(chan struct{})
	url := rawServer(t, func(c net.Conn) {
		if _, err := readHead(c); err != nil {
			return
		}
		// Some of the body arrived: the producer's write is under way.
		if _, err := c.Read(make([]byte, 1)); err != nil {
			return
		}
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s", len(zbody), zbody)
		<-stop // never read the rest of the body
	})
	t.Cleanup(func() { close(stop) }) // runs before rawServer's cleanup
	e := newEnv(t, &httpclient.Options{RequestTimeout: 10 * time.Second})
	writeErr := make(chan error, 1)
	var got []byte
	r, err := e.do(&httpclient.Request{Method: "PUT", URL: url,
		BodyProducer: func(w *httpclient.BodyWriter) {
			// Far more than the socket buffers hold: still queued when the
			// response is complete.
			w.Write(make([]byte, 32<<20), func(err error) { writeErr <- err })
		},
		OnChunk: func(p []byte) { got = append(got, p...) }})
	if err != nil {
		t.Fatalf("complete response failed by the write its connection's close cut short: %v", err)
	}
	if r.Status != 200 || string(got) != "early answer" {
		t.Fatalf("%d %q", r.Status, got)
	}
	select {
	case err := <-writeErr:
		if err == nil {
			t.Error("the producer's write reported success on a closed connection")
		}
	case <-time.After(testloop.Timeout):
		t.Fatal("the producer's write callback never ran")
	}
}
