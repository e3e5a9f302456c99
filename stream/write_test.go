package stream_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream"
)

func TestWriteCallbacksInOrder(t *testing.T) {
	l := newLoop(t)
	a, b := pair(t, l, nil)
	var order []int
	var got []byte
	testloop.Run(t, l, func(done func()) {
		big := bytes.Repeat([]byte("z"), 4<<20) // more than the socket buffer takes at once
		for i, p := range [][]byte{[]byte("head"), big, nil, []byte("tail")} {
			if err := a.Write(p, func(err error) {
				if err != nil {
					t.Errorf("write %d: %v", i, err)
				}
				order = append(order, i)
			}); err != nil {
				t.Fatal(err)
			}
			if i == 1 {
				big[0] = 'X' // the stream copied it: this must not be sent
			}
		}
		total := 8 + len(big)
		b.ReadStream(func(chunk []byte, err error) {
			got = append(got, chunk...)
			if len(got) == total {
				done()
			}
		})
	})
	if len(order) != 4 || order[0] != 0 || order[1] != 1 || order[2] != 2 || order[3] != 3 {
		t.Fatalf("callback order %v", order)
	}
	if string(got[:5]) != "headz" || string(got[len(got)-4:]) != "tail" {
		t.Fatalf("data corrupted: starts %q ends %q", got[:5], got[len(got)-4:])
	}
}

func TestCloseWriteHalfClose(t *testing.T) {
	l := newLoop(t)
	a, b := pair(t, l, &stream.Options{AllowHalfOpen: true})
	var fromA, fromB string
	testloop.Run(t, l, func(done func()) {
		mustWrite(t, a, "request")
		if err := a.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		if err := a.Write([]byte("late"), nil); !errors.Is(err, stream.ErrWriteClosed) {
			t.Errorf("write after CloseWrite: %v", err)
		}
		// b reads to end of file, then answers on its still-open side.
		b.ReadStream(func(chunk []byte, err error) {
			fromA += string(chunk)
			if err == io.EOF {
				mustWrite(t, b, "response")
				b.CloseWrite()
			}
		})
		a.ReadStream(func(chunk []byte, err error) {
			fromB += string(chunk)
			if err == io.EOF {
				done()
			}
		})
	})
	if fromA != "request" || fromB != "response" {
		t.Fatalf("a got %q, b got %q", fromB, fromA)
	}
}

// A peer that sends without reading: the echoing side stops reading once its
// write queue passes the high-water mark, so its memory stays bounded.
func TestBackpressureBoundsWriteQueue(t *testing.T) {
	l := newLoop(t)
	const high = 64 << 10
	server, client := pair(t, l, &stream.Options{WriteHighWater: high})
	maxQueued := 0
	sent := 0
	testloop.Run(t, l, func(done func()) {
		server.ReadStream(func(chunk []byte, err error) {
			if err == nil {
				server.Write(chunk, nil)
				maxQueued = max(maxQueued, server.WriteBuffered())
			}
		})
		sendUntilStuck(l, client, 8<<20, &sent, done)
	})
	if maxQueued > high+64<<10 {
		t.Fatalf("server queued %d bytes for a peer that does not read; high-water mark %d", maxQueued, high)
	}
	if client.WriteBuffered() == 0 {
		t.Logf("the kernel's buffers took all %d bytes: backpressure never reached the client", sent)
	}
}

