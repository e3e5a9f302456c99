package httpclient_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/httpproto/httpclient"
	"github.com/gale-io/gale/tcpclient"
)

// proxy is a small forward proxy (net/http): absolute-form requests are
// forwarded, CONNECT opens a tunnel (through Hijack). It checks
// Proxy-Authorization when auth is set and logs what it saw.
type proxy struct {
	*server
	auth  string
	mu    sync.Mutex
	seen  []string
	wg    sync.WaitGroup
	conns []net.Conn
}

func newProxy(t *testing.T, auth string) *proxy {
	p := &proxy{auth: auth}
	tr := &http.Transport{DisableKeepAlives: true, Proxy: nil}
	p.server = newServer(t, func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.seen = append(p.seen, r.Method+" "+r.RequestURI)
		p.mu.Unlock()
		if p.auth != "" && r.Header.Get("Proxy-Authorization") != p.auth {
			w.WriteHeader(http.StatusProxyAuthRequired)
			return
		}
		if r.Method == http.MethodConnect {
			p.tunnel(w, r)
			return
		}
		out, _ := http.NewRequest(r.Method, r.RequestURI, r.Body)
		out.Header = r.Header.Clone()
		out.Header.Del("Proxy-Authorization")
		resp, err := tr.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.Header().Set("Via", "test-proxy")
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	})
	t.Cleanup(func() {
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
		tr.CloseIdleConnections()
	})
	return p
}

func (p *proxy) tunnel(w http.ResponseWriter, r *http.Request) {
	up, err := net.Dial("tcp", r.Host)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	c, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		up.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, c, up)
	p.mu.Unlock()
	io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	p.wg.Add(2)
	go func() { defer p.wg.Done(); pipe(up, c) }()
	go func() { defer p.wg.Done(); pipe(c, up) }()
}

// pipe copies src to dst until either ends, then closes both. (Not
// io.Copy, which splices through pooled pipes that leakcheck reports.)
func pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 16<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *proxy) log() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

func TestProxyHTTP(t *testing.T) {
	target := newServer(t, echoHandler)
	p := newProxy(t, "Basic dTpw") // u:p
	e := newEnv(t, &httpclient.Options{Proxy: httpclient.FixedProxy(strings.Replace(p.URL, "http://", "http://u:p@", 1))})
	r := e.mustDo(&httpclient.Request{URL: target.URL + "/via?x=1"})
	if r.Status != 200 || r.Header.GetString("Via") != "test-proxy" || !strings.HasPrefix(string(r.Body), "GET /via") {
		t.Fatalf("%d %q", r.Status, r.Body)
	}
	if got := p.log(); len(got) != 1 || got[0] != "GET "+target.URL+"/via?x=1" {
		t.Fatalf("proxy saw %v, want the absolute-form target", got)
	}
	// The proxy's credentials are not the target's.
	if strings.Contains(string(r.Body), "auth=\"Basic") {
		t.Errorf("target saw %q", r.Body)
	}
	// An empty path is sent as "/" (RFC 9112 section 3.2.2), as curl and
	// net/http send it, not "http://host?x=1".
	e.mustDo(&httpclient.Request{URL: target.URL + "?x=1"})
	if got := p.log(); len(got) != 2 || got[1] != "GET "+target.URL+"/?x=1" {
		t.Fatalf("proxy saw %v, want an absolute-form target with path /", got)
	}
	// A wrong password: the proxy's 407 is the response.
	e2 := newEnv(t, &httpclient.Options{Proxy: httpclient.FixedProxy(strings.Replace(p.URL, "http://", "http://u:bad@", 1))})
	r = e2.mustDo(&httpclient.Request{URL: target.URL})
	if r.Status != 407 {
		t.Fatalf("bad proxy auth: %d", r.Status)
	}
}

func TestProxyConnectTLS(t *testing.T) {
	target := newTLSServer(t, echoHandler)
	p := newProxy(t, "Basic dTpw")
	pool := x509.NewCertPool()
	pool.AddCert(target.Certificate())
	cfg := &tls.Config{RootCAs: pool}
	e := newEnv(t, &httpclient.Options{TLS: cfg,
		Proxy: httpclient.FixedProxy(strings.Replace(p.URL, "http://", "http://u:p@", 1))})
	// httptest's certificate is for 127.0.0.1 and example.com.
	r := e.mustDo(&httpclient.Request{URL: target.URL + "/secret"})
	if r.Status != 200 || !strings.HasPrefix(string(r.Body), "GET /secret") {
		t.Fatalf("%d %q", r.Status, r.Body)
	}
	r = e.mustDo(&httpclient.Request{URL: target.URL + "/again"})
	if !r.Reused {
		t.Error("second request through the tunnel did not reuse it")
	}
	host := strings.TrimPrefix(target.URL, "https://")
	if got := p.log(); len(got) != 1 || got[0] != "CONNECT "+host {
		t.Fatalf("proxy saw %v", got)
	}
	// A refused CONNECT is a *ProxyError.
	e2 := newEnv(t, &httpclient.Options{TLS: cfg, Proxy: httpclient.FixedProxy(p.URL)})
	_, err := e2.do(&httpclient.Request{URL: target.URL})
	var pe *httpclient.ProxyError
	if !errors.As(err, &pe) || pe.Status != 407 {
		t.Fatalf("refused CONNECT: %v", err)
	}
}

