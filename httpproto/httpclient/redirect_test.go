package httpclient_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/httpproto/httpclient"
)

// echoHandler answers with what it got: method, path, body and the
// credential headers.
func echoHandler(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	fmt.Fprintf(w, "%s %s body=%q ct=%q auth=%q cookie=%q", r.Method, r.URL.Path, body,
		r.Header.Get("Content-Type"), r.Header.Get("Authorization"), r.Header.Get("Cookie"))
}

func TestRedirects(t *testing.T) {
	other := newServer(t, echoHandler)
	var srv *server
	srv = newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/r/"):
			code, _ := strconv.Atoi(r.URL.Path[3:])
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Location", r.URL.Query().Get("to"))
			w.WriteHeader(code)
			io.WriteString(w, "moved")
		case r.URL.Path == "/loop":
			n, _ := strconv.Atoi(r.URL.Query().Get("n"))
			http.Redirect(w, r, "/loop?n="+strconv.Itoa(n+1), http.StatusFound)
		case r.URL.Path == "/nolocation":
			w.WriteHeader(302)
		default:
			echoHandler(w, r)
		}
	})
	e := newEnv(t, nil)
	cred := headers("Authorization", "Bearer x", "Cookie", "a=1", "Content-Type", "text/plain")
	for _, c := range []struct {
		name, method, path string
		body               string
		want               string
		redirects          int
	}{
		{"301 POST becomes GET", "POST", "/r/301?to=/final", "data", `GET /final body="" ct="" auth="Bearer x" cookie="a=1"`, 1},
		{"302 POST becomes GET", "POST", "/r/302?to=/final", "data", `GET /final body="" ct="" auth="Bearer x" cookie="a=1"`, 1},
		{"303 PUT becomes GET", "PUT", "/r/303?to=/final", "data", `GET /final body="" ct="" auth="Bearer x" cookie="a=1"`, 1},
		{"302 PUT keeps", "PUT", "/r/302?to=/final", "data", `PUT /final body="data" ct="text/plain" auth="Bearer x" cookie="a=1"`, 1},
		{"307 POST keeps", "POST", "/r/307?to=/final", "data", `POST /final body="data" ct="text/plain" auth="Bearer x" cookie="a=1"`, 1},
		{"308 PUT keeps", "PUT", "/r/308?to=../final2", "data", `PUT /final2 body="data" ct="text/plain" auth="Bearer x" cookie="a=1"`, 1},
		{"cross origin strips", "GET", "/r/302?to=" + other.URL + "/x", "", `GET /x body="" ct="text/plain" auth="" cookie=""`, 1},
		{"two hops", "GET", "/r/301?to=/r/307%3Fto%3D/end", "", `GET /end body="" ct="text/plain" auth="Bearer x" cookie="a=1"`, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := &httpclient.Request{Method: c.method, URL: srv.URL + c.path, Header: cred}
			if c.body != "" {
				req.Body = []byte(c.body)
			}
			r, err := e.do(req)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != 200 || string(r.Body) != c.want || r.Redirects != c.redirects || r.Request != req {
				t.Fatalf("%d %q (%d redirects)\nwant %q", r.Status, r.Body, r.Redirects, c.want)
			}
		})
	}
	// The limit: five redirects followed, the sixth 302 is the response.
	r := e.mustDo(&httpclient.Request{URL: srv.URL + "/loop?n=0"})
	if r.Status != 302 || r.Redirects != 5 || !r.RedirectLimit || !errors.Is(r.Err(), httpclient.ErrTooManyRedirects) {
		t.Fatalf("limit: %d after %d redirects, limit %v, err %v", r.Status, r.Redirects, r.RedirectLimit, r.Err())
	}
	if !strings.HasSuffix(r.EffectiveURL, "/loop?n=5") {
		t.Errorf("EffectiveURL %q", r.EffectiveURL)
	}
	r = e.mustDo(&httpclient.Request{URL: srv.URL + "/loop?n=0", MaxRedirects: 2})
	if r.Redirects != 2 || r.Status != 302 {
		t.Errorf("MaxRedirects 2: %d redirects", r.Redirects)
	}
	r = e.mustDo(&httpclient.Request{URL: srv.URL + "/loop?n=0", FollowRedirects: httpclient.Off})
	if r.Redirects != 0 || r.Status != 302 || r.RedirectLimit {
		t.Errorf("no follow: %d %d", r.Status, r.Redirects)
	}
	r = e.mustDo(&httpclient.Request{URL: srv.URL + "/nolocation"})
	if r.Status != 302 || r.Redirects != 0 {
		t.Errorf("no Location: %d", r.Status)
	}
	// A produced body cannot be replayed: the 307 is the answer.
	r = e.mustDo(&httpclient.Request{Method: "POST", URL: srv.URL + "/r/307?to=/final",
		BodyProducer: func(w *httpclient.BodyWriter) { w.Write([]byte("x"), nil); w.End(nil) }})
	if r.Status != 307 {
		t.Errorf("producer with 307: %d", r.Status)
	}
	// Redirect hops reuse the pooled connection.
	if n := srv.newConns(); n > 2 {
		t.Errorf("%d connections to the redirecting server", n)
	}
}

