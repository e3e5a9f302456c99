package httpproto

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Request smuggling: inputs that a proxy in front and this parser could
// frame differently. Each must be refused (with the status to answer) or
// framed the one way RFC 9112 allows; the cases run through runCases, so
// also byte by byte and split at every index.

const smugglePrefix = "POST / HTTP/1.1\r\nHost: a\r\n"

var smugglingCases = []parseCase{
	// CL.TE and TE.CL: both framings present.
	{name: "CL.TE", in: smugglePrefix + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
		err: CodeBadTransferEncoding, status: 400},
	{name: "TE.CL", in: smugglePrefix + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n",
		err: CodeBadTransferEncoding, status: 400},
	{name: "TE.CL with CL 0", in: smugglePrefix + "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n",
		err: CodeBadTransferEncoding, status: 400},

	// TE.TE: Transfer-Encoding obfuscated so that one parser sees chunked
	// and the other does not.
	{name: "xchunked", in: smugglePrefix + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
		err: CodeBadTransferEncoding, status: 400},
	{name: "chunk", in: smugglePrefix + "Transfer-Encoding: chunk\r\n\r\n0\r\n\r\n",
		err: CodeBadTransferEncoding, status: 400},
	{name: "quoted chunked", in: smugglePrefix + "Transfer-Encoding: \"chunked\"\r\n\r\n0\r\n\r\n",
		err: CodeBadTransferEncoding, status: 400},
	{name: "space before the colon", in: smugglePrefix + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
		err: CodeBadHeader, status: 400},
	{name: "tab before the colon", in: smugglePrefix + "Transfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n",
		err: CodeBadHeader, status: 400},
	{name: "tab as OWS is valid", in: smugglePrefix + "Transfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2", "done"}},
	{name: "no space after the colon is valid", in: smugglePrefix + "Transfer-Encoding:chunked\r\n\r\n0\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2", "done"}},
	{name: "vertical tab before the value", in: smugglePrefix + "Transfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n",
		err: CodeBadHeader, status: 400},
	{name: "form feed after the value", in: smugglePrefix + "Transfer-Encoding: chunked\x0c\r\n\r\n0\r\n\r\n",
		err: CodeBadHeader, status: 400},
	{name: "NUL after the value", in: smugglePrefix + "Transfer-Encoding: chunked\x00\r\n\r\n0\r\n\r\n",
		err: CodeBadHeader, status: 400},
	{name: "non-breaking space before the value", in: smugglePrefix + "Transfer-Encoding: \xa0chunked\r\n\r\n0\r\n\r\n",
		err: CodeBadTransferEncoding, status: 400},
	{name: "non-ASCII in the name", in: smugglePrefix + "Transfer-Encodin\xc4\x9f: chunked\r\n\r\n0\r\n\r\n",
		err: CodeBadHeader, status: 400},
	// Transfer_Encoding is some other field: no body, and "0" is then the
	// next request line, an invalid one. It is never read as framing.
	{name: "underscore is another field", in: smugglePrefix + "Transfer_Encoding: chunked\r\n\r\n0\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 cl=0 h=2", "done"}, err: CodeBadRequestLine, status: 400},
	{name: "obs-fold continues Transfer-Encoding", in: smugglePrefix + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
		err: CodeBadHeader, status: 400},
	{name: "obs-fold hides Transfer-Encoding", in: smugglePrefix + "X: y\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		err: CodeBadHeader, status: 400},
	{name: "chunked then identity lines", in: smugglePrefix + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n",
		err: CodeBadTransferEncoding, status: 400},
	{name: "identity then chunked lines", in: smugglePrefix + "Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		err: CodeUnsupportedTransferEncoding, status: 501},
	{name: "chunked, identity", in: smugglePrefix + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
		err: CodeBadTransferEncoding, status: 400},
	{name: "chunked with an empty element", in: smugglePrefix + "Transfer-Encoding: chunked,\r\n\r\n0\r\n\r\n",
		err: CodeBadTransferEncoding, status: 400},
	{name: "empty element then chunked", in: smugglePrefix + "Transfer-Encoding: , chunked\r\n\r\n0\r\n\r\n",
		err: CodeBadTransferEncoding, status: 400},
	{name: "chunked twice on two lines", in: smugglePrefix + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		err: CodeBadTransferEncoding, status: 400},
	{name: "bare CR splits the Transfer-Encoding line", in: smugglePrefix + "X: y\rTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		err: CodeBadHeader, status: 400},
	{name: "Transfer-Encoding in HTTP/1.0", in: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
		err: CodeBadTransferEncoding, status: 400},

	// Content-Length variants.
	{name: "CL with a space before the colon (nbio accepts it)", in: smugglePrefix + "Content-Length : 5\r\n\r\nhello",
		err: CodeBadHeader, status: 400},
	{name: "CL with a plus sign (nbio accepts it)", in: smugglePrefix + "Content-Length: +5\r\n\r\nhello",
		err: CodeBadContentLength, status: 400},
	{name: "CL list of equal values", in: smugglePrefix + "Content-Length: 5, 5\r\n\r\nhello",
		want: []string{"req POST / HTTP/1.1 cl=5 h=2", `body "hello"`, "done"}},
	{name: "CL list of differing values", in: smugglePrefix + "Content-Length: 5, 6\r\n\r\nhello!",
		err: CodeBadContentLength, status: 400},
	{name: "CL twice, equal", in: smugglePrefix + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
		want: []string{"req POST / HTTP/1.1 cl=5 h=3", `body "hello"`, "done"}},
	{name: "CL twice, differing", in: smugglePrefix + "Content-Length: 5\r\nContent-Length: 50\r\n\r\nhello",
		err: CodeBadContentLength, status: 400},
	{name: "CL twice, one empty", in: smugglePrefix + "Content-Length: 5\r\nContent-Length:\r\n\r\nhello",
		err: CodeBadContentLength, status: 400},
	{name: "CL in scientific notation", in: smugglePrefix + "Content-Length: 5e0\r\n\r\nhello",
		err: CodeBadContentLength, status: 400},
	{name: "CL with a decimal point", in: smugglePrefix + "Content-Length: 5.0\r\n\r\nhello",
		err: CodeBadContentLength, status: 400},
	{name: "CL overflowing int64", in: smugglePrefix + "Content-Length: 18446744073709551621\r\n\r\nhello",
		err: CodeBadContentLength, status: 400},
	{name: "CL with a NUL", in: smugglePrefix + "Content-Length: 5\x00\r\n\r\nhello",
		err: CodeBadHeader, status: 400},

	// Chunk-size tricks.
	{name: "chunk size 0x5", in: smugglePrefix + "Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2"}, err: CodeBadChunk, status: 400},
	{name: "chunk size with a trailing space", in: smugglePrefix + "Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2"}, err: CodeBadChunk, status: 400},
	{name: "chunk size with a leading space", in: smugglePrefix + "Transfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2"}, err: CodeBadChunk, status: 400},
	{name: "chunk size -1", in: smugglePrefix + "Transfer-Encoding: chunked\r\n\r\n-1\r\nhello\r\n0\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2"}, err: CodeBadChunk, status: 400},
	{name: "chunk size overflow to a small number", in: smugglePrefix + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2"}, err: CodeBadChunk, status: 400},
	{name: "chunk size 2^64+5 wrapping to 5", in: smugglePrefix + "Transfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2"}, err: CodeBadChunk, status: 400},
	{name: "chunk extension without a name", in: smugglePrefix + "Transfer-Encoding: chunked\r\n\r\n5;\r\nhello\r\n0\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2"}, err: CodeBadChunk, status: 400},
	{name: "bare LF after chunk data", in: smugglePrefix + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2", `body "hello"`}, err: CodeBadChunk, status: 400},
	{name: "bare LF ending a chunk size", in: smugglePrefix + "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2"}, err: CodeBadChunk, status: 400},
	{name: "bare LF in a chunk extension", in: smugglePrefix + "Transfer-Encoding: chunked\r\n\r\n5;a=\"x\ny\"\r\nhello\r\n0\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2"}, err: CodeBadChunk, status: 400},
	{name: "bare LF ending the last chunk", in: smugglePrefix + "Transfer-Encoding: chunked\r\n\r\n0\n\nGET /x HTTP/1.1\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2"}, err: CodeBadChunk, status: 400},
	{name: "request hidden in a trailer", in: smugglePrefix + "Transfer-Encoding: chunked\r\n\r\n0\r\nGET /admin HTTP/1.1\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2"}, err: CodeBadHeader, status: 400},
	{name: "chunk data shorter than its size", in: smugglePrefix + "Transfer-Encoding: chunked\r\n\r\n6\r\nhello\r\n0\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2", "body \"hello\\r\""}, err: CodeBadChunk, status: 400},

	// Other known parser failures (nbio's among them) gale must not share.
	{name: "space inside a field name", in: "GET / HTTP/1.1\r\nHost: a\r\nX Y: z\r\n\r\n",
		err: CodeBadHeader, status: 400},
	{name: "HTTP/1.1 without Host", in: "GET / HTTP/1.1\r\nX: y\r\n\r\n",
		err: CodeMissingHost, status: 400},
	{name: "bare-LF request does not hang", in: "GET / HTTP/1.1\nHost: a\n\n",
		want: []string{"req GET / HTTP/1.1 cl=0 h=1", "done"}},
	{name: "HTTP/1.2 is answered as HTTP/1.1", in: "GET / HTTP/1.2\r\nHost: a\r\n\r\n",
		want: []string{"req GET / HTTP/1.1 cl=0 h=1", "done"}},
	{name: "two Host fields", in: "GET / HTTP/1.1\r\nHost: a\r\nHost: evil\r\n\r\n",
		err: CodeBadHost, status: 400},
	{name: "Host with a comma", in: "GET / HTTP/1.1\r\nHost: a, evil\r\n\r\n",
		err: CodeBadHost, status: 400},
	{name: "request line with a bare CR", in: "GET / HTTP/1.1\rHost: a\r\n\r\n",
		err: CodeBadRequestLine, status: 400},

	// More TE.TE obfuscations.
	{name: "chunked then an empty Transfer-Encoding line", in: smugglePrefix + "Transfer-Encoding: chunked\r\nTransfer-Encoding:\r\n\r\n0\r\n\r\n",
		err: CodeBadTransferEncoding, status: 400},
	{name: "Transfer-Encoding of a comma only", in: smugglePrefix + "Transfer-Encoding: ,\r\n\r\n0\r\n\r\n",
		err: CodeBadTransferEncoding, status: 400},
	{name: "chunked followed by a non-breaking space", in: smugglePrefix + "Transfer-Encoding: chunked\xa0\r\n\r\n0\r\n\r\n",
		err: CodeBadTransferEncoding, status: 400},
	{name: "chunked followed by a semicolon", in: smugglePrefix + "Transfer-Encoding: chunked;\r\n\r\n0\r\n\r\n",
		err: CodeBadTransferEncoding, status: 400},
	{name: "identity, chunked", in: smugglePrefix + "Transfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n",
		err: CodeUnsupportedTransferEncoding, status: 501},
	{name: "chunked with trailing whitespace is chunked", in: smugglePrefix + "Transfer-Encoding: chunked \t\r\n\r\n0\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2", "done"}},
	{name: "Transfer-Encoding alone in HTTP/1.0", in: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		err: CodeBadTransferEncoding, status: 400},
	{name: "Content-Length and chunked in HTTP/1.0 with keep-alive", in: "POST / HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		err: CodeBadTransferEncoding, status: 400},

	// More Content-Length variants.
	{name: "CL with leading zeros beyond 18 digits", in: smugglePrefix + "Content-Length: 0000000000000000005\r\n\r\nhello",
		err: CodeBadContentLength, status: 400},
	{name: "CL of whitespace only", in: smugglePrefix + "Content-Length:  \t \r\n\r\n",
		err: CodeBadContentLength, status: 400},
	{name: "CL list with an empty element in the middle", in: smugglePrefix + "Content-Length: 5,,5\r\n\r\nhello",
		err: CodeBadContentLength, status: 400},
	{name: "CL list of values equal as numbers", in: smugglePrefix + "Content-Length: 5, 05\r\n\r\nhello",
		want: []string{"req POST / HTTP/1.1 cl=5 h=2", `body "hello"`, "done"}},
	{name: "CL 2^63 overflowing to a negative", in: smugglePrefix + "Content-Length: 9223372036854775808\r\n\r\nhello",
		err: CodeBadContentLength, status: 400},

	// More chunk-size and extension tricks.
	{name: "chunk size with many leading zeros", in: smugglePrefix + "Transfer-Encoding: chunked\r\n\r\n0000000000000000000005\r\nhello\r\n0\r\n\r\n",
		// RFC 9112 section 7.1: chunk-size = 1*HEXDIG, so the leading zeros
		// are valid (net/http refuses more than 16 digits). A parser that
		// read only 16 of them would see the last chunk; this one reads 5.
		want: []string{"req POST / HTTP/1.1 chunked h=2", `body "hello"`, "done"}},
	{name: "chunk size 0x0", in: smugglePrefix + "Transfer-Encoding: chunked\r\n\r\n0x0\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2"}, err: CodeBadChunk, status: 400},
	{name: "chunk size with a tab before CRLF", in: smugglePrefix + "Transfer-Encoding: chunked\r\n\r\n5\t\r\nhello\r\n0\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2"}, err: CodeBadChunk, status: 400},
	{name: "chunk size with a plus sign", in: smugglePrefix + "Transfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2"}, err: CodeBadChunk, status: 400},
	{name: "chunk extension quoting a CRLF", in: smugglePrefix + "Transfer-Encoding: chunked\r\n\r\n5;a=\"x\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n\"\r\nhello\r\n0\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2"}, err: CodeBadChunk, status: 400},
	{name: "chunk extension quoting a bare CR", in: smugglePrefix + "Transfer-Encoding: chunked\r\n\r\n5;a=\"x\ry\"\r\nhello\r\n0\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2"}, err: CodeBadChunk, status: 400},
	{name: "chunk extension quoting an escaped CR", in: smugglePrefix + "Transfer-Encoding: chunked\r\n\r\n5;a=\"x\\\r\ny\"\r\nhello\r\n0\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2"}, err: CodeBadChunk, status: 400},
	{name: "bare CR after the last chunk", in: smugglePrefix + "Transfer-Encoding: chunked\r\n\r\n0\r\n\rGET /admin HTTP/1.1\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2"}, err: CodeBadChunk, status: 400},

	// Trailers never frame: fields forbidden there are kept apart in
	// Trailers, and the next request starts right after the section.
	{name: "framing fields in the trailers", in: smugglePrefix + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\nHost: evil\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2", `body "hello"`, "done trailers=[Content-Length: 100; Transfer-Encoding: chunked; Host: evil]"}},
	{name: "Connection close in the trailers keeps the connection", in: smugglePrefix + "Transfer-Encoding: chunked\r\n\r\n0\r\nConnection: close\r\n\r\n",
		want: []string{"req POST / HTTP/1.1 chunked h=2", "done trailers=[Connection: close]"}},
}

