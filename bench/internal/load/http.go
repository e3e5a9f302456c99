package load

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/gale-io/gale/bench/internal/h1"
)

// PlaintextBody is what GET /plaintext answers (bench/DESIGN.md, the
// http mode).
const PlaintextBody = "Hello, World!"

// HTTPConfig describes an HTTP run: keep-alive HTTP/1.1 connections, each
// writing Pipeline requests back to back and then waiting for their
// responses, over and over.
type HTTPConfig struct {
	Addr  string // HOST:PORT of the server; also the Host header
	Conns int    // connections, all open before the warmup starts
	// Pipeline is the number of requests a connection writes at once
	// before it waits for all their responses (as wrk's pipelining does);
	// 0 means 1: strict request/response.
	Pipeline int
	// Method is "GET" (the default) or "POST". A GET response must be
	// PlaintextBody, a POST response the request's body.
	Method string
	// Path is the request target; "" means /plaintext for GET and /echo
	// for POST.
	Path string
	// Size is the body of each POST request, in bytes: pseudo-random
	// bytes determined by (connection, request number), as the echo run's
	// messages, so each response is checked without a copy kept.
	Size int
	// Chunked sends POST bodies with Transfer-Encoding: chunked instead of
	// Content-Length: two chunks up to 32 KiB, chunks of max(16 KiB,
	// Size/16) above.
	Chunked  bool
	Warmup   time.Duration // traffic before the measured window, not counted
	Duration time.Duration // the measured window
	// Drain bounds the wait, after the window, for responses still due;
	// one that does not arrive is an error. 0 means 5 s.
	Drain     time.Duration
	TLS       *tls.Config // nil for plain TCP
	Dialers   int         // connections opened at once; 0 means DefaultDialers
	ServerPID int         // server process to measure; 0 for none
	Driver    string      // as EchoConfig.Driver
	Workers   int         // as EchoConfig.Workers
}

// HTTPResult is the outcome of an HTTP run (mode "http").
type HTTPResult struct {
	Mode     string  `json:"mode"`   // "http"
	Driver   string  `json:"driver"` // how the load generator drove the connections: epoll or net
	Addr     string  `json:"addr"`
	Conns    int     `json:"conns"`
	Method   string  `json:"method"`
	Path     string  `json:"path"`
	Size     int     `json:"size_bytes"` // request body bytes (POST)
	Chunked  bool    `json:"chunked"`    // POST bodies were chunked
	Pipeline int     `json:"pipeline"`   // requests written back to back per connection
	TLS      bool    `json:"tls"`
	Warmup   float64 `json:"warmup_s"` // run before the measured window, not counted
	// Measured: requests are responses read whole and checked in the
	// window (status 200, the expected body); latency is from the write of
	// a request's batch to the read of the response's last byte.
	Measured
	LoadCPU
	*ServerWindow
}

// RunHTTP opens the connections and has each write Pipeline requests,
// read and check all their responses, and repeat, until the window closes.
// A response that is not 200 with the expected body, cannot be framed,
// says Connection: close, or is still missing Drain after the window is an
// error, counted in the result; RunHTTP itself returns an error only when
// the run could not take place (connecting failed, ctx was cancelled).
func RunHTTP(ctx context.Context, cfg HTTPConfig) (*HTTPResult, error) {
	cfg.Pipeline = max(cfg.Pipeline, 1)
	if cfg.Method == "" {
		cfg.Method = "GET"
	}
	if cfg.Path == "" {
		cfg.Path = "/plaintext"
		if cfg.Method == "POST" {
			cfg.Path = "/echo"
		}
	}
	switch {
	case cfg.Conns < 1 || cfg.Duration <= 0:
		return nil, errors.New("load: http needs conns >= 1 and duration > 0")
	case cfg.Method != "GET" && cfg.Method != "POST":
		return nil, fmt.Errorf("load: http method %q: GET or POST", cfg.Method)
	case cfg.Method == "POST" && cfg.Size < 0:
		return nil, errors.New("load: http POST needs size >= 0")
	case cfg.Path[0] != '/' || bytes.ContainsAny([]byte(cfg.Path), " \r\n"):
		return nil, fmt.Errorf("load: http path %q: an origin-form target such as /plaintext", cfg.Path)
	}
	shared := newHTTPRequests(cfg)
	out, err := runSessions(ctx, runConfig{
		addr: cfg.Addr, conns: cfg.Conns, warmup: cfg.Warmup, duration: cfg.Duration, drain: cfg.Drain,
		tls: cfg.TLS, dialers: cfg.Dialers, serverPID: cfg.ServerPID, driver: cfg.Driver, workers: cfg.Workers,
	}, func(i int, c net.Conn) session { return newHTTPState(i, c, shared) })
	if err != nil {
		return nil, err
	}
	res := &HTTPResult{
		Mode: "http", Driver: out.driver, Addr: cfg.Addr, Conns: cfg.Conns, Method: cfg.Method, Path: cfg.Path,
		Pipeline: cfg.Pipeline, TLS: cfg.TLS != nil, Warmup: cfg.Warmup.Seconds(),
		Measured: out.Measured, LoadCPU: out.LoadCPU, ServerWindow: out.ServerWindow,
	}
	if cfg.Method == "POST" {
		res.Size, res.Chunked = cfg.Size, cfg.Chunked
	}
	return res, nil
}