// WriteRoom tells how much Write accepts before Options.MaxWriteBufferSize
// refuses it, and a refused Write queues nothing.
func TestWriteRoom(t *testing.T) {
	l := newLoop(t)
	const limit = 64 << 10
	a, b := pair(t, l, &stream.Options{MaxWriteBufferSize: limit})
	free, _ := pair(t, l, nil)
	var got int
	testloop.Run(t, l, func(done func()) {
		if r := free.WriteRoom(); r != -1 {
			t.Errorf("WriteRoom without a cap = %d, want -1", r)
		}
		if r := a.WriteRoom(); r != limit {
			t.Errorf("WriteRoom of an idle stream = %d, want the cap %d", r, limit)
		}
		if err := a.Write(make([]byte, limit+1), nil); !errors.Is(err, stream.ErrBufferFull) {
			t.Errorf("a write over the cap: %v, want ErrBufferFull", err)
		}
		// b does not read yet: fill the kernel's buffers until bytes queue.
		piece := make([]byte, 8<<10)
		sent := 0
		for a.WriteBuffered() == 0 && sent < 256<<20 {
			if err := a.Write(piece, nil); err != nil {
				t.Fatalf("Write after %d bytes: %v", sent, err)
			}
			sent += len(piece)
		}
		q := a.WriteBuffered()
		if q == 0 {
			t.Fatalf("the kernel took all %d bytes: nothing queued", sent)
		}
		room := a.WriteRoom()
		if room != limit-q {
			t.Fatalf("WriteRoom = %d with %d bytes queued, want %d", room, q, limit-q)
		}
		if err := a.Write(make([]byte, room+1), nil); !errors.Is(err, stream.ErrBufferFull) {
			t.Fatalf("a write of WriteRoom()+1 bytes: %v, want ErrBufferFull", err)
		}
		if a.WriteBuffered() != q || a.WriteRoom() != room {
			t.Fatalf("a refused write changed the queue: %d bytes, room %d; want %d, %d", a.WriteBuffered(), a.WriteRoom(), q, room)
		}
		if err := a.Write(make([]byte, room), nil); err != nil {
			t.Fatalf("a write of WriteRoom() bytes: %v", err)
		}
		sent += room
		if r := a.WriteRoom(); r != 0 {
			t.Fatalf("WriteRoom = %d at the cap, want 0", r)
		}
		if err := a.Write([]byte("x"), nil); !errors.Is(err, stream.ErrBufferFull) {
			t.Fatalf("a write at the cap: %v, want ErrBufferFull", err)
		}
		// Once b reads everything, the whole cap is free again.
		b.ReadStream(func(chunk []byte, err error) {
			got += len(chunk)
			if got == sent {
				if r := a.WriteRoom(); r != limit {
					t.Errorf("WriteRoom after the queue drained = %d, want %d", r, limit)
				}
				done()
			}
		})
	})
}

