package httpclient_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gale-io/gale/httpproto/httpclient"
	"github.com/gale-io/gale/loop"
)

// Fetch a URL on a loop and wait for the response.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello, "+r.URL.Query().Get("name"))
	}))
	defer srv.Close()

	l, err := loop.New(nil)
	if err != nil {
		panic(err)
	}
	defer l.Close()
	c := httpclient.New(l, nil)
	defer c.Close()

	resp, err := loop.RunSync(l, 10*time.Second, func(done func(*httpclient.Response, error)) {
		c.Fetch(&httpclient.Request{URL: srv.URL + "/greet?name=gale"}, done)
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Status, string(resp.Body))
	// Output: 200 hello, gale
}

// Do sends a request from any goroutine but the loop's.
func ExampleClient_Do() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such thing", http.StatusNotFound)
	}))
	defer srv.Close()

	l, err := loop.New(nil)
	if err != nil {
		panic(err)
	}
	defer l.Close()
	c := httpclient.New(l, nil)
	ran := make(chan error, 1)
	go func() { ran <- l.Run() }()

	resp, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL + "/missing"})
	if err != nil {
		panic(err) // no response at all: a timeout, a refused connection...
	}
	fmt.Println(resp.Status, resp.Err()) // Tornado would raise HTTPError
	loop.Call(context.Background(), l, func() (struct{}, error) { c.Close(); return struct{}{}, nil })
	l.Stop()
	<-ran
	// Output: 404 HTTP 404: Not Found
}

// A body written piece by piece is sent chunked; each piece waits for the
// previous one to reach the kernel.
func ExampleBodyProducer() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%v %s", r.TransferEncoding, b)
	}))
	defer srv.Close()

	l, err := loop.New(nil)
	if err != nil {
		panic(err)
	}
	defer l.Close()
	c := httpclient.New(l, nil)
	defer c.Close()

	lines := []string{"one ", "two ", "three"}
	produce := func(w *httpclient.BodyWriter) {
		var next func(i int)
		next = func(i int) {
			if i == len(lines) {
				w.End(nil)
				return
			}
			w.Write([]byte(lines[i]), func(err error) {
				if err == nil {
					next(i + 1)
				}
			})
		}
		next(0)
	}
	resp, err := loop.RunSync(l, 10*time.Second, func(done func(*httpclient.Response, error)) {
		c.Fetch(&httpclient.Request{Method: "PUT", URL: srv.URL, BodyProducer: produce}, done)
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(resp.Body))
	// Output: [chunked] one two three
}