func TestSmuggling(t *testing.T) { runCases(t, false, smugglingCases) }

// Differential test against net/http's parser (http.ReadRequest and
// http.ReadResponse over a bufio.Reader): generated valid and near-valid
// messages. Where both accept, they must agree on the method, target,
// version, fields, body, keep-alive and where the message ends; where they
// differ, gale must be the one that refuses, with an *Error whose status
// is one a server answers. The few inputs gale accepts and net/http
// refuses are listed in galeOnly, each with the RFC text that allows it.

// diffMsg is what a parser made of one message.
type diffMsg struct {
	method, target string
	minor          int // HTTP/1.x
	status         int
	fields         []string // "Canonical-Name: value", sorted
	body           string
	keepAlive      bool
	used           int // bytes of the input the message took
}

// galeDiffParse parses the first message of in with gale, as a server
// (request) or a client that sent method (response).
func galeDiffParse(t *testing.T, response bool, method Method, in []byte) (diffMsg, error) {
	var p Parser
	if response {
		p.InitResponse(nil)
		p.ExpectResponseTo(method)
	} else {
		p.InitRequest(nil)
	}
	var m diffMsg
	var body []byte
	off := 0
	for steps := 0; ; steps++ {
		if steps > 10000 {
			t.Fatalf("gale makes no progress on %q", in)
		}
		ev, n, err := p.Next(in[off:])
		if err != nil {
			return m, err
		}
		off += n
		switch ev.Kind {
		case HeadDone:
			var h *Headers
			if response {
				r := p.Response()
				m.minor, m.status, m.keepAlive, h = int(r.Version-HTTP10), r.Status, r.KeepAlive, &r.Header
			} else {
				r := p.Request()
				m.method, m.target, m.minor, m.keepAlive, h = string(r.RawMethod), string(r.Target), int(r.Version-HTTP10), r.KeepAlive, &r.Header
			}
			for name, value := range h.All() {
				if equalFold(name, "Host") || equalFold(name, "Transfer-Encoding") || response && equalFold(name, "Connection") {
					// net/http moves Host out of Header (or drops it for an
					// absolute-form target), drops "chunked" from
					// Transfer-Encoding and a response's "Connection: close".
					continue
				}
				m.fields = append(m.fields, CanonicalName(string(name))+": "+string(value))
			}
			m.fields = sortFields(m.fields)
			if response && m.status < 200 && m.status != 101 {
				m.used = off // net/http returns an interim response alone
				return m, nil
			}
		case BodyData:
			body = append(body, ev.Data...)
		case MessageDone, Switched:
			m.body, m.used = string(body), off
			return m, nil
		case None:
			if n == 0 {
				ev, err := p.EOF()
				if err != nil {
					return m, err
				}
				if ev.Kind != MessageDone {
					return m, errNoMessage // the input ended between messages
				}
				m.body, m.used = string(body), off
				return m, nil
			}
		}
	}
}