func TestTLSVerification(t *testing.T) {
	srv := newTLSServer(t, echoHandler)
	e := newEnv(t, nil)
	_, err := e.do(&httpclient.Request{URL: srv.URL})
	var ce *tls.CertificateVerificationError
	var te *tcpclient.Error
	if !errors.As(err, &ce) || !errors.As(err, &te) || te.Op != "tls" {
		t.Fatalf("unknown authority: %v, want a certificate verification error", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	r := e.mustDo(&httpclient.Request{URL: srv.URL, TLS: &tls.Config{RootCAs: pool}})
	if r.Status != 200 {
		t.Fatalf("with RootCAs: %d", r.Status)
	}
	r = e.mustDo(&httpclient.Request{URL: srv.URL, TLS: &tls.Config{InsecureSkipVerify: true}})
	if r.Status != 200 {
		t.Fatalf("InsecureSkipVerify: %d", r.Status)
	}
	// The name must match too: "localhost" is not in httptest's certificate.
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	_, err = e.do(&httpclient.Request{URL: "https://localhost:" + port, TLS: &tls.Config{RootCAs: pool}})
	if err == nil {
		t.Fatal("wrong host name accepted")
	}
}

var _ = httpproto.HTTP11

// A Proxy-Authorization field in the request's header is for the proxy
// only (RFC 9110 section 11.7.2): for an https target it goes on the
// CONNECT request, and never through the tunnel to the origin server.
func TestProxyAuthorizationHeaderOnlyToProxy(t *testing.T) {
	target := newTLSServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "origin saw "+strconv.Quote(r.Header.Get("Proxy-Authorization")))
	})
	p := newProxy(t, "Basic dTpw")
	pool := x509.NewCertPool()
	pool.AddCert(target.Certificate())
	e := newEnv(t, &httpclient.Options{TLS: &tls.Config{RootCAs: pool}, Proxy: httpclient.FixedProxy(p.URL)})
	r, err := e.do(&httpclient.Request{URL: target.URL, Header: headers("Proxy-Authorization", "Basic dTpw")})
	if err != nil {
		t.Fatalf("CONNECT without the request's Proxy-Authorization: %v", err)
	}
	if r.Status != 200 || string(r.Body) != `origin saw ""` {
		t.Fatalf("%d %q: the origin got the proxy's credentials", r.Status, r.Body)
	}
}

// A proxy that closes the connection instead of answering CONNECT fails the
// request as a proxy error (Op "proxy"), not as a failed response read.
func TestProxyClosesBeforeConnectAnswer(t *testing.T) {
	proxy := rawServer(t, func(c net.Conn) {
		readHead(c)
		c.Close()
	})
	e := newEnv(t, &httpclient.Options{Proxy: httpclient.FixedProxy(proxy)})
	_, err := e.do(&httpclient.Request{URL: "https://example.com/"})
	var he *httpclient.Error
	if !errors.As(err, &he) || he.Op != "proxy" {
		t.Fatalf("err = %v, want an *httpclient.Error with Op \"proxy\"", err)
	}
}

// A Proxy-Authorization the request carries is the proxy's: a redirect to
// another origin through the same proxy keeps it for that proxy (on the
// absolute-form request for http, on the CONNECT for https), while no
// origin server sees it.
func TestProxyAuthorizationKeptAcrossOriginsOnSameProxy(t *testing.T) {
	originSaw := func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "final saw "+strconv.Quote(r.Header.Get("Proxy-Authorization")))
	}
	for _, scheme := range []string{"http", "https"} {
		t.Run(scheme, func(t *testing.T) {
			newSrv := newServer
			if scheme == "https" {
				newSrv = newTLSServer
			}
			final := newSrv(t, originSaw)
			first := newSrv(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Proxy-Authorization") != "" {
					w.WriteHeader(http.StatusTeapot) // the proxy's credentials reached an origin
					return
				}
				http.Redirect(w, r, final.URL+"/end", http.StatusFound)
			})
			p := newProxy(t, "Basic dTpw")
			opts := &httpclient.Options{Proxy: httpclient.FixedProxy(p.URL)}
			if scheme == "https" {
				pool := x509.NewCertPool()
				pool.AddCert(first.Certificate())
				pool.AddCert(final.Certificate())
				opts.TLS = &tls.Config{RootCAs: pool}
			}
			e := newEnv(t, opts)
			r, err := e.do(&httpclient.Request{URL: first.URL + "/start", Header: headers("Proxy-Authorization", "Basic dTpw")})
			if err != nil {
				t.Fatalf("the redirect's hop through the same proxy lost its Proxy-Authorization: %v", err)
			}
			if r.Status != 200 || r.Redirects != 1 || string(r.Body) != `final saw ""` {
				t.Fatalf("%d after %d redirects: %q", r.Status, r.Redirects, r.Body)
			}
		})
	}
}

