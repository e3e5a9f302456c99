package stream_test

import (
	"runtime"
	"testing"

	"github.com/gale-io/gale/internal/testloop"
)

// A read buffer past the largest pooled size class (64 MiB) still grows
// geometrically: a read of 66 MiB, within the default 100 MiB cap, must not
// reallocate and copy the buffer for every 64 KiB chunk past 64 MiB
// (unfixed: 2 GiB allocated here; 8 GiB and 30 s for 70 MiB under -race).
func TestLargeReadGrowsBufferGeometrically(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 66 MiB")
	}
	const n = 66 << 20
	l := newLoop(t)
	r, w := pair(t, l, nil)
	payload := make([]byte, n)
	var got int
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	testloop.Run(t, l, func(done func()) {
		r.ReadBytes(n, false, func(data []byte, err error) {
			if err != nil {
				t.Error(err)
			}
			got = len(data)
			done()
		})
		w.Write(payload, nil)
	})
	runtime.ReadMemStats(&after)
	if got != n {
		t.Fatalf("read %d bytes, want %d", got, n)
	}
	// The writer's copy of what the kernel did not take, plus the
	// reader's buffers doubling up to the cap: a few times n.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 6*n {
		t.Fatalf("allocated %d MiB to read %d MiB", alloc>>20, n>>20)
	}
}

// After a large message, the few bytes of the next one left in the buffer
// must not keep the buffer grown for the large one: a connection waiting
// for the rest of a small request would hold megabytes. They move to a
// buffer of a read chunk's size, and the large one goes back to the pool.
func TestLeftoverAfterLargeReadDoesNotKeepLargeBuffer(t *testing.T) {
	const n = 4 << 20
	l := newLoop(t)
	r, w := pair(t, l, nil)
	msg := append(make([]byte, n), "next"...)
	var held, leftover int
	testloop.Run(t, l, func(done func()) {
		r.Peek(len(msg), func(buf []byte, err error) {
			if err != nil {
				t.Fatal(err)
			}
			r.Consume(n) // the large message; "next" stays
			r.ReadUntil([]byte("\n"), 1024, func([]byte, error) {})
			l.Post(func() {
				held, leftover = cap(r.Buffered()), len(r.Buffered())
				done()
			})
		})
		w.Write(msg, nil)
	})
	if leftover != 4 || held > 64<<10 {
		t.Fatalf("a stream waiting with %d bytes buffered holds a %d-byte buffer", leftover, held)
	}
}