var errNoMessage = errors.New("no message")

// sortFields sorts fields and keeps one of several equal Content-Length
// fields, as net/http does.
func sortFields(fields []string) []string {
	slices.Sort(fields)
	return slices.CompactFunc(fields, func(a, b string) bool {
		return a == b && strings.HasPrefix(a, "Content-Length: ")
	})
}

// stdDiffParse parses the first message of in with net/http.
func stdDiffParse(response bool, method string, in []byte) (diffMsg, error) {
	var m diffMsg
	br := bufio.NewReaderSize(bytes.NewReader(in), 1<<16)
	var h http.Header
	var body io.ReadCloser
	if response {
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			return m, err
		}
		m.minor, m.status, m.keepAlive, h, body = resp.ProtoMinor, resp.StatusCode, !resp.Close, resp.Header, resp.Body
	} else {
		req, err := http.ReadRequest(br)
		if err != nil {
			return m, err
		}
		m.method, m.target, m.minor, m.keepAlive, h, body = req.Method, req.RequestURI, req.ProtoMinor, !req.Close, req.Header, req.Body
	}
	for name, vs := range h {
		if name == "Transfer-Encoding" {
			continue // net/http drops "chunked" from it; compared through the body
		}
		if name == "Connection" && response {
			continue
		}
		for _, v := range vs {
			m.fields = append(m.fields, name+": "+v)
		}
	}
	m.fields = sortFields(m.fields)
	b, err := io.ReadAll(body)
	if err != nil {
		return m, err
	}
	m.body = string(b)
	m.used = len(in) - br.Buffered()
	return m, nil
}

