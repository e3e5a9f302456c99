package httpclient_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/httpproto/httpclient"
)

func TestGetAndPost(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Method", r.Method)
		w.Header().Set("X-UA", r.UserAgent())
		w.Header().Set("X-CT", r.Header.Get("Content-Type"))
		w.Header().Set("X-CL", fmt.Sprint(r.ContentLength))
		fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.RequestURI(), body)
	})
	e := newEnv(t, nil)
	r := e.mustDo(&httpclient.Request{URL: srv.URL + "/a?b=c"})
	if r.Status != 200 || string(r.Body) != "GET /a?b=c " || r.Reason != "OK" {
		t.Fatalf("GET: %d %q %q", r.Status, r.Reason, r.Body)
	}
	if got := r.Header.GetString("X-UA"); got != httpclient.DefaultUserAgent {
		t.Errorf("User-Agent %q", got)
	}
	if r.Err() != nil || r.EffectiveURL != srv.URL+"/a?b=c" {
		t.Errorf("Err %v, EffectiveURL %q", r.Err(), r.EffectiveURL)
	}
	r = e.mustDo(&httpclient.Request{Method: "POST", URL: srv.URL + "/p", Body: []byte("hello")})
	if string(r.Body) != "POST /p hello" || r.Header.GetString("X-CL") != "5" {
		t.Fatalf("POST: %q CL %s", r.Body, r.Header.GetString("X-CL"))
	}
	if ct := r.Header.GetString("X-CT"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("POST Content-Type %q, want Tornado's default", ct)
	}
	if !r.Reused {
		t.Error("second request did not reuse the connection")
	}
	if n := srv.newConns(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

func TestStatusErr(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusNotFound)
	})
	e := newEnv(t, nil)
	r := e.mustDo(&httpclient.Request{URL: srv.URL})
	var he *httpclient.HTTPError
	if r.Status != 404 || !errors.As(r.Err(), &he) || he.Code != 404 || he.Error() != "HTTP 404: Not Found" {
		t.Fatalf("status %d err %v", r.Status, r.Err())
	}
	if !strings.HasPrefix(string(r.Body), "nope") {
		t.Errorf("body %q", r.Body)
	}
}

func TestHeadAndNoBody(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/204":
			w.WriteHeader(204)
		case "/304":
			w.WriteHeader(304)
		default:
			w.Header().Set("Content-Length", "11")
			io.WriteString(w, "hello world")
		}
	})
	e := newEnv(t, nil)
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"HEAD", "/", 200}, {"GET", "/204", 204}, {"GET", "/304", 304}, {"GET", "/", 200},
	} {
		r := e.mustDo(&httpclient.Request{Method: c.method, URL: srv.URL + c.path})
		want := ""
		if c.method == "GET" && c.status == 200 {
			want = "hello world"
		}
		if r.Status != c.status || string(r.Body) != want {
			t.Errorf("%s %s: %d %q", c.method, c.path, r.Status, r.Body)
		}
	}
	if n := srv.newConns(); n != 1 {
		t.Errorf("%d connections, want 1 (all kept alive)", n)
	}
}

func TestChunkedUploadProducer(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%v %d %s", r.TransferEncoding, r.ContentLength, body)
	})
	e := newEnv(t, nil)
	pieces := []string{"one,", "two,", "three"}
	var order []string
	prod := func(w *httpclient.BodyWriter) {
		var next func(i int)
		next = func(i int) {
			if i == len(pieces) {
				w.End(nil)
				return
			}
			order = append(order, "write "+pieces[i])
			w.Write([]byte(pieces[i]), func(err error) {
				if err != nil {
					t.Error(err)
					return
				}
				order = append(order, "done")
				next(i + 1)
			})
		}
		next(0)
	}
	r := e.mustDo(&httpclient.Request{Method: "PUT", URL: srv.URL, BodyProducer: prod})
	if string(r.Body) != "[chunked] -1 one,two,three" {
		t.Fatalf("body %q", r.Body)
	}
	if len(order) != 6 || order[1] != "done" {
		t.Errorf("writes did not wait for completion: %v", order)
	}
	r = e.mustDo(&httpclient.Request{Method: "POST", URL: srv.URL, BodyProducer: prod, BodyLength: 13})
	if string(r.Body) != "[] 13 one,two,three" {
		t.Fatalf("sized producer: body %q", r.Body)
	}
}

