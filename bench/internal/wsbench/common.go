package wsbench

import "sync"

// MaxMessage is the largest message a server reads, in bytes (after
// decompression where the library checks that): 64 MiB, as the http mode's
// request bodies and wsecho's default, above the 16 MiB messages of
// Autobahn's cases 9.1.6 and 9.2.6 (Tornado's and gale's default, 10 MiB,
// would fail them). Larger messages close the connection.
const MaxMessage = 64 << 20

// Compress makes the servers accept permessage-deflate when a client
// offers it (the default). serve -compress=false clears it before
// starting a server; Start reads it.
var Compress = true

// hub is the set of open connections of a server, which a broadcast goes
// to. C is each implementation's connection type.
type hub[C comparable] struct {
	mu      sync.Mutex
	conns   map[C]struct{}
	stopped bool
}

// add registers c; it reports false once the server is stopping.
func (h *hub[C]) add(c C) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return false
	}
	if h.conns == nil {
		h.conns = make(map[C]struct{})
	}
	h.conns[c] = struct{}{}
	return true
}

func (h *hub[C]) remove(c C) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
}

// snapshot appends the open connections to dst.
func (h *hub[C]) snapshot(dst []C) []C {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		dst = append(dst, c)
	}
	return dst
}

// stop refuses further connections and returns those open.
func (h *hub[C]) stop() []C {
	h.mu.Lock()
	h.stopped = true
	h.mu.Unlock()
	return h.snapshot(nil)
}
