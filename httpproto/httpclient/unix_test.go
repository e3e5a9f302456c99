//go:build unix

package httpclient_test

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/gale-io/gale/httpproto/httpclient"
)

func TestUnixSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "http.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Skipf("no unix sockets: %v", err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "host=%s path=%s", r.Host, r.URL.Path)
	})}
	done := make(chan struct{})
	go func() { defer close(done); hs.Serve(ln) }()
	t.Cleanup(func() { hs.Close(); <-done })
	e := newEnv(t, nil)
	for range 2 {
		r := e.mustDo(&httpclient.Request{URL: "http://api.local/v1/info", UnixSocket: path})
		if string(r.Body) != "host=api.local path=/v1/info" {
			t.Fatalf("%q", r.Body)
		}
	}
	if e.idle() != 1 {
		t.Errorf("unix connection not pooled")
	}
	_, err = e.do(&httpclient.Request{URL: "http://x/", UnixSocket: filepath.Join(t.TempDir(), "none.sock")})
	var he *httpclient.Error
	if !errors.As(err, &he) || he.Op != "connect" {
		t.Fatalf("missing socket: %v", err)
	}
}