func TestStreaming(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789"), 50000)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-A", "b")
		w.Write(big[:len(big)/2])
		w.(http.Flusher).Flush()
		w.Write(big[len(big)/2:])
	})
	e := newEnv(t, nil)
	var got []byte
	heads := 0
	chunks := 0
	r := e.mustDo(&httpclient.Request{URL: srv.URL,
		OnHeader: func(r *httpclient.Response) {
			heads++
			if r.Status != 200 || r.Header.GetString("X-A") != "b" || chunks > 0 {
				t.Errorf("OnHeader: %d %q after %d chunks", r.Status, r.Header.GetString("X-A"), chunks)
			}
		},
		OnChunk: func(b []byte) { chunks++; got = append(got, b...) },
	})
	if heads != 1 || !bytes.Equal(got, big) || len(r.Body) != 0 || chunks < 2 {
		t.Fatalf("heads %d, chunks %d, got %d bytes (want %d), Body %d", heads, chunks, len(got), len(big), len(r.Body))
	}
}

func TestBasicAuth(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		fmt.Fprintf(w, "%v %s %s", ok, u, p)
	})
	e := newEnv(t, nil)
	r := e.mustDo(&httpclient.Request{URL: srv.URL, Username: "al", Password: "s3cret"})
	if string(r.Body) != "true al s3cret" {
		t.Fatalf("auth fields: %q", r.Body)
	}
	u := strings.Replace(srv.URL, "http://", "http://bo:pw%40x@", 1)
	r = e.mustDo(&httpclient.Request{URL: u})
	if string(r.Body) != "true bo pw@x" {
		t.Fatalf("URL userinfo: %q", r.Body)
	}
}

// A TLS configuration that names a server verifies every target against
// that name (net/http's rule); without one, the target host is verified.
// httptest's certificate covers example.com and 127.0.0.1, not localhost.
func TestTLSConfigServerName(t *testing.T) {
	srv := newTLSServer(t, echoHandler)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	url := "https://localhost:" + port + "/"
	named := newEnv(t, &httpclient.Options{TLS: &tls.Config{RootCAs: pool, ServerName: "example.com"}})
	if _, err := named.do(&httpclient.Request{URL: url}); err != nil {
		t.Fatalf("ServerName example.com: %v", err)
	}
	plain := newEnv(t, &httpclient.Options{TLS: &tls.Config{RootCAs: pool}})
	var ce *tls.CertificateVerificationError
	if _, err := plain.do(&httpclient.Request{URL: url}); !errors.As(err, &ce) {
		t.Fatalf("no ServerName, target localhost: err = %v, want a certificate verification error", err)
	}
}

// A BodyProducer is a callback like the others: it never runs inside the
// Fetch that registered it, not even when a pooled connection lets the
// request go out at once (a producer that uses what the caller sets up
// after Fetch returned worked on a new connection only).
func TestProducerNotCalledInsideFetch(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Write(body)
	})
	e := newEnv(t, nil)
	e.mustDo(&httpclient.Request{URL: srv.URL}) // pools a connection
	if n := e.idle(); n != 1 {
		t.Fatalf("%d idle connections, want 1", n)
	}
	type result struct {
		r   *httpclient.Response
		err error
	}
	res := make(chan result, 1)
	inside := false
	e.onLoop(func() {
		fetching := true
		e.c.Fetch(&httpclient.Request{Method: "POST", URL: srv.URL, BodyProducer: func(w *httpclient.BodyWriter) {
			inside = fetching
			w.Write([]byte("produced"), func(err error) { w.End(err) })
		}}, func(r *httpclient.Response, err error) { res <- result{r, err} })
		fetching = false
	})
	got := <-res
	if got.err != nil {
		t.Fatal(got.err)
	}
	if inside || string(got.r.Body) != "produced" || !got.r.Reused {
		t.Fatalf("producer ran inside Fetch: %v; body %q, reused %v", inside, got.r.Body, got.r.Reused)
	}
}

// Tornado's HTTPResponse takes the status line's reason, or the code's
// standard text when the reason is empty ("Unknown" for a code without
// one), and its HTTPClientError reads "HTTP <code>: <reason>".
func TestReasonAsTornado(t *testing.T) {
	for _, c := range []struct{ status, reason, errText string }{
		{"404 ", "Not Found", "HTTP 404: Not Found"},
		{"404 Nothing Here", "Nothing Here", "HTTP 404: Nothing Here"},
		{"499 ", "Unknown", "HTTP 499: Unknown"},
		{"200 ", "OK", ""},
	} {
		url := rawServer(t, func(conn net.Conn) {
			if _, err := readHead(conn); err != nil {
				return
			}
			io.WriteString(conn, "HTTP/1.1 "+c.status+"\r\nContent-Length: 0\r\n\r\n")
			io.Copy(io.Discard, conn)
		})
		e := newEnv(t, nil)
		r := e.mustDo(&httpclient.Request{URL: url})
		errText := ""
		if err := r.Err(); err != nil {
			errText = err.Error()
		}
		if r.Reason != c.reason || errText != c.errText {
			t.Errorf("%q: reason %q, error %q; want %q, %q", c.status, r.Reason, errText, c.reason, c.errText)
		}
	}
}

