package stream_test

import (
	"testing"

	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/stream"
)

// BenchmarkEcho: a 64-byte message to an echoing stream and back, both ends
// on one loop over a socket pair. One op is one round trip.
func BenchmarkEcho(b *testing.B) { benchEcho(b, false, 64, 4096) }

// BenchmarkEchoTLS: BenchmarkEcho over TLS (both ends gale streams on one
// loop). Part of its allocations are crypto/tls's own.
func BenchmarkEchoTLS(b *testing.B) { benchEcho(b, true, 64, 4096, 256<<10) }

func benchEcho(b *testing.B, secure bool, sizes ...int) {
	names := map[int]string{64: "64B", 4096: "4KiB", 256 << 10: "256KiB"}
	for _, size := range sizes {
		b.Run(names[size], func(b *testing.B) {
			l := newLoop(b)
			client, server := pair(b, l, nil)
			msg := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			testloop.Run(b, l, func(done func()) {
				echo := func() {
					server.ReadStream(func(chunk []byte, err error) {
						if err == nil {
							server.Write(chunk, nil)
						}
					})
					left := b.N
					var onReply func([]byte, error)
					onReply = func(data []byte, err error) {
						if err != nil {
							b.Fatal(err)
						}
						if left--; left <= 0 {
							done()
							return
						}
						client.Write(msg, nil)
						client.ReadBytes(size, false, onReply)
					}
					b.ResetTimer()
					client.Write(msg, nil)
					client.ReadBytes(size, false, onReply)
				}
				if secure {
					startTLSPair(b, selfSigned(b), client, server, echo)
				} else {
					echo()
				}
			})
		})
	}
}

// TestEchoAllocations guards the zero-allocation hot path: an echo round
// trip in steady state allocates nothing.
func TestEchoAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers on purpose; allocations are checked without -race (make test runs both)")
	}
	l := newLoop(t)
	client, server := pair(t, l, nil)
	msg := make([]byte, 64)
	var allocs float64
	testloop.Run(t, l, func(done func()) {
		server.ReadStream(func(chunk []byte, err error) {
			if err == nil {
				server.Write(chunk, nil)
			}
		})
		// AllocsPerRun cannot wait for the loop, so count the mallocs of
		// many round trips with the runtime's counters instead.
		const rounds = 2000
		left := rounds + 100 // 100 to warm up the pools
		var before uint64
		var onReply func([]byte, error)
		onReply = func(data []byte, err error) {
			if left--; left == rounds {
				before = mallocs()
			}
			if left <= 0 {
				allocs = float64(mallocs()-before) / rounds
				done()
				return
			}
			client.Write(msg, nil)
			client.ReadBytes(64, false, onReply)
		}
		client.Write(msg, nil)
		client.ReadBytes(64, false, onReply)
	})
	if allocs > 0.05 {
		t.Fatalf("%.2f allocations per echoed message, want 0", allocs)
	}
}

// TestTLSEchoAllocations bounds a TLS echo round trip's allocations:
// crypto/tls makes 3 of its own (Go 1.26); gale's read path adds none (it
// added 2: an escaping net.Error and a closure per posted run). The bound
// leaves one for a crypto/tls change.
func TestTLSEchoAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers on purpose; allocations are checked without -race (make test runs both)")
	}
	l := newLoop(t)
	client, server := pair(t, l, nil)
	msg := make([]byte, 64)
	var allocs float64
	testloop.Run(t, l, func(done func()) {
		startTLSPair(t, selfSigned(t), client, server, func() {
			server.ReadStream(func(chunk []byte, err error) {
				if err == nil {
					server.Write(chunk, nil)
				}
			})
			const rounds = 2000
			left := rounds + 100 // 100 to warm up
			var before uint64
			var onReply func([]byte, error)
			onReply = func(data []byte, err error) {
				if err != nil {
					t.Fatal(err)
				}
				if left--; left == rounds {
					before = mallocs()
				}
				if left <= 0 {
					allocs = float64(mallocs()-before) / rounds
					done()
					return
				}
				client.Write(msg, nil)
				client.ReadBytes(64, false, onReply)
			}
			client.Write(msg, nil)
			client.ReadBytes(64, false, onReply)
		})
	})
	if allocs > 4.05 {
		t.Fatalf("%.2f allocations per TLS echo round trip, want at most 4 (crypto/tls's own 3, and one to spare)", allocs)
	}
	t.Logf("%.2f allocations per TLS echo round trip", allocs)
}

// Idle streams hold no read buffer: it goes back to the pool once empty.
func TestIdleStreamHoldsNoBuffer(t *testing.T) {
	l := newLoop(t)
	a, b := pair(t, l, &stream.Options{})
	testloop.Run(t, l, func(done func()) {
		a.Write([]byte("hello"), nil)
		b.ReadBytes(5, false, func(data []byte, err error) { done() })
	})
	if cap(b.Buffered()) != 0 {
		t.Fatalf("an idle stream holds a %d-byte buffer", cap(b.Buffered()))
	}
}
