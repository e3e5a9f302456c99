package wsproto

import (
	"bytes"
	"io"
	"slices"
	"strconv"

	"github.com/klauspost/compress/flate"
)

// windowSize is the largest LZ77 window, 2^15 bytes: a decompressor keeping
// that much history can read what any permitted window produced.
const windowSize = 1 << 15

// syncTail ends every sync flush: an empty stored block's length fields.
// RFC 7692 section 7.2.1 has senders remove it and receivers add it back.
const syncTail = "\x00\x00\xff\xff"

// maxKeptBuf is the largest message buffer (the Inflater's compressed
// input, the Deflater's AppendMessage scratch) kept from one message to the
// next: steady small traffic reuses its buffer without allocating, while
// one big message does not leave its size held for the rest of a
// connection that keeps its compression context.
const maxKeptBuf = 64 << 10

// inflateTail is what the Inflater appends to a message: the sync tail,
// then an empty final stored block, so that the decompressor ends the
// message with io.EOF instead of waiting for more input.
const inflateTail = syncTail + "\x01\x00\x00\xff\xff"

// sliceWriter is the io.Writer the compressor writes to: it appends to b.
type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// sideParams returns, for an endpoint of role, the no_context_takeover flag
// and the window of its compressor (own) or of its peer's (peer).
func sideParams(role Role, p DeflateParams, own bool) (noTakeover bool, bits int) {
	server := role == Server
	switch role {
	case Server, Client:
	default:
		panic("wsproto: invalid role " + role.String())
	}
	if server == own {
		noTakeover, bits = p.ServerNoContextTakeover, p.ServerMaxWindowBits
	} else {
		noTakeover, bits = p.ClientNoContextTakeover, p.ClientMaxWindowBits
	}
	if bits == 0 {
		bits = 15
	}
	if bits < 8 || bits > 15 {
		panic("wsproto: window bits " + strconv.Itoa(bits) + " out of range 8-15")
	}
	return noTakeover, bits
}

// A Deflater compresses the messages one endpoint sends with
// permessage-deflate (RFC 7692). With context takeover (the default) it
// keeps its history from message to message, which is what makes small
// repetitive messages compress well, and costs memory for the connection's
// lifetime (see the package documentation). With no_context_takeover it
// starts afresh for every message and holds no state between them, so it
// may be pooled (sync.Pool in the glue, per level and window size) and
// shared by connections in turn.
//
// Between messages it holds the compressor's fixed state and a buffer of
// at most 64 KiB (maxKeptBuf), whatever the size of the messages.
//
// A Deflater is not safe for concurrent use.
type Deflater struct {
	fw        *flate.Writer
	sink      sliceWriter
	takeover  bool
	threshold int
	scratch   []byte // AppendMessage's compressed payload
}

// NewDeflater returns the compressor for the messages an endpoint of role
// sends on a connection that agreed on p, configured by cfg (nil for
// defaults): the server uses p's Server* fields, the client the Client*
// ones. A window below 15 bits makes it use klauspost/compress/flate's
// custom-window encoder, which ignores cfg.Level.
func NewDeflater(role Role, p DeflateParams, cfg *DeflateConfig) *Deflater {
	c := cfg.norm()
	noTakeover, bits := sideParams(role, p, true)
	d := &Deflater{takeover: !noTakeover, threshold: c.Threshold}
	var err error
	if bits < 15 {
		d.fw, err = flate.NewWriterWindow(&d.sink, 1<<bits)
	} else {
		d.fw, err = flate.NewWriter(&d.sink, c.Level)
	}
	if err != nil {
		panic("wsproto: " + err.Error()) // levels and windows are checked above
	}
	return d
}

// ShouldCompress reports whether a message of n bytes is worth compressing:
// whether n reaches the configured Threshold.
func (d *Deflater) ShouldCompress(n int) bool { return n >= d.threshold }

// Compress appends to dst the compressed form of msg, a whole message: DEFLATE
// blocks ending with a sync flush, without its final 00 00 ff ff (RFC 7692
// section 7.2.1). The result is the payload of a frame with RSV1 set. An
// empty message compresses to the single byte 0x00.
func (d *Deflater) Compress(dst, msg []byte) []byte {
	d.sink.b = dst
	_, err := d.fw.Write(msg)
	if err == nil {
		err = d.fw.Flush()
	}
	out := d.sink.b
	d.sink.b = nil
	if err != nil || len(out)-len(dst) < len(syncTail) || string(out[len(out)-len(syncTail):]) != syncTail {
		// Writing to memory cannot fail, and a flush always ends so.
		panic("wsproto: flate produced no sync flush")
	}
	if !d.takeover {
		d.fw.Reset(&d.sink)
	}
	return out[:len(out)-len(syncTail)]
}

// Reset drops the compression history: the next message is compressed as
// if it were the first. A pooled Deflater needs no Reset (it resets itself
// after every message); one that keeps its context needs it after the
// connection sent a message it did not compress itself with RSV1 set (a
// PreparedMessage's compressed frame), since its history no longer matches
// the peer's.
func (d *Deflater) Reset() { d.fw.Reset(&d.sink) }

