package httpclient_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"net/http"
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
