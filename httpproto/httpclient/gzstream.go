package httpclient

import (
	"errors"
	"io"
	"strconv"
	"sync"

	"github.com/gale-io/gale/httpproto"
	"github.com/gale-io/gale/loop"
	"github.com/klauspost/compress/gzip"
)

// gzStream decompresses a gzip body as it arrives, for a request that
// streams its response (Request.OnChunk), as Tornado's _GzipMessageDelegate
// does: the decompressed pieces reach OnChunk while the body still comes
// in, so that a large download holds neither its compressed nor its
// decompressed whole in memory.
//
// The gzip and flate readers pull their input and cannot be resumed after
// running out of it, so the decoding runs on a goroutine of its own (one
// per streaming gzip request, for the body's duration): the loop feeds it
// the compressed pieces (copied: BodyData views the connection's buffer),
// and it posts each decompressed piece back to the loop. At most
// gzChunksInFlight pieces (of up to gzChunkSize bytes each, their buffers
// recycled) wait for the loop at once; the compressed input queued for the
// goroutine is bounded by the body size limit, like a body the client
// gathers. The cost is one goroutine per such request and a post per
// 64 KiB of output; since decoding overlaps the transfer, BenchmarkGzipBody
// (a 1 MiB body) measures the streamed fetch at 2.9 GB/s with 0.3 MB
// allocated, against 0.6-0.8 GB/s and 3.7 MB decoding the whole body at the
// end.
type gzStream struct {
	// f is touched on the loop only: the request's record is recycled
	// (rewritten) once it finished, while the decoder may still run, so
	// the decoder posts through l, taken at the start.
	f     *fetch
	l     *loop.Loop
	limit int64 // decompressed bytes allowed

	mu    sync.Mutex
	wake  chan struct{} // a token: the queue or eof changed (abort closes quitCh)
	queue [][]byte      // compressed pieces the decoder has not taken yet
	cur   []byte        // the piece the decoder is reading
	eof   bool          // the body ended: the queue is all there is
	quit  bool          // abandoned: the decoder stops

	bufs   chan []byte // output buffers, one per piece allowed in flight
	quitCh chan struct{}
}

const (
	gzChunkSize      = 64 << 10 // Tornado's chunk_size
	gzChunksInFlight = 4
)

// errGzAbandoned ends the decoder of a request that ended first.
var errGzAbandoned = errors.New("httpclient: gzip stream abandoned")

// startGzStream starts decoding f's body.
func startGzStream(f *fetch) *gzStream {
	g := &gzStream{f: f, l: f.c.l, limit: f.c.cfg.MaxDecompressedSize,
		wake: make(chan struct{}, 1), bufs: make(chan []byte, gzChunksInFlight), quitCh: make(chan struct{})}
	for range gzChunksInFlight {
		g.bufs <- nil // made at first use
	}
	go g.run()
	return g
}

// feed queues a piece of compressed body. Loop side.
func (g *gzStream) feed(p []byte) {
	if len(p) == 0 {
		return
	}
	c := append([]byte(nil), p...)
	g.mu.Lock()
	g.queue = append(g.queue, c)
	g.mu.Unlock()
	g.signal()
}

// signal wakes the decoder if it waits for input (or lets it find the
// token when it next waits).
func (g *gzStream) signal() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// end says the body is complete. Loop side.
func (g *gzStream) end() {
	g.mu.Lock()
	g.eof = true
	g.mu.Unlock()
	g.signal()
}

// abort stops the decoder; nothing it posts later is used. Loop side,
// once.
func (g *gzStream) abort() {
	g.mu.Lock()
	g.quit = true
	g.queue, g.cur = nil, nil
	g.mu.Unlock()
	close(g.quitCh)
}

// Read is the decoder's input: it waits for a piece, the end of the body,
// abort, or the end of the loop (which drops the request without a word).
func (g *gzStream) Read(p []byte) (int, error) {
	g.mu.Lock()
	for len(g.cur) == 0 {
		switch {
		case g.quit:
			g.mu.Unlock()
			return 0, errGzAbandoned
		case len(g.queue) > 0:
			g.cur = g.queue[0]
			g.queue[0] = nil
			g.queue = g.queue[1:]
		case g.eof:
			g.mu.Unlock()
			return 0, io.EOF
		default:
			g.mu.Unlock()
			select {
			case <-g.wake:
			case <-g.quitCh:
				return 0, errGzAbandoned
			case <-g.l.Done():
				return 0, errGzAbandoned
			}
			g.mu.Lock()
		}
	}
	n := copy(p, g.cur)
	g.cur = g.cur[n:]
	g.mu.Unlock()
	return n, nil
}

// run decodes on the stream's goroutine and posts the outcome.
func (g *gzStream) run() {
	err := g.decode()
	if err == errGzAbandoned {
		return
	}
	g.l.Post(func() { g.f.gzDone(g, err) }) // a closed loop ends the request anyway
}

func (g *gzStream) decode() error {
	zr, err := gzip.NewReader(g)
	if err == io.EOF {
		return nil // an empty body (a HEAD or 304 response) decodes to nothing
	}
	if err != nil {
		return err
	}
	defer zr.Close()
	var total int64
	for {
		var buf []byte
		select {
		case buf = <-g.bufs:
		case <-g.quitCh:
			return errGzAbandoned
		case <-g.l.Done():
			return errGzAbandoned
		}
		if buf == nil {
			buf = make([]byte, gzChunkSize)
		}
		n, err := zr.Read(buf)
		if n > 0 {
			if total += int64(n); total > g.limit {
				return &httpproto.Error{Code: httpproto.CodeBodyTooLarge,
					Detail: "decompressed body over " + strconv.FormatInt(g.limit, 10) + " bytes"}
			}
			piece := buf[:n]
			if g.l.Post(func() { g.f.gzChunk(g, piece) }) != nil {
				return errGzAbandoned
			}
		} else {
			g.bufs <- buf
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// gzChunk delivers a decompressed piece on the loop and hands its buffer
// back to the decoder.
func (f *fetch) gzChunk(g *gzStream, p []byte) {
	if f.gz != g || f.done {
		return // abandoned: the decoder has stopped
	}
	f.req.OnChunk(p)
	g.bufs <- p[:cap(p)]
}

// gzDone ends the decoding of the body: an error fails the request (at
// once, even while the body still arrives); success finishes it, once the
// body has ended (complete ran: only then can the decoder see the end).
func (f *fetch) gzDone(g *gzStream, err error) {
	if f.gz != g || f.done {
		return
	}
	f.gz = nil
	if err != nil {
		f.fail(&Error{Op: "decode", URL: f.urlString(), Err: err})
		return
	}
	resp := f.gzResp
	f.gzResp = nil
	if resp == nil { // cannot happen: the decoder ends only after end
		f.fail(&Error{Op: "decode", URL: f.urlString(), Err: io.ErrUnexpectedEOF})
		return
	}
	f.finish(resp, nil)
}
