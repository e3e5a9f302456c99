package httpbench

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// MaxBody is the largest request body served; larger ones are answered 413.
const MaxBody = 64 << 20

// timeout closes idle keep-alive connections and stalled requests. It is a
// variable so that tests can shorten it; servers read it in Start.
var timeout = 30 * time.Second

// The fixed parts of the responses.
var (
	plainBody    = []byte("Hello, World!")
	notFoundBody = []byte("Not Found")
	textPlain    = "text/plain"
	octetStream  = "application/octet-stream"
)

// clock keeps what responses need of the current second: the Date value
// and the raw responses that contain it, prebuilt. A goroutine refreshes
// it at every second boundary, from newClock to stop, so serving a request
// costs one atomic load.
type clock struct {
	server string // the Server header
	cur    atomic.Pointer[stamp]
	quit   chan struct{}
	done   chan struct{}
}

// stamp is one second's worth of prebuilt header material; it is never
// modified once published.
type stamp struct {
	dateHdr []string // the Date value as an http.Header value
	// Whole raw responses (gnet writes them as they are).
	plain, notFound, tooLarge, headTooLarge, badRequest []byte
	// echoHead is an echo response up to the Content-Length value.
	echoHead []byte
}

func newClock(server string) *clock {
	c := &clock{server: server, quit: make(chan struct{}), done: make(chan struct{})}
	c.refresh(time.Now())
	go c.run()
	return c
}

// now returns the current second's stamp.
func (c *clock) now() *stamp { return c.cur.Load() }

func (c *clock) run() {
	defer close(c.done)
	t := time.NewTimer(untilNextSecond(time.Now()))
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			c.refresh(now)
			t.Reset(untilNextSecond(time.Now()))
		case <-c.quit:
			return
		}
	}
}

func untilNextSecond(now time.Time) time.Duration {
	return now.Truncate(time.Second).Add(time.Second).Sub(now)
}

// stop ends the refreshing goroutine and waits for it.
func (c *clock) stop() {
	close(c.quit)
	<-c.done
}

func (c *clock) refresh(now time.Time) {
	now = now.UTC()
	date := now.AppendFormat(nil, http.TimeFormat)
	head := func(status string) []byte {
		b := append([]byte("HTTP/1.1 "), status...)
		b = append(b, "\r\nServer: "...)
		b = append(b, c.server...)
		b = append(b, "\r\nDate: "...)
		return append(append(b, date...), "\r\n"...)
	}
	whole := func(status, extra string, body []byte) []byte {
		b := head(status)
		b = append(b, extra...)
		b = append(b, "Content-Type: text/plain\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n\r\n"...)
		return append(b, body...)
	}
	c.cur.Store(&stamp{
		dateHdr:      []string{string(date)},
		plain:        whole("200 OK", "", plainBody),
		notFound:     whole("404 Not Found", "", notFoundBody),
		tooLarge:     whole("413 Request Entity Too Large", "Connection: close\r\n", nil),
		headTooLarge: whole("431 Request Header Fields Too Large", "Connection: close\r\n", nil),
		badRequest:   whole("400 Bad Request", "Connection: close\r\n", nil),
		echoHead:     append(head("200 OK"), "Content-Type: application/octet-stream\r\nContent-Length: "...),
	})
}