// 100 MiB through an echoing stream, written in random chunks and read back
// with random read modes and sizes, compared byte for byte.
func TestLargeRoundTripRandomChunks(t *testing.T) {
	total := 100 << 20
	if testing.Short() {
		total = 8 << 20
	}
	l := newLoop(t)
	a, echo := pair(t, l, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	src := make([]byte, 1<<20) // the data repeats this block
	for i := range src {
		src[i] = byte(rng.Uint32())
	}
	at := func(off int) byte { return src[off%len(src)] }
	written, verified := 0, 0
	testloop.Run(t, l, func(done func()) {
		echo.ReadStream(func(chunk []byte, err error) {
			if err == nil {
				echo.Write(chunk, nil)
			}
		})
		var write func(error)
		write = func(error) {
			// Stay well under the high-water mark: a stream whose own output
			// is backed up past it stops reading (see Options).
			for written < total && a.WriteBuffered() < 256<<10 {
				n := min(1+rng.IntN(200<<10), total-written)
				buf := make([]byte, n)
				for i := range buf {
					buf[i] = at(written + i)
				}
				written += n
				a.Write(buf, write)
			}
		}
		write(nil)
		check := func(data []byte) bool {
			for i, c := range data {
				if c != at(verified+i) {
					t.Errorf("byte %d: got %d, want %d", verified+i, c, at(verified+i))
					done()
					return false
				}
			}
			verified += len(data)
			return true
		}
		var read func()
		read = func() {
			if verified == total {
				done()
				return
			}
			left := total - verified
			switch rng.IntN(3) {
			case 0:
				a.ReadBytes(min(1+rng.IntN(100<<10), left), rng.IntN(2) == 0, func(data []byte, err error) {
					if err == nil && check(data) {
						read()
					}
				})
			case 1:
				buf := make([]byte, min(1+rng.IntN(100<<10), left))
				a.ReadInto(buf, true, func(n int, err error) {
					if err == nil && check(buf[:n]) {
						read()
					}
				})
			case 2:
				a.Peek(1, func(buf []byte, err error) {
					n := min(len(buf), left, 1+rng.IntN(50<<10))
					if err == nil && check(buf[:n]) {
						a.Consume(n)
						read()
					}
				})
			}
		}
		read()
	})
	if verified != total {
		t.Fatalf("verified %d of %d bytes (written %d; a queued %d, echo queued %d, a reading %v)", verified, total, written, a.WriteBuffered(), echo.WriteBuffered(), a.Reading())
	}
}

// Random read and write splits of a line protocol: whatever the chunking,
// every line comes out whole and in order.
func TestRandomSplitsLineProtocol(t *testing.T) {
	for seed := range uint64(20) {
		l := newLoop(t)
		a, b := pair(t, l, &stream.Options{ReadChunkSize: 1 + int(seed)*7})
		rng := rand.New(rand.NewPCG(seed, 99))
		var lines []string
		for i := range 200 {
			lines = append(lines, strings.Repeat(string(rune('a'+i%26)), rng.IntN(300))+"\n")
		}
		wire := strings.Join(lines, "")
		var got []string
		testloop.Run(t, l, func(done func()) {
			var next func()
			next = func() {
				b.ReadUntil([]byte("\n"), 1000, func(data []byte, err error) {
					if err != nil {
						t.Fatalf("seed %d: %v", seed, err)
					}
					got = append(got, string(data))
					if len(got) == len(lines) {
						done()
						return
					}
					next()
				})
			}
			next()
			rest := wire
			var send func()
			send = func() {
				if rest == "" {
					return
				}
				n := min(len(rest), 1+rng.IntN(700))
				mustWrite(t, a, rest[:n])
				rest = rest[n:]
				l.CallLater(0, send)
			}
			send()
		})
		if strings.Join(got, "") != wire {
			t.Fatalf("seed %d: lines corrupted", seed)
		}
	}
}

// The same over TLS: records crypto/tls holds make the stream read again
// without waiting for the poller, and that must stop too while the write
// queue is above the high-water mark, or a peer that sends but never
// reads grows the queue without bound.
func TestBackpressureBoundsWriteQueueTLS(t *testing.T) {
	ss := selfSigned(t)
	l := newLoop(t)
	const high = 64 << 10
	server, client := pair(t, l, &stream.Options{WriteHighWater: high})
	maxQueued := 0
	sent := 0
	const total = 8 << 20
	testloop.Run(t, l, func(done func()) {
		echo := func(chunk []byte, err error) {
			if err == nil {
				server.Write(chunk, nil)
				maxQueued = max(maxQueued, server.WriteBuffered())
				if maxQueued > 4*high {
					done() // unbounded: no need to go on
				}
			}
		}
		startTLSPair(t, ss, client, server, func() {
			sendUntilStuck(l, client, total, &sent, done)
		})
		if err := server.ReadStream(echo); err != nil { // completes once TLS is up
			t.Fatal(err)
		}
	})
	// TLS records add a little to each 16 KiB written.
	if maxQueued > high+80<<10 {
		t.Fatalf("server queued %d bytes for a peer that does not read; high-water mark %d", maxQueued, high)
	}
}

// sendUntilStuck has client write total bytes in 16 KiB pieces, never
// reading, counting them in *sent, and calls done once nothing moves any
// more: every buffer between the two ends is full and the client's queue
// stops changing (or, where the kernel's buffers took everything, it is
// empty), checked over 200 loop turns.
func sendUntilStuck(l *loop.Loop, client *stream.Stream, total int, sent *int, done func()) {
	payload := bytes.Repeat([]byte("p"), 16<<10)
	var pump func(error)
	pump = func(error) {
		if *sent >= total {
			return
		}
		*sent += len(payload)
		client.Write(payload, pump)
	}
	pump(nil)
	stableTurns := 0
	last := -1
	var watch func()
	watch = func() {
		if q := client.WriteBuffered(); q == last && (q > 0 || *sent >= total) {
			stableTurns++
		} else {
			stableTurns, last = 0, q
		}
		if stableTurns > 200 {
			done()
			return
		}
		l.CallLater(0, watch)
	}
	watch()
}

// ReadPaused is true while the write queue is above the high-water mark
// (reading is held back) and false again once it has drained to the
// low-water mark.
func TestReadPaused(t *testing.T) {
	l := newLoop(t)
	const high = 64 << 10
	a, b := pair(t, l, &stream.Options{WriteHighWater: high})
	var pausedAtFill, pausedAfterDrain bool
	testloop.Run(t, l, func(done func()) {
		if a.ReadPaused() {
			t.Error("an idle stream reports reading paused")
		}
		a.ReadStream(func([]byte, error) {})
		// b does not read yet: fill the kernel's buffers, then queue past
		// the high-water mark.
		piece := make([]byte, 16<<10)
		for sent := 0; a.WriteBuffered() <= high && sent < 256<<20; sent += len(piece) {
			a.Write(piece, nil)
		}
		pausedAtFill = a.ReadPaused()
		a.Write(nil, func(err error) {
			pausedAfterDrain = a.ReadPaused()
			done()
		})
		b.ReadStream(func([]byte, error) {})
	})
	if !pausedAtFill || pausedAfterDrain {
		t.Fatalf("ReadPaused: %v above the high-water mark (want true), %v once drained (want false)", pausedAtFill, pausedAfterDrain)
	}
}