// The callbacks see only the final response of a redirect chain.
func TestRedirectCallbacks(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			http.Redirect(w, r, "/end", http.StatusFound)
			return
		}
		io.WriteString(w, "end")
	})
	e := newEnv(t, nil)
	var statuses []int
	var body []byte
	e.mustDo(&httpclient.Request{URL: srv.URL,
		OnHeader: func(r *httpclient.Response) { statuses = append(statuses, r.Status) },
		OnChunk:  func(b []byte) { body = append(body, b...) }})
	if len(statuses) != 1 || statuses[0] != 200 || string(body) != "end" {
		t.Fatalf("callbacks saw %v %q", statuses, body)
	}
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestDecompression(t *testing.T) {
	plain := bytes.Repeat([]byte("gale "), 10000)
	bomb := gz(make([]byte, 10<<20)) // 10 MiB of zeros, about 10 KiB compressed
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-AE", r.Header.Get("Accept-Encoding"))
		switch r.URL.Path {
		case "/bomb":
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(bomb)
		case "/corrupt":
			w.Header().Set("Content-Encoding", "gzip")
			w.Write([]byte("not gzip at all"))
		default:
			if r.Header.Get("Accept-Encoding") == "gzip" {
				w.Header().Set("Content-Encoding", "gzip")
				w.Write(gz(plain))
				return
			}
			w.Write(plain)
		}
	})
	e := newEnv(t, &httpclient.Options{MaxDecompressedSize: 1 << 20})
	r := e.mustDo(&httpclient.Request{URL: srv.URL})
	if !bytes.Equal(r.Body, plain) || r.Header.GetString("X-AE") != "gzip" ||
		r.Header.Has("Content-Encoding") || r.Header.GetString("X-Consumed-Content-Encoding") != "gzip" {
		t.Fatalf("gzip: %d bytes, AE %q, headers %v", len(r.Body), r.Header.GetString("X-AE"), r.Header.String())
	}
	r = e.mustDo(&httpclient.Request{URL: srv.URL, Decompress: httpclient.Off})
	if !bytes.Equal(r.Body, plain) || r.Header.Has("X-AE") && r.Header.GetString("X-AE") != "" {
		t.Fatalf("no decompression: AE %q", r.Header.GetString("X-AE"))
	}
	var streamed []byte
	e.mustDo(&httpclient.Request{URL: srv.URL, OnChunk: func(b []byte) { streamed = append(streamed, b...) }})
	if !bytes.Equal(streamed, plain) {
		t.Fatalf("streamed gzip: %d bytes", len(streamed))
	}
	_, err := e.do(&httpclient.Request{URL: srv.URL + "/bomb"})
	var he *httpclient.Error
	if !errors.Is(err, httpproto.ErrBodyTooLarge) || !errors.As(err, &he) || he.Op != "decode" {
		t.Fatalf("bomb: %v", err)
	}
	_, err = e.do(&httpclient.Request{URL: srv.URL + "/corrupt"})
	if !errors.As(err, &he) || he.Op != "decode" {
		t.Fatalf("corrupt: %v", err)
	}
}