// Pieces of generated requests: each list mixes valid and near-valid
// spellings.
var (
	diffMethods  = []string{"GET", "POST", "PUT", "HEAD", "get", "PROPFIND", "G,T", "G\x01T", "OPTIONS", "DELETE"}
	diffTargets  = []string{"/", "/a/b?c=d&e", "/%41%zz", "*", "http://h.example/x?y", "/a#f", "/a\x7fb", "/\xc3\xa9", "//x", "/a b", "a/b", "http://u@h/", "/?q=\"<>\"", "/" + strings.Repeat("x", 40)}
	diffVersions = []string{"HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/1.2", "HTTP/2.0", "http/1.1", "HTTP/1.10", "HTTP/1", "HTTP/0.9"}
	diffFields   = []string{
		"Host: a", "Host: a", "Host: a", "Host: a:8080", "Host: [::1]", "Host: a b", "Host: a,b", "Host:",
		"Content-Length: 5", "Content-Length: 5", "Content-Length: 005", "Content-Length: 0", "Content-Length: 3", "Content-Length: 5, 5",
		"Content-Length: 5,6", "Content-Length: +5", "Content-Length: -1", "Content-Length:", "Content-Length: 5 ", "Content-Length:\t5",
		"Content-Length: 18446744073709551621", "Content-Length: 0x5", "content-length: 5", "Content-Length: 1000000000000000000",
		"Transfer-Encoding: chunked", "Transfer-Encoding: chunked", "Transfer-Encoding: Chunked", "Transfer-Encoding: gzip, chunked",
		"Transfer-Encoding: chunked, identity", "Transfer-Encoding: identity", "Transfer-Encoding: xchunked", "Transfer-Encoding:\tchunked",
		"Transfer-Encoding: chunked,", "Transfer-Encoding: chunked , chunked", "transfer-encoding: CHUNKED", "Transfer-Encoding :chunked",
		"Connection: close", "Connection: keep-alive", "Connection: Keep-Alive, close", "Connection: upgrade", "Connection: TE, Close",
		"X-A: b", "X-A: b", "X-A:  b  c \t", "X-B:", "X-C: \xff\x80", "X A: b", "X-D: a\x00b", "X-E: a\x7f", "X-F : b", "\x00: b",
		"X-G", " X-H: folded", "X-I: \x0bv", "Expect: 100-continue", "Upgrade: websocket", "X-J: a\rb", ": empty",
	}
	diffChunked = []string{
		"5\r\nhello\r\n0\r\n\r\n", "5\r\nhello\r\n0\r\n\r\n", "05\r\nhello\r\n000\r\n\r\n", "5;a=b\r\nhello\r\n0\r\n\r\n",
		"5;a=\"x;y\"\r\nhello\r\n0\r\n\r\n", "5 ;a\r\nhello\r\n0\r\n\r\n", "0x5\r\nhello\r\n0\r\n\r\n", "5 \r\nhello\r\n0\r\n\r\n",
		" 5\r\nhello\r\n0\r\n\r\n", "5\nhello\n0\n\n", "5\r\nhello\n0\r\n\r\n", "5\r\nhelloXX0\r\n\r\n", "A\r\n0123456789\r\n0\r\n\r\n",
		"5\r\nhello\r\n0\r\nX-T: v\r\n\r\n", "5\r\nhello\r\n0\r\nContent-Length: 9\r\n\r\n", "5\r\nhello\r\n", "10000000000000005\r\nhello\r\n0\r\n\r\n",
		"5;a=\"x\r\ny\"\r\nhello\r\n0\r\n\r\n", "-5\r\nhello\r\n0\r\n\r\n", "0\r\n\r\n", "5\r\nhello\r\n0\r\nX : v\r\n\r\n",
	}
)