// httpRequests is what every connection of a run shares, read only.
type httpRequests struct {
	depth   int
	post    bool
	size    int    // POST body bytes
	chunk   int    // POST: bytes per chunk when chunked, else 0
	batch   []byte // GET: depth requests back to back
	head    []byte // POST: the head of every request
	bufSize int    // initial read buffer
}

func newHTTPRequests(cfg HTTPConfig) *httpRequests {
	r := &httpRequests{depth: max(1, cfg.Pipeline), post: cfg.Method == "POST", size: cfg.Size}
	head := []byte(cfg.Method + " " + cfg.Path + " HTTP/1.1\r\nHost: " + cfg.Addr + "\r\n")
	respSize := 160 + len(PlaintextBody) // a typical plaintext response
	if r.post {
		switch {
		case cfg.Chunked:
			r.chunk = max(1, min(max(16<<10, cfg.Size/16), (cfg.Size+1)/2))
			head = append(head, "Transfer-Encoding: chunked\r\n"...)
		default:
			head = append(head, "Content-Length: "+strconv.Itoa(cfg.Size)+"\r\n"...)
		}
		r.head = append(head, "\r\n"...)
		respSize = 200 + cfg.Size
	} else {
		one := append(head, "\r\n"...)
		r.batch = bytes.Repeat(one, r.depth)
	}
	r.bufSize = min(max(4<<10, r.depth*respSize), 64<<10)
	return r
}

// httpState is one connection's HTTP bookkeeping: the batch in flight and
// the response being read, checked as it arrives.
type httpState struct {
	connBase
	*httpRequests
	rbuf        []byte // unparsed response bytes at rbuf[start:have]
	start, have int
	inBody      bool    // the head of response recv was read; its body is next
	body        h1.Body // that body's framing
	bodyOff     int     // body bytes of it checked so far
	want        []byte  // the body response recv must have
	msg         []byte  // POST: scratch for a chunked request's body
	wbuf        []byte  // POST: the requests of one write
	sentAt      time.Time
	sent, recv  uint64 // requests written; responses read and checked
}

func newHTTPState(id int, c net.Conn, r *httpRequests) *httpState {
	s := &httpState{
		connBase:     connBase{id: id, conn: c, stats: new(connStats)},
		httpRequests: r,
		rbuf:         make([]byte, r.bufSize),
		want:         []byte(PlaintextBody),
	}
	if r.post {
		s.want = make([]byte, r.size)
		fillMsg(s.want, id, 0)
		if r.chunk > 0 {
			s.msg = make([]byte, r.size)
		}
	}
	return s
}

func (s *httpState) initial(now time.Time) []byte { return s.next(s.depth, now) }

func (s *httpState) unread() []byte { return s.rbuf[s.have:] }

// next writes k requests (the pipeline depth: a batch) at once.
func (s *httpState) next(k int, now time.Time) []byte {
	s.sentAt = now
	if !s.post {
		s.sent += uint64(k)
		return s.batch[:k*len(s.batch)/s.depth]
	}
	b := s.wbuf[:0]
	for range k {
		b = append(b, s.head...)
		if s.chunk == 0 {
			n := len(b)
			b = append(b, make([]byte, s.size)...)
			fillMsg(b[n:], s.id, s.sent)
		} else {
			fillMsg(s.msg, s.id, s.sent)
			for off := 0; off < s.size; off += s.chunk {
				c := s.msg[off:min(off+s.chunk, s.size)]
				b = strconv.AppendInt(b, int64(len(c)), 16)
				b = append(b, "\r\n"...)
				b = append(b, c...)
				b = append(b, "\r\n"...)
			}
			b = append(b, "0\r\n\r\n"...)
		}
		s.sent++
	}
	s.wbuf = b
	return b
}

// received frames and checks every response in the new bytes, and asks
// for the next batch once the whole batch has been answered.
func (s *httpState) received(n int, now time.Time, phase int32) (int, error) {
	s.have += n
	recv0 := s.recv
	for {
		p := s.rbuf[s.start:s.have]
		if !s.inBody {
			hl, err := h1.HeadLen(p)
			if err == nil && hl == 0 {
				break
			}
			if err == nil {
				err = s.readHead(p[:hl])
			}
			if err != nil {
				return 0, s.fail(err)
			}
			s.start += hl
			continue
		}
		data, used, err := s.body.Next(p)
		if err != nil {
			return 0, s.fail(err)
		}
		if len(data) > 0 {
			if err := s.checkBody(data); err != nil {
				return 0, s.fail(err)
			}
		}
		s.start += used
		if s.body.Done() {
			if s.bodyOff != len(s.want) {
				return 0, s.fail(fmt.Errorf("a body of %d bytes, want %d", s.bodyOff, len(s.want)))
			}
			if phase == phaseMeasure {
				s.stats.hist.add(now.Sub(s.sentAt))
				s.stats.requests.Add(1)
			}
			s.recv++
			s.inBody = false
			if s.post && s.size > 0 {
				fillMsg(s.want, s.id, s.recv)
			}
			continue
		}
		if used == 0 {
			break
		}
	}
	s.compact()
	if s.recv != recv0 && s.recv == s.sent {
		return s.depth, nil
	}
	return 0, nil
}