func TestExpectContinue(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/reject" {
			w.WriteHeader(http.StatusExpectationFailed) // without reading the body
			return
		}
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s", r.Header.Get("Expect"), body)
	})
	e := newEnv(t, &httpclient.Options{ContinueTimeout: 10 * time.Second})
	start := time.Now()
	r := e.mustDo(&httpclient.Request{Method: "PUT", URL: srv.URL, Body: []byte("payload"), ExpectContinue: true})
	if string(r.Body) != "100-continue payload" {
		t.Fatalf("body %q", r.Body)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("waited for the fallback timer instead of the 100")
	}
	r = e.mustDo(&httpclient.Request{Method: "PUT", URL: srv.URL + "/reject", Body: []byte("payload"), ExpectContinue: true})
	if r.Status != 417 {
		t.Fatalf("reject: %d", r.Status)
	}
	r = e.mustDo(&httpclient.Request{Method: "PUT", URL: srv.URL, ExpectContinue: true,
		BodyProducer: func(w *httpclient.BodyWriter) { w.Write([]byte("prod"), nil); w.End(nil) }})
	if string(r.Body) != "100-continue prod" {
		t.Fatalf("producer: %q", r.Body)
	}
}

// A server that ignores Expect: the body goes after ContinueTimeout.
func TestExpectContinueFallback(t *testing.T) {
	url := rawServer(t, func(c net.Conn) {
		defer c.Close()
		head, err := readHead(c)
		if err != nil || !strings.Contains(head, "Expect: 100-continue") {
			return
		}
		body := make([]byte, 4)
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n%s", body)
	})
	e := newEnv(t, &httpclient.Options{ContinueTimeout: 20 * time.Millisecond})
	r := e.mustDo(&httpclient.Request{Method: "POST", URL: url, Body: []byte("data"), ExpectContinue: true})
	if string(r.Body) != "data" {
		t.Fatalf("%q", r.Body)
	}
}

func TestMalformedResponses(t *testing.T) {
	for _, c := range []struct {
		name, reply string
		want        error
	}{
		{"garbage status line", "SSH-2.0-OpenSSH\r\n\r\n", httpproto.ErrBadStatusLine},
		{"bad version", "HTTP/2 200 OK\r\n\r\n", nil},
		{"conflicting lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", httpproto.ErrBadContentLength},
		{"cut short", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", httpproto.ErrIncomplete},
	} {
		t.Run(c.name, func(t *testing.T) {
			url := rawServer(t, func(conn net.Conn) {
				if _, err := readHead(conn); err != nil {
					return
				}
				io.WriteString(conn, c.reply)
				if c.want == httpproto.ErrIncomplete {
					conn.Close()
					return
				}
				io.Copy(io.Discard, conn) // keep it open: the error must not wait for a timeout
			})
			e := newEnv(t, nil)
			start := time.Now()
			_, err := e.do(&httpclient.Request{URL: url})
			var pe *httpproto.Error
			if !errors.As(err, &pe) || (c.want != nil && !errors.Is(err, c.want)) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("failed after %v", d)
			}
		})
	}
}

// A POST with ExpectContinue redirected with 303 becomes a GET without a
// body, and its "Expect: 100-continue" goes with the body: RFC 9110
// section 10.1.1, "A client MUST NOT generate a 100-continue expectation in
// a request that does not include content."
func TestRedirectToGetDropsExpect(t *testing.T) {
	var mu sync.Mutex
	var expect []string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/post" {
			io.Copy(io.Discard, r.Body)
			http.Redirect(w, r, "/target", http.StatusSeeOther)
			return
		}
		mu.Lock()
		expect = r.Header.Values("Expect")
		mu.Unlock()
		io.WriteString(w, r.Method+" ok")
	})
	e := newEnv(t, &httpclient.Options{ContinueTimeout: 10 * time.Second})
	r := e.mustDo(&httpclient.Request{Method: "POST", URL: srv.URL + "/post", Body: []byte("data"), ExpectContinue: true})
	if r.Status != 200 || string(r.Body) != "GET ok" {
		t.Fatalf("redirected GET got %d %q, want 200 \"GET ok\"", r.Status, r.Body)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(expect) != 0 {
		t.Fatalf("bodiless GET after the 303 was sent with Expect: %q", expect)
	}
}