// genDiffRequest builds a request from the pieces above, mostly from
// the valid ones at the front of each list (the first good entries).
func genDiffRequest(r *rand.Rand) string {
	pick := func(s []string, good int) string {
		if r.IntN(8) != 0 {
			return s[r.IntN(good)]
		}
		return s[r.IntN(len(s))]
	}
	eol := "\r\n"
	if r.IntN(12) == 0 {
		eol = "\n"
	}
	var b strings.Builder
	b.WriteString(pick(diffMethods, 4) + " " + pick(diffTargets, 2) + " " + pick(diffVersions, 4) + eol)
	chunked := false
	if r.IntN(4) != 0 {
		b.WriteString("Host: a" + eol)
	}
	for range r.IntN(4) {
		f := pick(diffFields, 14)
		if r.IntN(3) == 0 {
			f = pick(diffFields[24:], 3) // Transfer-Encoding
		}
		if strings.Contains(strings.ToLower(f), "transfer-encoding") {
			chunked = true
		}
		b.WriteString(f + eol)
	}
	b.WriteString(eol)
	switch {
	case chunked && r.IntN(6) != 0:
		b.WriteString(pick(diffChunked, 5))
	default:
		b.WriteString("hello"[:r.IntN(6)])
	}
	if r.IntN(3) == 0 {
		b.WriteString("GET /next HTTP/1.1\r\nHost: n\r\n\r\n")
	}
	return b.String()
}

