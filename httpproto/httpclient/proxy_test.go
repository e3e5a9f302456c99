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