// Proxy credentials are for the proxy they were given to: a redirect whose
// hop goes elsewhere (here, directly to the same origin, as a Proxy
// function choosing by path may decide) sends none, neither those of the
// proxy URL nor the request's own Proxy-Authorization.
func TestProxyAuthorizationNotSentWhenRedirectLeavesProxy(t *testing.T) {
	var mu sync.Mutex
	var leaked []string
	target := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if v := r.Header.Get("Proxy-Authorization"); v != "" {
			mu.Lock()
			leaked = append(leaked, r.URL.Path+" got "+v)
			mu.Unlock()
		}
		if r.URL.Path == "/start" {
			http.Redirect(w, r, "/direct", http.StatusFound)
			return
		}
		io.WriteString(w, "direct")
	})
	p := newProxy(t, "Basic dTpw")
	for _, c := range []struct {
		name, proxyURL string
		header         *httpproto.Headers
	}{
		{"proxy URL credentials", strings.Replace(p.URL, "http://", "http://u:p@", 1), nil},
		{"request's Proxy-Authorization", p.URL, headers("Proxy-Authorization", "Basic dTpw")},
	} {
		t.Run(c.name, func(t *testing.T) {
			mu.Lock()
			leaked = nil
			mu.Unlock()
			e := newEnv(t, &httpclient.Options{Proxy: func(u httpproto.URL) (string, error) {
				if u.Path == "/start" {
					return c.proxyURL, nil
				}
				return "", nil
			}})
			r := e.mustDo(&httpclient.Request{URL: target.URL + "/start", Header: c.header})
			if r.Status != 200 || r.Redirects != 1 || string(r.Body) != "direct" {
				t.Fatalf("%d after %d redirects: %q", r.Status, r.Redirects, r.Body)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(leaked) > 0 {
				t.Fatalf("the origin server got the proxy's credentials: %v", leaked)
			}
		})
	}
}

// A CONNECT tunnel is authorized by the Proxy-Authorization it was opened
// with: a request with other credentials (here none) must not ride a
// pooled tunnel another request's credentials opened, but ask the proxy
// itself (which refuses it).
func TestProxyTunnelPooledPerProxyAuthorization(t *testing.T) {
	target := newTLSServer(t, echoHandler)
	p := newProxy(t, "Basic dTpw")
	pool := x509.NewCertPool()
	pool.AddCert(target.Certificate())
	e := newEnv(t, &httpclient.Options{TLS: &tls.Config{RootCAs: pool}, Proxy: httpclient.FixedProxy(p.URL)})
	r := e.mustDo(&httpclient.Request{URL: target.URL + "/a", Header: headers("Proxy-Authorization", "Basic dTpw")})
	if r.Status != 200 || e.idle() != 1 {
		t.Fatalf("authorized request: %d, %d idle", r.Status, e.idle())
	}
	r, err := e.do(&httpclient.Request{URL: target.URL + "/b"})
	var pe *httpclient.ProxyError
	if !errors.As(err, &pe) || pe.Status != 407 {
		reused := r != nil && r.Reused
		t.Fatalf("request without credentials: err %v (reused tunnel: %v), want the proxy's 407", err, reused)
	}
	// The same credentials still reuse the tunnel.
	r = e.mustDo(&httpclient.Request{URL: target.URL + "/c", Header: headers("Proxy-Authorization", "Basic dTpw")})
	if r.Status != 200 || !r.Reused {
		t.Fatalf("same credentials: %d, reused %v", r.Status, r.Reused)
	}
}

// The proxy URL's credentials win over a Proxy-Authorization the request
// sets, for an http target as on a CONNECT, as net/http has it (the
// request's used to win for http targets only).
func TestProxyURLCredentialsWinForHTTPTargets(t *testing.T) {
	target := newServer(t, echoHandler)
	p := newProxy(t, "Basic dTpw") // u:p
	e := newEnv(t, &httpclient.Options{Proxy: httpclient.FixedProxy(strings.Replace(p.URL, "http://", "http://u:p@", 1))})
	r := e.mustDo(&httpclient.Request{URL: target.URL + "/", Header: headers("Proxy-Authorization", "Basic b3RoZXI6eA==")})
	if r.Status != 200 {
		t.Fatalf("status %d: the proxy did not get the proxy URL's credentials", r.Status)
	}
}