var (
	diffStatusLines = []string{"HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.0 200 OK", "HTTP/1.1 404 Not Found", "HTTP/1.1 204 No Content",
		"HTTP/1.1 304 Not Modified", "HTTP/1.1 200 ", "HTTP/1.1 200", "HTTP/1.1 099 Low", "HTTP/1.1 2000 OK", "HTTP/2.0 200 OK",
		"HTTP/1.1 999 Odd", "HTTP/1.1 200 O\x01K", "http/1.1 200 OK", "HTTP/1.1  200 OK"}
	diffRespFields = []string{"Content-Length: 5", "Content-Length: 5", "Content-Length: 0", "Content-Length: 5, 5", "Content-Length: 5,6",
		"Content-Length: +5", "Transfer-Encoding: chunked", "Transfer-Encoding: chunked", "Transfer-Encoding: gzip, chunked",
		"Transfer-Encoding: gzip", "Transfer-Encoding: chunked, gzip", "Connection: close", "Connection: keep-alive", "X-A: b", "X-A: b",
		"X A: b", "X-B: a\x00", " X-C: fold", "Set-Cookie: a=b"}
)

func genDiffResponse(r *rand.Rand) (string, string) {
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	var b strings.Builder
	b.WriteString(pick(diffStatusLines) + "\r\n")
	chunked := false
	for range r.IntN(4) {
		f := pick(diffRespFields)
		if strings.HasPrefix(f, "Transfer-Encoding") {
			chunked = true
		}
		b.WriteString(f + "\r\n")
	}
	b.WriteString("\r\n")
	if chunked && r.IntN(6) != 0 {
		b.WriteString(pick(diffChunked))
	} else {
		b.WriteString("hello"[:r.IntN(6)])
	}
	return b.String(), []string{"GET", "GET", "HEAD", "POST"}[r.IntN(4)]
}