// An Inflater decompresses the messages an endpoint receives with
// permessage-deflate. It keeps the peer's history between messages unless
// the peer agreed to no_context_takeover, in which case it holds no state
// between messages and may be pooled (sync.Pool in the glue) and shared by
// connections in turn.
//
// klauspost/compress/flate's decompressor pulls its input and cannot pause
// in the middle of a block, so the Inflater collects a message's compressed
// fragments (copying them) and inflates them all when the last one arrives.
// The compressed size is bounded by the Reader's MaxMessageSize, the output
// by DeflateConfig.MaxDecompressedSize. Between messages it keeps the
// history (about 64 KiB at most) and a buffer for the compressed input of
// at most 64 KiB (maxKeptBuf): a bigger message's buffer is dropped once
// it is inflated.
//
// An Inflater is not safe for concurrent use.
type Inflater struct {
	fr       io.Reader
	rs       flate.Resetter
	src      bytes.Reader
	in       []byte // the current message's compressed bytes
	hist     []byte // recent output (the peer's history), at most 2*windowSize
	takeover bool
	max      int
}

// NewInflater returns the decompressor for the messages an endpoint of role
// receives on a connection that agreed on p, configured by cfg (nil for
// defaults; MaxDecompressedSize is the field that matters). It can read any
// window up to 15 bits, whatever p says.
func NewInflater(role Role, p DeflateParams, cfg *DeflateConfig) *Inflater {
	c := cfg.norm()
	noTakeover, _ := sideParams(role, p, false)
	f := &Inflater{takeover: !noTakeover, max: c.MaxDecompressedSize}
	fr := flate.NewReader(&f.src)
	f.fr, f.rs = fr, fr.(flate.Resetter)
	return f
}

// Inflate adds p, the next piece of the current message's compressed
// payload (the concatenated Data of a compressed message), to the message.
// If final is false it keeps a copy of p and returns dst unchanged. If final
// is true, p ends the message: Inflate decompresses the whole message and
// appends the result to dst. It fails with ErrInvalidData (close 1007) if
// the data is not valid DEFLATE, or ErrTooBig (close 1009) if the message
// would exceed MaxDecompressedSize; it then returns dst unchanged, and the
// Inflater must not be used again (the connection is failed) until Reset.
//
// The result is not checked for UTF-8: for a text message, pass it through
// a UTF8Validator.
func (f *Inflater) Inflate(dst, p []byte, final bool) ([]byte, error) {
	f.in = append(f.in, p...)
	if !final {
		return dst, nil
	}
	f.in = append(f.in, inflateTail...)
	defer f.endMessage()
	if !f.takeover {
		f.hist = f.hist[:0]
	}
	orig, start := dst, len(dst)
	mark := start // dst[mark:] is output not yet in hist
	f.src.Reset(f.in)
	if err := f.rs.Reset(&f.src, f.window()); err != nil {
		return orig, invalidDataError("invalid compressed data")
	}
	for {
		var err error
		dst, err = f.read(dst, start)
		if err != nil {
			return orig, err
		}
		rest := f.src.Len()
		if rest == 0 || rest == len(inflateTail) {
			break // the message ended with our final block, or its own
		}
		// The message had a block with BFINAL set and goes on (RFC 7692
		// section 7.2.3.4): read the rest as a new stream that shares the
		// window.
		f.remember(dst[mark:])
		mark = len(dst)
		if err := f.rs.Reset(&f.src, f.window()); err != nil {
			return orig, invalidDataError("invalid compressed data")
		}
	}
	if f.takeover {
		f.remember(dst[mark:])
	}
	return dst, nil
}

// endMessage lets go of the message's compressed input, keeping its buffer
// for the next message unless it is big.
func (f *Inflater) endMessage() {
	f.src.Reset(nil) // it still refers to f.in
	if cap(f.in) > maxKeptBuf {
		f.in = nil
		return
	}
	f.in = f.in[:0]
}

// read decompresses until the end of the stream, appending to dst; the
// message's output so far is dst[start:].
func (f *Inflater) read(dst []byte, start int) ([]byte, error) {
	for {
		if len(dst) == cap(dst) {
			// Double the message's output so far (append alone grows
			// large slices by a quarter, allocating about five times
			// the final size on the way), but not far past the limit.
			n := min(max(len(dst)-start, 512), f.max-(len(dst)-start))
			dst = slices.Grow(dst, max(n, 1))
		}
		buf := dst[len(dst):cap(dst)]
		// One byte more than allowed tells it is too much. (Not f.max+1,
		// which overflows for a limit of math.MaxInt.)
		if room := f.max - (len(dst) - start); len(buf) > room {
			buf = buf[:room+1]
		}
		n, err := f.fr.Read(buf)
		dst = dst[:len(dst)+n]
		if len(dst)-start > f.max {
			return dst, tooBigError("message exceeds " + strconv.Itoa(f.max) + " bytes after decompression")
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			e := invalidDataError("invalid compressed data")
			e.Err = err
			return dst, e
		}
	}
}

// remember adds out to the history, keeping at least its last windowSize
// bytes and at most twice that (so that the history is moved once per
// windowSize bytes of output rather than once per message).
func (f *Inflater) remember(out []byte) {
	if len(out) >= windowSize {
		f.hist = append(f.hist[:0], out[len(out)-windowSize:]...)
		return
	}
	if len(f.hist)+len(out) > 2*windowSize {
		n := copy(f.hist, f.hist[len(f.hist)-(windowSize-len(out)):])
		f.hist = f.hist[:n]
	}
	f.hist = append(f.hist, out...)
}

// window returns the history the decompressor starts from.
func (f *Inflater) window() []byte {
	if len(f.hist) > windowSize {
		return f.hist[len(f.hist)-windowSize:]
	}
	return f.hist
}

// Reset drops the history and any partial message: the Inflater is as new.
func (f *Inflater) Reset() {
	f.endMessage()
	f.hist = f.hist[:0]
}
