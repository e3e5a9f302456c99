package websocket

import (
	"sync"

	"github.com/gale-io/gale/wsproto"
)

// compression is a connection's permessage-deflate state. The Deflater and
// Inflater are made at first use. For a direction without context takeover
// they hold nothing between messages, so they are taken from a pool shared
// by the connections configured alike for one message and given back after
// it (a server answering server_no_context_takeover needs one compressor
// per busy loop instead of one per connection). What connections agreeing
// alike share, the parameters and the pools, is one compressionShape, so
// that an idle connection holds three words.
type compression struct {
	*compressionShape
	defl *wsproto.Deflater
	infl *wsproto.Inflater
}

// compressionShape is the immutable part of compression, one per role,
// agreed parameters and configuration (see shapeFor).
type compressionShape struct {
	params wsproto.DeflateParams
	cfg    *wsproto.DeflateConfig // a copy of the program's, or nil
	// deflPool, inflPool: non-nil when that direction has no context
	// takeover.
	deflPool *sync.Pool
	inflPool *sync.Pool
}

func newCompression(role wsproto.Role, p wsproto.DeflateParams, cfg *wsproto.DeflateConfig) *compression {
	return &compression{compressionShape: shapeFor(role, p, cfg)}
}

// shapeKey identifies a compressionShape by value: configurations equal
// in value share one whatever their addresses, so a program that makes a
// DeflateConfig per connection does not grow the table.
type shapeKey struct {
	role   wsproto.Role
	params wsproto.DeflateParams
	cfg    wsproto.DeflateConfig
	hasCfg bool
}

// shapes holds every compressionShape made. A plain map under a lock, not
// a sync.Map, whose Load would box the key: an allocation per handshake.
var shapes = struct {
	sync.RWMutex
	m map[shapeKey]*compressionShape
}{m: make(map[shapeKey]*compressionShape)}

// shapeFor returns the shared shape for role, p and cfg, making it the
// first time.
func shapeFor(role wsproto.Role, p wsproto.DeflateParams, cfg *wsproto.DeflateConfig) *compressionShape {
	k := shapeKey{role: role, params: p}
	if cfg != nil {
		k.cfg, k.hasCfg = *cfg, true
	}
	shapes.RLock()
	sh := shapes.m[k]
	shapes.RUnlock()
	if sh != nil {
		return sh
	}
	shapes.Lock()
	defer shapes.Unlock()
	if sh := shapes.m[k]; sh != nil {
		return sh
	}
	sh = &compressionShape{params: p}
	if k.hasCfg {
		c := k.cfg
		sh.cfg = &c
	}
	cfg = sh.cfg
	sendNoCtx, recvNoCtx := p.ServerNoContextTakeover, p.ClientNoContextTakeover
	sendBits := p.ServerMaxWindowBits
	if role == wsproto.Client {
		sendNoCtx, recvNoCtx = recvNoCtx, sendNoCtx
		sendBits = p.ClientMaxWindowBits
	}
	if sendNoCtx {
		level, threshold := 0, 0
		if cfg != nil {
			level, threshold = cfg.Level, cfg.Threshold
		}
		sh.deflPool = pool(poolKey{deflate: true, role: role, bits: sendBits, level: level, threshold: threshold}, role, p, cfg)
	}
	if recvNoCtx {
		max := 0
		if cfg != nil {
			max = cfg.MaxDecompressedSize
		}
		sh.inflPool = pool(poolKey{role: role, max: max}, role, p, cfg)
	}
	shapes.m[k] = sh
	return sh
}

// poolKey tells apart compressors that behave differently.
type poolKey struct {
	deflate   bool
	role      wsproto.Role
	bits      int
	level     int
	threshold int
	max       int
}

var pools sync.Map // poolKey → *sync.Pool

// pool returns the pool for k, making it (and the function that fills it,
// from role, p and cfg) the first time. Shapes that differ only where a
// compressor does not care share one.
func pool(k poolKey, role wsproto.Role, p wsproto.DeflateParams, cfg *wsproto.DeflateConfig) *sync.Pool {
	if sp, ok := pools.Load(k); ok {
		return sp.(*sync.Pool)
	}
	mk := func() any { return wsproto.NewInflater(role, p, cfg) }
	if k.deflate {
		mk = func() any { return wsproto.NewDeflater(role, p, cfg) }
	}
	sp, _ := pools.LoadOrStore(k, &sync.Pool{New: mk})
	return sp.(*sync.Pool)
}

// deflater returns the compressor for one message; releaseDeflater after.
func (cm *compression) deflater(role wsproto.Role) *wsproto.Deflater {
	if cm.defl == nil {
		if cm.deflPool != nil {
			cm.defl = cm.deflPool.Get().(*wsproto.Deflater)
		} else {
			cm.defl = wsproto.NewDeflater(role, cm.params, cm.cfg)
		}
	}
	return cm.defl
}

// releaseDeflater gives a pooled compressor back after a message.
func (cm *compression) releaseDeflater() {
	if cm.deflPool != nil && cm.defl != nil {
		cm.deflPool.Put(cm.defl)
		cm.defl = nil
	}
}

// dropDeflater lets go of the compressor for good (the connection ended).
func (cm *compression) dropDeflater() {
	cm.releaseDeflater()
	cm.defl = nil
}

func (cm *compression) acquireInflater(role wsproto.Role) {
	if cm.infl != nil {
		return
	}
	if cm.inflPool != nil {
		cm.infl = cm.inflPool.Get().(*wsproto.Inflater)
		return
	}
	cm.infl = wsproto.NewInflater(role, cm.params, cm.cfg)
}

// releaseInflater ends a message: a pooled decompressor goes back (reset
// after a failure, which leaves it unusable).
func (cm *compression) releaseInflater(failed bool) {
	if cm.inflPool == nil || cm.infl == nil {
		return
	}
	if failed {
		cm.infl.Reset()
	}
	cm.inflPool.Put(cm.infl)
	cm.infl = nil
}

// dropInflater abandons a message in progress (the connection ends).
func (cm *compression) dropInflater() {
	if cm.infl == nil {
		return
	}
	if cm.inflPool != nil {
		cm.infl.Reset()
		cm.inflPool.Put(cm.infl)
	}
	cm.infl = nil
}