// galeOnly reports why gale may accept a message net/http refuses, or ""
// when it may not.
func galeOnly(response bool, in string) string {
	head, rest, _ := strings.Cut(in, "\r\n\r\n")
	switch {
	case response && strings.Contains(head, "Transfer-Encoding: gzip"), response && strings.Contains(head, "chunked, gzip"):
		// RFC 9112 section 6.3 item 4: a response whose last transfer
		// coding is not chunked is delimited by the close; one whose last
		// is is dechunked, the other codings left to the caller. net/http
		// refuses any coding other than chunked.
		return "response transfer codings other than chunked"
	case strings.Contains(rest, " ;"), strings.Contains(rest, "= "), strings.Contains(rest, "\t;"):
		// RFC 9112 section 7.1.1: chunk-ext = *( BWS ";" BWS name [ BWS
		// "=" BWS value ] ); net/http refuses the whitespace.
		return "whitespace in chunk extensions"
	case clList.MatchString(head), equalContentLengths(head):
		// RFC 9110 section 8.6: a recipient MAY take a list of identical
		// Content-Length values as one value; net/http refuses it.
		return "Content-Length list of equal values"
	case strings.Contains(rest, "00000000000000000"):
		// RFC 9112 section 7.1: chunk-size = 1*HEXDIG, leading zeros
		// included; net/http refuses a size of more than 16 digits.
		return "chunk size with more than 16 digits, leading zeros"
	case strings.HasPrefix(in, "\r\n") || strings.HasPrefix(in, "\n"):
		// RFC 9112 section 2.2: a server SHOULD ignore at least one empty
		// line before the request line; net/http refuses it.
		return "empty lines before the start line"
	case strings.Contains(in, "%zz"):
		// RFC 9112 section 3.2 (and Tornado's rule, 0x21-0x7E and
		// obs-text): the target's bytes are checked, its percent-encoding
		// is the application's business; net/http's url.ParseRequestURI
		// refuses an invalid escape in the path.
		return "invalid percent-encoding in the target"
	}
	return ""
}

// equalContentLengths reports several Content-Length values, all the
// same decimal number ("5" and "005" on two lines, which net/http refuses
// for not being the same string).
func equalContentLengths(head string) bool {
	var vals []string
	for _, line := range strings.Split(head, "\n") {
		if name, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(name, "Content-Length") {
			vals = append(vals, strings.Split(v, ",")...)
		}
	}
	for _, v := range vals {
		v = strings.TrimLeft(strings.TrimSpace(v), "0")
		if v != strings.TrimLeft(strings.TrimSpace(vals[0]), "0") {
			return false
		}
	}
	return len(vals) > 1
}

