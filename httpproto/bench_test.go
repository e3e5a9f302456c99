package httpproto

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"testing"
)

// Inputs shared by the allocation guard and the benchmarks.
var (
	minimalGET = []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
	browserGET = []byte("GET /search?q=gale&lang=en HTTP/1.1\r\n" +
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
		"\r\n")
	smallPOST = []byte("POST /api/items HTTP/1.1\r\n" +
		"Host: api.example.com\r\n" +
		"Content-Type: application/json\r\n" +
		"Content-Length: 27\r\n" +
		"\r\n" +
		`{"name":"gale","count":42}` + "\n")
	chunkedPOST = []byte("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"10\r\n0123456789abcdef\r\n10;ext=1\r\n0123456789abcdef\r\n0\r\nX-Sum: 1\r\n\r\n")
	plainResponse = []byte("HTTP/1.1 200 OK\r\nServer: gale\r\nDate: Mon, 02 Jan 2006 15:04:05 GMT\r\n" +
		"Content-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!")
)

var errStalled = errors.New("parser asked for more input on a complete message")

// parseMessage runs p over one complete message in in.
func parseMessage(p *Parser, in []byte) error {
	for {
		ev, n, err := p.Next(in)
		if err != nil {
			return err
		}
		in = in[n:]
		switch ev.Kind {
		case MessageDone:
			return nil
		case None:
			return errStalled
		}
	}
}

// TestParserAllocs guards the zero-allocation path: a reused Parser
// parsing typical requests (and a response) allocates nothing.
func TestParserAllocs(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       []byte
		response bool
	}{
		{"minimal GET", minimalGET, false},
		{"browser GET", browserGET, false},
		{"small POST", smallPOST, false},
		{"chunked POST with trailers", chunkedPOST, false},
		{"response", plainResponse, true},
	} {
		var p Parser
		if tc.response {
			p.InitResponse(nil)
		} else {
			p.InitRequest(nil)
		}
		if err := parseMessage(&p, tc.in); err != nil { // warm up the storage
			t.Fatalf("%s: %v", tc.name, err)
		}
		allocs := testing.AllocsPerRun(200, func() {
			if err := parseMessage(&p, tc.in); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per message, want 0", tc.name, allocs)
		}
	}
}

// BenchmarkParseRequest compares gale's parser with net/http's
// http.ReadRequest on the same bytes (net/http also builds its header map
// and Request, which is part of the difference).
func BenchmarkParseRequest(b *testing.B) {
	for _, in := range []struct {
		name string
		data []byte
	}{{"minimal", minimalGET}, {"browser", browserGET}, {"post", smallPOST}, {"chunked", chunkedPOST}} {
		b.Run(in.name+"/gale", func(b *testing.B) {
			var p Parser
			p.InitRequest(nil)
			b.SetBytes(int64(len(in.data)))
			b.ReportAllocs()
			for b.Loop() {
				if err := parseMessage(&p, in.data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(in.name+"/nethttp", func(b *testing.B) {
			rd := bytes.NewReader(nil)
			br := bufio.NewReader(rd)
			b.SetBytes(int64(len(in.data)))
			b.ReportAllocs()
			for b.Loop() {
				rd.Reset(in.data)
				br.Reset(rd)
				req, err := http.ReadRequest(br)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, req.Body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseResponse(b *testing.B) {
	b.Run("gale", func(b *testing.B) {
		var p Parser
		p.InitResponse(nil)
		b.SetBytes(int64(len(plainResponse)))
		b.ReportAllocs()
		for b.Loop() {
			if err := parseMessage(&p, plainResponse); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("nethttp", func(b *testing.B) {
		rd := bytes.NewReader(nil)
		br := bufio.NewReader(rd)
		b.SetBytes(int64(len(plainResponse)))
		b.ReportAllocs()
		for b.Loop() {
			rd.Reset(plainResponse)
			br.Reset(rd)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkParseHeadBytewise measures the worst split: a browser head fed
// one byte more at each call (linear, thanks to the remembered scan).
func BenchmarkParseHeadBytewise(b *testing.B) {
	var p Parser
	p.InitRequest(nil)
	b.SetBytes(int64(len(browserGET)))
	b.ReportAllocs()
	for b.Loop() {
		for i := 1; ; i++ {
			ev, _, err := p.Next(browserGET[:i])
			if err != nil {
				b.Fatal(err)
			}
			if ev.Kind == HeadDone {
				break
			}
		}
		if ev, _, _ := p.Next(nil); ev.Kind != MessageDone {
			b.Fatal("no MessageDone")
		}
	}
}

// BenchmarkResponseHead is the head of a small response as the server
// builds it: the handler's Content-Type, then Content-Length, Server and
// Date, encoded with validation and framing.
func BenchmarkResponseHead(b *testing.B) {
	var h Headers
	var e Encoder
	date := []byte("Sat, 21 Nov 2026 20:00:00 GMT")
	dst := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		h.Reset()
		e.Reset()
		h.Add("Content-Type", "text/plain")
		h.AddInt("Content-Length", 13)
		h.Add("Server", "gale")
		h.AddBytes([]byte("Date"), date)
		var err error
		dst, err = e.AppendResponseHead(dst[:0], RequestInfo{KeepAlive: true}, 200, "", &h)
		if err != nil {
			b.Fatal(err)
		}
	}
}
