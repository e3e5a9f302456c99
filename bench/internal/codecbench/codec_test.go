package codecbench

import (
	"bufio"
	"bytes"
	"net/http"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/gale-io/gale/httpproto"
)

// The inputs: the smallest valid HTTP/1.1 request, and a browser's
// navigation request (Firefox's fields).
var inputs = []struct {
	name string
	in   []byte
}{
	{"minimal", []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n")},
	{"browser", []byte("GET /search?q=gale&lang=en HTTP/1.1\r\n" +
		"Host: www.example.com\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
		"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n" +
		"Accept-Language: en-US,en;q=0.5\r\n" +
		"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
		"Connection: keep-alive\r\n" +
		"Cookie: session=abcdef0123456789; theme=dark\r\n" +
		"Upgrade-Insecure-Requests: 1\r\n" +
		"Sec-Fetch-Dest: document\r\n" +
		"Sec-Fetch-Mode: navigate\r\n" +
		"Sec-Fetch-Site: none\r\n" +
		"Priority: u=0, i\r\n" +
		"\r\n")},
}

// parsed is what a parser made of a request: enough to check that all
// three read the same message.
type parsed struct {
	method, target, host, ua string
	fields                   int
}

// galeRun parses in with p, to the end of the message. The fields stay
// views of in: no copy.
func galeRun(p *httpproto.Parser, in []byte) error {
	p.InitRequest(nil)
	for off := 0; ; {
		ev, n, err := p.Next(in[off:])
		off += n
		if err != nil {
			return err
		}
		if ev.Kind == httpproto.MessageDone {
			return nil
		}
		if ev.Kind == httpproto.None && n == 0 {
			return errStalled
		}
	}
}

func galeParse(p *httpproto.Parser, in []byte) (parsed, error) {
	if err := galeRun(p, in); err != nil {
		return parsed{}, err
	}
	r := p.Request()
	return parsed{string(r.RawMethod), string(r.Target), string(r.Host), string(r.Header.Get("User-Agent")), r.Header.Len()}, nil
}

type stallError struct{}

func (stallError) Error() string { return "parser stalled on a complete request" }

var errStalled error = stallError{}

func stdParse(br *bufio.Reader, rd *bytes.Reader, in []byte) (parsed, error) {
	rd.Reset(in)
	br.Reset(rd)
	r, err := http.ReadRequest(br)
	if err != nil {
		return parsed{}, err
	}
	n := len(r.Header) + 1 // Host is not in r.Header
	return parsed{r.Method, r.RequestURI, r.Host, r.Header.Get("User-Agent"), n}, nil
}

// fastRun reads in into req through br (fasthttp reads from a
// bufio.Reader; its fields are views of its own buffers).
func fastRun(req *fasthttp.Request, br *bufio.Reader, rd *bytes.Reader, in []byte) error {
	rd.Reset(in)
	br.Reset(rd)
	req.Reset()
	return req.Read(br)
}

func fastParse(req *fasthttp.Request, br *bufio.Reader, rd *bytes.Reader, in []byte) (parsed, error) {
	if err := fastRun(req, br, rd, in); err != nil {
		return parsed{}, err
	}
	h := &req.Header
	return parsed{string(h.Method()), string(h.RequestURI()), string(h.Host()), string(h.UserAgent()), h.Len()}, nil
}

// TestSameResult: the three parsers agree on every input, so the
// benchmarks compare the same work.
func TestSameResult(t *testing.T) {
	var p httpproto.Parser
	var req fasthttp.Request
	rd := bytes.NewReader(nil)
	br := bufio.NewReader(rd)
	for _, in := range inputs {
		g, err := galeParse(&p, in.in)
		if err != nil {
			t.Fatalf("%s: gale: %v", in.name, err)
		}
		s, err := stdParse(br, rd, in.in)
		if err != nil {
			t.Fatalf("%s: net/http: %v", in.name, err)
		}
		f, err := fastParse(&req, br, rd, in.in)
		if err != nil {
			t.Fatalf("%s: fasthttp: %v", in.name, err)
		}
		if g != s || g.method != f.method || g.target != f.target || g.host != f.host || g.ua != f.ua {
			t.Errorf("%s: gale %+v, net/http %+v, fasthttp %+v", in.name, g, s, f)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	for _, in := range inputs {
		b.Run(in.name+"/gale", func(b *testing.B) {
			var p httpproto.Parser
			b.SetBytes(int64(len(in.in)))
			b.ReportAllocs()
			for b.Loop() {
				if err := galeRun(&p, in.in); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(in.name+"/nethttp", func(b *testing.B) {
			rd := bytes.NewReader(nil)
			br := bufio.NewReader(rd)
			b.SetBytes(int64(len(in.in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := stdParse(br, rd, in.in); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(in.name+"/fasthttp", func(b *testing.B) {
			var req fasthttp.Request
			rd := bytes.NewReader(nil)
			br := bufio.NewReader(rd)
			b.SetBytes(int64(len(in.in)))
			b.ReportAllocs()
			for b.Loop() {
				if err := fastRun(&req, br, rd, in.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
