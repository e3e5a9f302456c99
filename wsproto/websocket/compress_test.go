package websocket

import (
	"testing"

	"github.com/gale-io/gale/wsproto"
)

func TestCompressionShapesShared(t *testing.T) {
	p := wsproto.DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}
	a := newCompression(wsproto.Server, p, &wsproto.DeflateConfig{Level: 3})
	b := newCompression(wsproto.Server, p, &wsproto.DeflateConfig{Level: 3}) // equal value, another address
	if a == b || a.compressionShape != b.compressionShape {
		t.Fatal("connections agreeing alike do not share one shape")
	}
	if a.deflPool == nil || a.inflPool != nil {
		t.Fatalf("server_no_context_takeover: deflate pool %p, inflate pool %p", a.deflPool, a.inflPool)
	}
	for _, other := range []*compression{
		newCompression(wsproto.Client, p, &wsproto.DeflateConfig{Level: 3}),
		newCompression(wsproto.Server, p, &wsproto.DeflateConfig{Level: 4}),
		newCompression(wsproto.Server, p, nil),
		newCompression(wsproto.Server, wsproto.DeflateParams{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}, &wsproto.DeflateConfig{Level: 3}),
	} {
		if other.compressionShape == a.compressionShape {
			t.Fatalf("%+v shares a shape it should not", *other.compressionShape)
		}
	}
	cfg := &wsproto.DeflateConfig{Level: 5}
	c := newCompression(wsproto.Server, p, cfg)
	cfg.Level = 9 // the program changing its config later does not reach existing shapes
	if c.cfg.Level != 5 {
		t.Fatalf("shape's config level %d, want the copy's 5", c.cfg.Level)
	}
	if n := testing.AllocsPerRun(100, func() { shapeFor(wsproto.Server, p, cfg) }); n != 0 && !raceEnabled {
		t.Fatalf("looking up a shape allocates %v times", n)
	}
}
