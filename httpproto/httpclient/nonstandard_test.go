package httpclient_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gale-io/gale/httpproto/httpclient"
	"github.com/gale-io/gale/internal/testloop"
)

// Tornado's simple client: POST, PUT and PATCH need a body, other methods
// must have none, and only its seven methods are known, unless
// allow_nonstandard_methods.
func TestNonstandardMethods(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s cl=%d %q", r.Method, r.ContentLength, body)
	})
	e := newEnv(t, nil)
	producer := func(w *httpclient.BodyWriter) { w.Write([]byte("p"), nil); w.End(nil) }
	for _, c := range []struct {
		name string
		req  httpclient.Request
		want string // the echoed request; for ErrNonstandard, "!" and what its message says
	}{
		{"POST without body", httpclient.Request{Method: "POST"}, "!body must not be nil for method POST"},
		{"PUT without body", httpclient.Request{Method: "PUT"}, "!body must not be nil for method PUT"},
		{"PATCH without body", httpclient.Request{Method: "PATCH"}, "!body must not be nil for method PATCH"},
		{"GET with body", httpclient.Request{Body: []byte("x")}, "!body must be nil for method GET"},
		{"GET with empty body", httpclient.Request{Body: []byte{}}, "!body must be nil for method GET"},
		{"DELETE with body", httpclient.Request{Method: "DELETE", Body: []byte("x")}, "!body must be nil for method DELETE"},
		{"HEAD with producer", httpclient.Request{Method: "HEAD", BodyProducer: producer}, "!body must be nil for method HEAD"},
		{"unknown method", httpclient.Request{Method: "PROPFIND"}, "!unknown method PROPFIND"},
		{"POST with empty body", httpclient.Request{Method: "POST", Body: []byte{}}, `POST cl=0 ""`},
		{"PATCH with body", httpclient.Request{Method: "PATCH", Body: []byte("x")}, `PATCH cl=1 "x"`},
		{"PUT with producer", httpclient.Request{Method: "PUT", BodyProducer: producer}, `PUT cl=-1 "p"`},
		{"DELETE", httpclient.Request{Method: "DELETE"}, `DELETE cl=0 ""`},
		{"OPTIONS", httpclient.Request{Method: "OPTIONS"}, `OPTIONS cl=0 ""`},
		{"allowed: DELETE with body", httpclient.Request{Method: "DELETE", Body: []byte("x"), AllowNonstandardMethods: true}, `DELETE cl=1 "x"`},
		{"allowed: POST without body", httpclient.Request{Method: "POST", AllowNonstandardMethods: true}, `POST cl=0 ""`},
		{"allowed: unknown method", httpclient.Request{Method: "PROPFIND", AllowNonstandardMethods: true}, `PROPFIND cl=0 ""`},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := c.req
			req.URL = srv.URL + "/"
			r, err := e.do(&req)
			if msg, ok := strings.CutPrefix(c.want, "!"); ok {
				var he *httpclient.Error
				if !errors.Is(err, httpclient.ErrNonstandard) || !errors.As(err, &he) || he.Op != "request" {
					t.Fatalf("err = %v, want an *Error (Op request) matching ErrNonstandard", err)
				}
				if !strings.Contains(err.Error(), msg) {
					t.Fatalf("err = %v, want it to say %q", err, msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(r.Body) != c.want {
				t.Fatalf("server saw %s, want %s", r.Body, c.want)
			}
		})
	}
}

// Request records are recycled once their callback returned: many
// requests, queued, answered, failed and cancelled, each get their own
// answer, and a cancellation never reaches a later request that reuses
// the record.
func TestRecycledRequests(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("slow") != "" {
			<-r.Context().Done()
			return
		}
		fmt.Fprint(w, r.URL.RequestURI())
	})
	e := newEnv(t, &httpclient.Options{MaxClients: 3})
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				path := fmt.Sprintf("/g%d/%d", g, i)
				if i%7 == 3 {
					// Cancelled while in flight or queued.
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
					_, err := e.c.Do(ctx, &httpclient.Request{URL: srv.URL + path + "?slow=1"})
					cancel()
					if !errors.Is(err, context.DeadlineExceeded) {
						errs <- fmt.Errorf("%s: cancelled request gave %v", path, err)
					}
					continue
				}
				ctx, cancel := context.WithTimeout(context.Background(), testloop.Timeout)
				r, err := e.c.Do(ctx, &httpclient.Request{URL: srv.URL + path, Header: headers("X-N", path)})
				cancel()
				switch {
				case err != nil:
					errs <- fmt.Errorf("%s: %v", path, err)
				case string(r.Body) != path || r.EffectiveURL != srv.URL+path:
					errs <- fmt.Errorf("%s: got %q from %s", path, r.Body, r.EffectiveURL)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