// readHead reads the head of response recv: it must be 200 and framed,
// keep the connection open, and have Date and Server fields. Interim (1xx)
// responses are skipped.
func (s *httpState) readHead(head []byte) error {
	if s.recv == s.sent {
		return errors.New("a response to no request")
	}
	start, fields := h1.SplitHead(head)
	code, err := h1.ParseStatusLine(start)
	if err != nil {
		return err
	}
	if code >= 100 && code < 200 && code != 101 {
		return nil
	}
	if code != 200 {
		return fmt.Errorf("status %q, want 200", start)
	}
	f, err := h1.ParseFields(fields)
	switch {
	case err != nil:
		return err
	case f.Close:
		return errors.New("Connection: close on a keep-alive connection")
	case !f.Chunked && f.ContentLength < 0:
		return errors.New("neither Content-Length nor chunked: the response cannot be framed on a keep-alive connection")
	case f.ContentLength >= 0 && f.ContentLength != int64(len(s.want)):
		return fmt.Errorf("Content-Length %d, want %d", f.ContentLength, len(s.want))
	}
	if date, server := dateAndServer(fields); !date || !server {
		return fmt.Errorf("no Date or no Server field (Date %v, Server %v): the http mode asks for both, "+
			"and a server leaving them out does less work than its peers", date, server)
	}
	s.body.Reset(f, 0)
	s.inBody, s.bodyOff = true, 0
	return nil
}

// dateAndServer reports whether field lines (h1.SplitHead's) hold a Date
// and a Server field with a value. Cheap: only lines starting with d or s
// are looked at.
func dateAndServer(fields []byte) (date, server bool) {
	for len(fields) > 0 && !(date && server) {
		i := bytes.IndexByte(fields, '\n')
		if i < 0 {
			i = len(fields)
		}
		line := fields[:i]
		fields = fields[min(i+1, len(fields)):]
		if len(line) == 0 {
			continue
		}
		switch line[0] | 0x20 {
		case 'd':
			date = date || hasField(line, "date")
		case 's':
			server = server || hasField(line, "server")
		}
	}
	return date, server
}

// hasField reports whether line is field name (a lower-case word, matched
// without regard to case) with a non-empty value.
func hasField(line []byte, name string) bool {
	if len(line) <= len(name) || line[len(name)] != ':' {
		return false
	}
	for i := range len(name) {
		if line[i]|0x20 != name[i] {
			return false
		}
	}
	return len(bytes.Trim(line[len(name)+1:], " \t\r")) > 0
}

// checkBody compares the next body bytes with the expected body.
func (s *httpState) checkBody(data []byte) error {
	if s.bodyOff+len(data) > len(s.want) {
		return fmt.Errorf("a body longer than the %d bytes expected", len(s.want))
	}
	want := s.want[s.bodyOff : s.bodyOff+len(data)]
	if !bytes.Equal(data, want) {
		for i := range data {
			if data[i] != want[i] {
				return fmt.Errorf("body byte %d is %#02x, want %#02x", s.bodyOff+i, data[i], want[i])
			}
		}
	}
	s.bodyOff += len(data)
	return nil
}

// compact moves the unparsed bytes to the front, and grows the buffer when
// they fill it (a head larger than the buffer; h1.HeadLen bounds it).
func (s *httpState) compact() {
	switch {
	case s.start == s.have:
		s.start, s.have = 0, 0
	case s.start > 0 && (s.have == len(s.rbuf) || s.start >= len(s.rbuf)/2):
		s.have = copy(s.rbuf, s.rbuf[s.start:s.have])
		s.start = 0
	}
	if s.have == len(s.rbuf) {
		s.rbuf = append(s.rbuf, make([]byte, len(s.rbuf))...)
	}
}

func (s *httpState) fail(err error) error {
	s.err = fmt.Errorf("connection %d, response %d: %w", s.id, s.recv, err)
	return s.err
}

func (s *httpState) idle() bool { return s.recv == s.sent }

func (s *httpState) missingErr(cause string) error {
	var got string
	switch {
	case s.inBody:
		got = fmt.Sprintf("its head and %d body bytes arrived", s.bodyOff)
	default:
		got = fmt.Sprintf("%d bytes of its head arrived", s.have-s.start)
	}
	return fmt.Errorf("connection %d: %d of %d responses missing %s (response %d: %s)",
		s.id, s.sent-s.recv, s.depth, cause, s.recv, got)
}