// A negative MaxRedirects follows none (Request and Options document it
// so): the redirect is the response, as with FollowRedirects Off
// (Tornado's follow_redirects=False), not a limit reached after following
// some, so its error is the plain HTTPError of its status.
func TestNegativeMaxRedirectsFollowsNone(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	check := func(name string, r *httpclient.Response) {
		t.Helper()
		if r.Status != 302 || r.Redirects != 0 || r.RedirectLimit || errors.Is(r.Err(), httpclient.ErrTooManyRedirects) {
			t.Errorf("%s: %d after %d redirects, RedirectLimit %v, err %v; want the 302 as with FollowRedirects Off",
				name, r.Status, r.Redirects, r.RedirectLimit, r.Err())
		}
	}
	e := newEnv(t, nil)
	check("Request.MaxRedirects -1", e.mustDo(&httpclient.Request{URL: srv.URL + "/", MaxRedirects: -1}))
	e2 := newEnv(t, &httpclient.Options{MaxRedirects: -1})
	check("Options.MaxRedirects -1", e2.mustDo(&httpclient.Request{URL: srv.URL + "/"}))
	// A request's own limit still overrides the client's "none".
	if r := e2.mustDo(&httpclient.Request{URL: srv.URL + "/", MaxRedirects: 1}); r.Redirects != 1 || !r.RedirectLimit {
		t.Errorf("Request.MaxRedirects 1 over Options -1: %d redirects, RedirectLimit %v", r.Redirects, r.RedirectLimit)
	}
}

// MaxHeaderSize is the bound on a response head, as Tornado's
// max_header_size: a head within it is read although it has more fields,
// or a longer status line, than the codec's defaults (100 fields and an
// 8 KiB start line, a server's limits), and one beyond it fails with
// ErrHeaderTooLarge.
func TestResponseHeadBoundedByMaxHeaderSize(t *testing.T) {
	many := "HTTP/1.1 200 OK\r\n" + strings.Repeat("Set-Cookie: c=1\r\n", 300) + "Content-Length: 2\r\n\r\nok"
	longReason := "HTTP/1.1 200 " + strings.Repeat("r", 10000) + "\r\nContent-Length: 2\r\n\r\nok"
	tooBig := "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-Big: "+strings.Repeat("v", 100)+"\r\n", 700) + "Content-Length: 2\r\n\r\nok"
	for _, c := range []struct {
		name, reply string
		want        error
	}{
		{"300 fields", many, nil},
		{"10 KiB status line", longReason, nil},
		{"head over 64 KiB", tooBig, httpproto.ErrHeaderTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			url := rawServer(t, func(conn net.Conn) {
				if _, err := readHead(conn); err != nil {
					return
				}
				io.WriteString(conn, c.reply)
				io.Copy(io.Discard, conn)
			})
			e := newEnv(t, nil)
			r, err := e.do(&httpclient.Request{URL: url})
			if c.want != nil {
				if !errors.Is(err, c.want) {
					t.Fatalf("err = %v, want %v", err, c.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(r.Body) != "ok" || r.Header.Count("Set-Cookie") != strings.Count(c.reply, "Set-Cookie") {
				t.Fatalf("body %q, %d cookies", r.Body, r.Header.Count("Set-Cookie"))
			}
		})
	}
}

// A 307 or 308 answered before 100 Continue leaves a produced body
// unproduced: nothing needs replaying, so the redirect is followed with the
// producer called on the next hop (as Tornado calls body_producer again),
// not returned as the response.
func TestRedirect307BeforeContinueRunsProducerOnNextHop(t *testing.T) {
	url := rawServer(t, func(c net.Conn) {
		defer c.Close()
		for {
			head, err := readHead(c)
			if err != nil || !strings.Contains(head, "Expect: 100-continue") {
				return
			}
			if strings.HasPrefix(head, "PUT /start ") {
				// A final answer without reading the body: the client must
				// not send it on this connection.
				io.WriteString(c, "HTTP/1.1 307 Temporary Redirect\r\nLocation: /final\r\nContent-Length: 0\r\n\r\n")
				continue
			}
			io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n")
			body := make([]byte, len("produced"))
			if _, err := io.ReadFull(c, body); err != nil {
				return
			}
			reply := strings.Fields(head)[1] + " " + string(body)
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(reply), reply)
		}
	})
	e := newEnv(t, &httpclient.Options{ContinueTimeout: time.Minute})
	n := 0 // producer calls, on the loop (Do's return orders it before the check)
	r, err := e.do(&httpclient.Request{Method: "PUT", URL: url + "/start", ExpectContinue: true, BodyLength: int64(len("produced")),
		BodyProducer: func(w *httpclient.BodyWriter) {
			n++
			w.Write([]byte("produced"), nil)
			w.End(nil)
		}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != 200 || r.Redirects != 1 || n != 1 || string(r.Body) != "/final produced" {
		t.Fatalf("%d %q after %d redirects, producer called %d times; want the 307 followed with the body produced once", r.Status, r.Body, r.Redirects, n)
	}
}

// A Range request does not ask for gzip (as net/http, golang.org/issue/8923):
// a server that compresses before it cuts the range answers with a piece of
// a gzip stream, which cannot be decompressed, so the request failed with a
// decode error instead of getting its 206.
func TestRangeRequestNotGzipped(t *testing.T) {
	plain := []byte("0123456789abcdefghijklmnopqrstuvwxyz")
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		body := plain
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			// Compress, then cut the range (as Apache's mod_deflate does).
			w.Header().Set("Content-Encoding", "gzip")
			body = gz(plain)
		}
		w.Header().Set("Content-Range", fmt.Sprintf("bytes 10-19/%d", len(body)))
		w.WriteHeader(http.StatusPartialContent)
		w.Write(body[10:20])
	})
	e := newEnv(t, nil)
	r, err := e.do(&httpclient.Request{URL: srv.URL, Header: headers("Range", "bytes=10-19")})
	if err != nil {
		t.Fatalf("Range request: %v", err)
	}
	if r.Status != 206 || string(r.Body) != "abcdefghij" {
		t.Fatalf("%d %q", r.Status, r.Body)
	}
	// Asked for explicitly, gzip is the caller's choice.
	r = e.mustDo(&httpclient.Request{URL: srv.URL, Header: headers("Range", "bytes=10-19", "Accept-Encoding", "gzip"), Decompress: httpclient.Off})
	if r.Header.GetString("Content-Encoding") != "gzip" {
		t.Fatalf("explicit Accept-Encoding with Range: %v", r.Header.String())
	}
}