// A folded header line in a response is joined to its value with one
// space (RFC 9112 section 5.2, as Tornado and net/http read it), and the
// value stays right after the connection's buffer is reused.
func TestResponseObsFoldUnfolded(t *testing.T) {
	url := rawServer(t, func(conn net.Conn) {
		if _, err := readHead(conn); err != nil {
			return
		}
		io.WriteString(conn, "HTTP/1.1 200 OK\r\nX-Folded: one\r\n  two\r\n\tthree\r\nContent-Length: 2\r\n\r\nok")
		io.Copy(io.Discard, conn)
	})
	e := newEnv(t, nil)
	r := e.mustDo(&httpclient.Request{URL: url})
	if r.Status != 200 || string(r.Body) != "ok" {
		t.Fatalf("%d %q", r.Status, r.Body)
	}
	if got := r.Header.GetString("X-Folded"); got != "one two three" {
		t.Fatalf("X-Folded = %q, want %q", got, "one two three")
	}
}

// A TLS configuration that also offers "h2" (one shared with an HTTP/2
// client) still gets HTTP/1.1 from a server that speaks both: the client
// offers only "http/1.1".
func TestTLSOffersOnlyHTTP11(t *testing.T) {
	srv := &server{}
	srv.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Proto)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	e := newEnv(t, &httpclient.Options{TLS: &tls.Config{RootCAs: pool, NextProtos: []string{"h2", "http/1.1"}}})
	r, err := e.do(&httpclient.Request{URL: srv.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != 200 || string(r.Body) != "HTTP/1.1" {
		t.Fatalf("%d %q, want 200 HTTP/1.1", r.Status, r.Body)
	}
}

// A request body written in pieces (a BodyProducer) must not wait for the
// server's delayed ACK before each piece: connections set TCP_NODELAY, as
// Tornado's simple client and net/http do. With Nagle's algorithm on, every
// such request on a pooled connection stalled about 40 ms (the delayed-ACK
// timer); the fastest of several is taken, so load cannot fail the test.
func TestProducedBodyNotHeldByNagle(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Write(body)
	})
	e := newEnv(t, nil)
	e.mustDo(&httpclient.Request{URL: srv.URL}) // a pooled connection past TCP's quick ACKs
	prod := func(w *httpclient.BodyWriter) {
		var next func(n int)
		next = func(n int) {
			if n == 0 {
				w.End(nil)
				return
			}
			w.Write([]byte("piece,"), func(err error) {
				if err == nil {
					next(n - 1)
				}
			})
		}
		next(3)
	}
	fastest := time.Hour
	for range 5 {
		start := time.Now()
		r := e.mustDo(&httpclient.Request{Method: "PUT", URL: srv.URL, BodyProducer: prod})
		fastest = min(fastest, time.Since(start))
		if string(r.Body) != "piece,piece,piece," {
			t.Fatalf("body %q", r.Body)
		}
	}
	if fastest >= 30*time.Millisecond {
		t.Fatalf("the fastest of 5 produced uploads took %v: small writes wait for delayed ACKs (no TCP_NODELAY)", fastest)
	}
}

// TestResponseTransferCodingRefused: a response body framed with a transfer
// coding other than chunked (gzip, chunked; or gzip alone, read to the
// close) fails with CodeUnsupportedTransferEncoding, as net/http refuses
// it, instead of handing out the still-coded bytes as the content; a
// response without a body, whatever its field says, is fine.
func TestResponseTransferCodingRefused(t *testing.T) {
	for _, c := range []struct{ name, resp, method string }{
		{"gzip then chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", "GET"},
		{"gzip alone", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nabc", "GET"},
		{"two lines", "HTTP/1.1 200 OK\r\nTransfer-Encoding: x-custom\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "GET"},
		{"no body: HEAD", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "HEAD"},
		{"chunked, any case", "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", "GET"},
	} {
		t.Run(c.name, func(t *testing.T) {
			url := rawServer(t, func(conn net.Conn) {
				if _, err := readHead(conn); err != nil {
					return
				}
				io.WriteString(conn, c.resp)
				conn.Close()
			})
			e := newEnv(t, nil)
			r, err := e.do(&httpclient.Request{URL: url, Method: c.method})
			if strings.HasPrefix(c.name, "no body") || strings.HasPrefix(c.name, "chunked") {
				if err != nil || r.Status != 200 {
					t.Fatalf("%v %v", r, err)
				}
				return
			}
			var he *httpproto.Error
			if !errors.As(err, &he) || he.Code != httpproto.CodeUnsupportedTransferEncoding {
				t.Fatalf("got %v, %v; want CodeUnsupportedTransferEncoding", r, err)
			}
		})
	}
}
