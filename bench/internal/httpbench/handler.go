package httpbench

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"sync"
)

// handler serves the http mode through net/http's Handler interface, for
// the servers built on it (std, nbio). The header values are shared,
// never-modified slices, and the Date comes from the clock, so a plaintext
// response allocates nothing here.
type handler struct {
	clock  *clock
	server []string // the Server header's value
}

var (
	textPlainHdr   = []string{textPlain}
	octetStreamHdr = []string{octetStream}
	plainLenHdr    = []string{strconv.Itoa(len(plainBody))}
	notFoundLenHdr = []string{strconv.Itoa(len(notFoundBody))}
	zeroLenHdr     = []string{"0"}
	closeHdr       = []string{"close"}
)

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr["Server"] = h.server
	hdr["Date"] = h.clock.now().dateHdr
	switch {
	case r.URL.Path == "/plaintext" && r.Method == http.MethodGet:
		hdr["Content-Type"] = textPlainHdr
		hdr["Content-Length"] = plainLenHdr
		w.Write(plainBody)
	case r.URL.Path == "/echo" && r.Method == http.MethodPost:
		echo(w, r)
	default:
		hdr["Content-Type"] = textPlainHdr
		hdr["Content-Length"] = notFoundLenHdr
		w.WriteHeader(http.StatusNotFound)
		w.Write(notFoundBody)
	}
}

// bodies holds the buffers echo reads request bodies into.
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// echo reads the whole body (MaxBody at most), then answers it with a
// Content-Length in one Write: a chunked body's size is only known at its
// end, and one Write lets both servers send small responses in one packet.
func echo(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > MaxBody {
		tooLarge(w)
		return
	}
	buf := bodies.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 1<<20 {
			buf.Reset()
			bodies.Put(buf)
		}
	}()
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, MaxBody)); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			tooLarge(w)
		}
		return // a broken connection: the server closes it
	}
	hdr := w.Header()
	hdr["Content-Type"] = octetStreamHdr
	hdr["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	w.Write(buf.Bytes())
}

// tooLarge answers 413 and closes the connection: the rest of the body is
// not read.
func tooLarge(w http.ResponseWriter) {
	hdr := w.Header()
	hdr["Connection"] = closeHdr
	hdr["Content-Length"] = zeroLenHdr
	w.WriteHeader(http.StatusRequestEntityTooLarge)
}