var clList = regexp.MustCompile(`(?i)\ncontent-length:[ \t0-9]*,`)

var serverStatuses = []int{400, 413, 414, 431, 501, 505}

// diffCompare compares the parsers on in and says which accepted it:
// 0 neither, 1 net/http only, 2 gale only, 3 both.
func diffCompare(t *testing.T, response bool, in []byte, method string) (both int) {
	var gm, sm diffMsg
	var gerr, serr error
	t.Helper()
	defer func() {
		if gerr == nil {
			both |= 2
		}
		if serr == nil {
			both |= 1
		}
	}()
	gm, gerr = galeDiffParse(t, response, ParseMethod([]byte(method)), in)
	sm, serr = stdDiffParse(response, method, in)
	switch {
	case gerr == errNoMessage:
		if serr == nil {
			t.Errorf("%q: gale sees no message, net/http %+v", in, sm)
		}
	case gerr != nil:
		var pe *Error
		if !errors.As(gerr, &pe) {
			t.Fatalf("%q: gale error of type %T", in, gerr)
		}
		if st := pe.Code.Status(); !response && !slices.Contains(serverStatuses, st) {
			t.Errorf("%q: gale refuses with status %d (%v)", in, st, gerr)
		}
		if pe.Code == CodeIncomplete && serr == nil {
			// Not a refusal: gale waits for bytes net/http does not.
			t.Errorf("%q: gale wants more input, net/http reads %+v", in, sm)
		}
	case serr != nil:
		if why := galeOnly(response, string(in)); why == "" {
			t.Errorf("%q: gale accepts, net/http refuses: %v\ngale: %+v", in, serr, gm)
		}
	default:
		if !slices.Equal(gm.fields, sm.fields) {
			if galeOnly(response, string(in)) == "" {
				t.Errorf("%q: fields differ:\ngale    %q\nnet/http %q", in, gm.fields, sm.fields)
			}
		}
		gm.fields, sm.fields = nil, nil
		if gm.minor > 1 {
			gm.minor = 1
		}
		if sm.minor > 1 {
			sm.minor = 1 // gale reads HTTP/1.2 to 1.9 as HTTP/1.1
		}
		if response && gm.status == 101 {
			sm.keepAlive = false // gale: the connection switched
		}
		if !reflect.DeepEqual(gm, sm) {
			t.Errorf("%q: differ:\ngale     %+v\nnet/http %+v", in, gm, sm)
		}
	}
	return 0 // set by the deferred function
}

func TestDifferentialNetHTTP(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 4000
	if testing.Short() {
		n = 500
	}
	var reqs, resps [4]int
	for range n {
		req := []byte(genDiffRequest(r))
		reqs[diffCompare(t, false, req, "")]++
		in, method := genDiffResponse(r)
		resps[diffCompare(t, true, []byte(in), method)]++
		// And any split gives the same events.
		fuzzFeed(t, false, nil, req)
		fuzzFeed(t, true, []Method{ParseMethod([]byte(method))}, []byte(in))
		if t.Failed() {
			break
		}
	}
	// The generator must keep producing each outcome in fair numbers.
	t.Logf("requests accepted by neither, net/http only, gale only, both: %v; responses: %v", reqs, resps)
	for _, c := range [][4]int{reqs, resps} {
		if c[0] < n/20 || c[1] < n/50 || c[3] < n/20 {
			t.Errorf("generator skewed: %v", c)
		}
	}
	// Every golden and smuggling request too.
	for _, cases := range [][]parseCase{requestCases, smugglingCases} {
		for _, tc := range cases {
			if tc.lim == nil {
				diffCompare(t, false, []byte(tc.in), "")
			}
		}
	}
	for _, tc := range responseCases {
		m := "GET"
		if len(tc.methods) > 0 {
			m = tc.methods[0].String()
		}
		if m != "CONNECT" {
			diffCompare(t, true, []byte(tc.in), m)
		}
	}
}
