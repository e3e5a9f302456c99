package stream

import (
	"runtime"
	"sync"
	"weak"
)

// Options configure a Stream. A nil *Options means all defaults; a zero field
// means that field's default. Streams made with the same *Options share one
// copy of its settings, so an Options must not change once a stream uses it.
type Options struct {
	// MaxBufferSize caps the read buffer, in bytes. A read that would need
	// more closes the stream with ErrBufferFull as the cause. Default 100
	// MiB, Tornado's max_buffer_size.
	MaxBufferSize int
	// ReadChunkSize is how much one read system call asks for. Default 64
	// KiB; never more than MaxBufferSize/2.
	ReadChunkSize int
	// MaxWriteBufferSize caps the bytes queued for writing; a Write that
	// would exceed it fails with ErrBufferFull and queues nothing. Default
	// 0: no cap, as in Tornado (the watermarks below bound a well-behaved
	// server anyway).
	MaxWriteBufferSize int
	// WriteHighWater: while more than this many bytes wait to be written,
	// the stream stops reading from the peer (backpressure against a peer
	// that sends but does not read). Default 1 MiB; negative disables.
	// A program that writes far ahead of its reads should keep its own
	// queue below this mark (WriteBuffered tells): if both ends of a
	// connection write ahead past their marks, both stop reading and the
	// connection stalls, as two blocking writers would.
	WriteHighWater int
	// WriteLowWater: reading resumes once the queue drains to this many
	// bytes. Default WriteHighWater/4.
	WriteLowWater int
	// AllowHalfOpen keeps the stream open for writing after the peer
	// closes its side: reads see end of file, writes go on until Close or
	// CloseWrite. Default false: as in Tornado, end of file closes the
	// stream.
	AllowHalfOpen bool
	// OnClose, if set, is called for every stream made with these Options
	// at the moment it closes, on its loop, before any callback learns of
	// the close. It is for code that owns many streams, such as a server
	// counting and tracking its connections; the stream's own user sets
	// SetCloseCallback.
	OnClose func(s *Stream, err error)
}

const (
	defaultMaxBuffer = 100 << 20
	defaultChunk     = 64 << 10
	defaultHighWater = 1 << 20
)

// resolved is an Options with every default filled in. Streams share one
// resolved value per distinct *Options, so a stream carries one pointer.
type resolved struct {
	maxBuffer int
	chunk     int
	maxWrite  int
	highWater int
	lowWater  int
	allowHalf bool
	onClose   func(*Stream, error)
}

// resolvedCache maps each *Options a stream was made with (weakly, so an
// Options that is no longer used can be collected, and its entry goes with
// it) to its resolved form, which streams share instead of each carrying a
// copy.
var resolvedCache sync.Map // weak.Pointer[Options] -> *resolved

// resolveShared returns the resolved Options shared by every stream made
// with opts. Options must not change once a stream uses them.
func resolveShared(opts *Options) *resolved {
	if opts == nil {
		return defaultResolved
	}
	key := weak.Make(opts)
	if r, ok := resolvedCache.Load(key); ok {
		return r.(*resolved)
	}
	r, loaded := resolvedCache.LoadOrStore(key, resolve(opts))
	if !loaded {
		runtime.AddCleanup(opts, func(k weak.Pointer[Options]) { resolvedCache.Delete(k) }, key)
	}
	return r.(*resolved)
}

var defaultResolved = resolve(nil)

func resolve(o *Options) *resolved {
	var v Options
	if o != nil {
		v = *o
	}
	r := &resolved{
		maxBuffer: v.MaxBufferSize,
		chunk:     v.ReadChunkSize,
		maxWrite:  v.MaxWriteBufferSize,
		highWater: v.WriteHighWater,
		lowWater:  v.WriteLowWater,
		allowHalf: v.AllowHalfOpen,
		onClose:   v.OnClose,
	}
	if r.maxBuffer <= 0 {
		r.maxBuffer = defaultMaxBuffer
	}
	if r.chunk <= 0 {
		r.chunk = defaultChunk
	}
	r.chunk = max(1, min(r.chunk, r.maxBuffer/2))
	if r.highWater == 0 {
		r.highWater = defaultHighWater
	}
	if r.lowWater <= 0 || r.lowWater > r.highWater {
		r.lowWater = r.highWater / 4
	}
	return r
}