// A 206 carries a range of the encoded representation: a piece of a gzip
// stream cannot be decoded on its own, so it is handed over as it came
// (with its Content-Encoding), as net/http hands it over. A server that
// sends gzip unasked (a precompressed file) made a Range request fail with
// a decode error, streamed or not.
func TestPartialGzipNotDecoded(t *testing.T) {
	plain := []byte("0123456789abcdefghijklmnopqrstuvwxyz")
	z := gz(plain)
	url := rawServer(t, func(c net.Conn) {
		for {
			if _, err := readHead(c); err != nil {
				return
			}
			fmt.Fprintf(c, "HTTP/1.1 206 Partial Content\r\nContent-Encoding: gzip\r\nContent-Range: bytes 10-19/%d\r\nContent-Length: 10\r\n\r\n%s", len(z), z[10:20])
		}
	})
	e := newEnv(t, nil)
	for _, streamed := range []bool{false, true} {
		var chunks []byte
		req := &httpclient.Request{URL: url, Header: headers("Range", "bytes=10-19")}
		if streamed {
			req.OnChunk = func(p []byte) { chunks = append(chunks, p...) }
		}
		r, err := e.do(req)
		if err != nil {
			t.Fatalf("streamed %v: %v", streamed, err)
		}
		body := r.Body
		if streamed {
			body = chunks
		}
		if r.Status != 206 || !bytes.Equal(body, z[10:20]) || r.Header.GetString("Content-Encoding") != "gzip" {
			t.Fatalf("streamed %v: %d %q, Content-Encoding %q; want the 206's bytes as they came", streamed, r.Status, body, r.Header.GetString("Content-Encoding"))
		}
	}
}
