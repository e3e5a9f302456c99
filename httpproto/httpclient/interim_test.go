package httpclient_test

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/httpproto/httpclient"
)

// Interim (1xx) responses before the final one are skipped up to
// MaxInterimResponses; a server sending them without end fails the request
// with a typed protocol error at once, not a timeout.
func TestInterimResponsesBounded(t *testing.T) {
	hint := "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
	url := rawServer(t, func(c net.Conn) {
		defer c.Close()
		if _, err := readHead(c); err != nil {
			return
		}
		if _, err := c.Write([]byte(strings.Repeat(hint, httpclient.MaxInterimResponses) + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")); err != nil {
			return
		}
		if _, err := readHead(c); err != nil {
			return
		}
		chunk := bytes.Repeat([]byte(hint), 1000)
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
	e := newEnv(t, &httpclient.Options{RequestTimeout: time.Minute})
	if r := e.mustDo(&httpclient.Request{URL: url}); r.Status != 200 || string(r.Body) != "ok" {
		t.Fatalf("after %d interim responses: %d %q", httpclient.MaxInterimResponses, r.Status, r.Body)
	}
	_, err := e.do(&httpclient.Request{URL: url})
	var pe *httpproto.Error
	if !errors.As(err, &pe) || pe.Code != httpproto.CodeBadResponse {
		t.Fatalf("endless 1xx responses: err = %v, want an *httpproto.Error with CodeBadResponse", err)
	}
}
