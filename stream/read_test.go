package stream_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gale-io/gale/internal/testloop"
	"github.com/gale-io/gale/loop"
	"github.com/gale-io/gale/stream"
)

// feed writes the pieces to w one loop turn apart, so that each arrives in
// its own read on the other side.
func feed(t testing.TB, w *stream.Stream, pieces ...string) {
	l := w.Loop()
	var next func(i int)
	next = func(i int) {
		if i == len(pieces) {
			return
		}
		mustWrite(t, w, pieces[i])
		l.CallLater(0, func() { l.CallLater(0, func() { next(i + 1) }) })
	}
	next(0)
}

func TestReadUntilDelimiterSplitAtEveryIndex(t *testing.T) {
	const msg = "first line\r\nsecond\r\n"
	for cut := 1; cut < len(msg); cut++ {
		l := newLoop(t)
		r, w := pair(t, l, nil)
		var lines []string
		testloop.Run(t, l, func(done func()) {
			var next func()
			next = func() {
				r.ReadUntil([]byte("\r\n"), 0, func(data []byte, err error) {
					if err != nil {
						t.Fatalf("cut %d: %v", cut, err)
					}
					lines = append(lines, string(data))
					if len(lines) == 2 {
						done()
						return
					}
					next()
				})
			}
			next()
			feed(t, w, msg[:cut], msg[cut:])
		})
		if lines[0] != "first line\r\n" || lines[1] != "second\r\n" {
			t.Fatalf("cut %d: %q", cut, lines)
		}
	}
}

func TestReadUntilMaxBytes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		input   []string
		max     int
		want    string
		unsatis bool
	}{
		{"EndsExactlyAtLimit", []string{"abcd\n"}, 5, "abcd\n", false},
		{"OneOverLimit", []string{"abcde\n"}, 5, "", true},
		{"OverLimitArrivingInPieces", []string{"ab", "cd", "ef", "\n"}, 5, "", true},
		{"DelimiterAlreadyBufferedBeyondLimit", []string{"abcdefgh\nxy"}, 4, "", true},
		{"NoLimit", []string{strings.Repeat("x", 100000), "\n"}, 0, strings.Repeat("x", 100000) + "\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLoop(t)
			r, w := pair(t, l, nil)
			var got string
			var gotErr error
			testloop.Run(t, l, func(done func()) {
				r.ReadUntil([]byte("\n"), tc.max, func(data []byte, err error) {
					got, gotErr = string(data), err
					done()
				})
				feed(t, w, tc.input...)
			})
			if tc.unsatis {
				var ure *stream.UnsatisfiableReadError
				if !errors.Is(gotErr, stream.ErrClosed) || !errors.As(gotErr, &ure) || ure.MaxBytes != tc.max {
					t.Fatalf("err %v, want a ClosedError caused by UnsatisfiableReadError", gotErr)
				}
				if !r.Closed() {
					t.Fatal("stream not closed after an unsatisfiable read")
				}
				return
			}
			if gotErr != nil || got != tc.want {
				t.Fatalf("got %q, %v", got, gotErr)
			}
		})
	}
}

func TestReadUntilRegexp(t *testing.T) {
	l := newLoop(t)
	r, w := pair(t, l, nil)
	re := regexp.MustCompile(`\d+;`)
	var got []string
	testloop.Run(t, l, func(done func()) {
		var next func()
		next = func() {
			r.ReadUntilRegexp(re, 100, func(data []byte, err error) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, string(data))
				if len(got) == 2 {
					done()
					return
				}
				next()
			})
		}
		next()
		feed(t, w, "ab1", "2;cd", "3", "4;")
	})
	if got[0] != "ab12;" || got[1] != "cd34;" {
		t.Fatalf("%q", got)
	}
}

func TestReadBytes(t *testing.T) {
	l := newLoop(t)
	r, w := pair(t, l, nil)
	var got []string
	testloop.Run(t, l, func(done func()) {
		steps := []struct {
			n       int
			partial bool
		}{{0, false}, {1, false}, {5, false}, {100, true}, {3, false}}
		var next func(i int)
		next = func(i int) {
			if i == len(steps) {
				done()
				return
			}
			if err := r.ReadBytes(steps[i].n, steps[i].partial, func(data []byte, err error) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, string(data))
				next(i + 1)
			}); err != nil {
				t.Fatal(err)
			}
		}
		next(0)
		feed(t, w, "a", "bc", "def", "gh", "ijk")
	})
	// 0 bytes; "a"; 5 bytes "bcdef"; partial: whatever is there ("gh");
	// then exactly 3: "ijk".
	want := []string{"", "a", "bcdef", "gh", "ijk"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestReadInto(t *testing.T) {
	l := newLoop(t)
	r, w := pair(t, l, nil)
	buf := make([]byte, 6)
	var n1, n2 int
	testloop.Run(t, l, func(done func()) {
		r.ReadInto(buf, false, func(n int, err error) {
			if err != nil {
				t.Fatal(err)
			}
			n1 = n
			small := buf[:0:0]
			r.ReadInto(small, false, func(n int, err error) { // empty: 0 at once
				if n != 0 || err != nil {
					t.Fatalf("empty ReadInto: %d, %v", n, err)
				}
				r.ReadInto(buf[:4], true, func(n int, err error) {
					n2 = n
					done()
				})
			})
		})
		feed(t, w, "abc", "def", "gh")
	})
	if n1 != 6 || n2 != 2 || string(buf[:2]) != "gh" {
		t.Fatalf("n1 %d n2 %d buf %q", n1, n2, buf)
	}
}

func TestReadUntilCloseAndBufferedAfterClose(t *testing.T) {
	l := newLoop(t)
	r, w := pair(t, l, nil)
	var all string
	testloop.Run(t, l, func(done func()) {
		r.ReadUntilClose(func(data []byte, err error) {
			all = string(data)
			if err != nil {
				t.Errorf("ReadUntilClose: %v", err)
			}
			done()
		})
		feed(t, w, "one ", "two ", "three")
		l.CallLater(0, func() {
			l.CallLater(0, func() {
				l.CallLater(0, func() { l.CallLater(0, func() { l.CallLater(0, func() { l.CallLater(0, w.Close) }) }) })
			})
		})
	})
	if all != "one two three" {
		t.Fatalf("%q", all)
	}
	if !r.Closed() || r.Err() != io.EOF {
		t.Fatalf("closed %v err %v, want closed by io.EOF", r.Closed(), r.Err())
	}
}

// Data that arrived before the peer closed stays readable; a read it cannot
// satisfy then fails at once.
func TestReadsAfterPeerClose(t *testing.T) {
	l := newLoop(t)
	r, w := pair(t, l, nil)
	var first string
	testloop.Run(t, l, func(done func()) {
		mustWrite(t, w, "line1\nrest")
		w.Close()
		r.SetCloseCallback(func(err error) {
			// Closed with data still buffered.
			r.ReadUntil([]byte("\n"), 0, func(data []byte, err error) {
				first = string(data)
				if err := r.ReadBytes(4, false, func(data []byte, err error) {
					if string(data) != "rest" || err != nil {
						t.Errorf("second read: %q, %v", data, err)
					}
					err = r.ReadBytes(1, false, func([]byte, error) { t.Error("callback of a failed read ran") })
					if !errors.Is(err, stream.ErrClosed) {
						t.Errorf("read past the end on a closed stream: %v, want ErrClosed at once", err)
					}
					done()
				}); err != nil {
					t.Errorf("read the buffer satisfies: %v", err)
				}
			})
		})
	})
	if first != "line1\n" {
		t.Fatalf("%q", first)
	}
}

func TestReadStream(t *testing.T) {
	l := newLoop(t)
	r, w := pair(t, l, nil)
	var got bytes.Buffer
	var end error
	testloop.Run(t, l, func(done func()) {
		r.ReadStream(func(chunk []byte, err error) {
			got.Write(chunk)
			if err != nil {
				end = err
				done()
			}
		})
		feed(t, w, "a", "b", "c")
		l.CallLater(0, func() {
			l.CallLater(0, func() {
				l.CallLater(0, func() { l.CallLater(0, func() { l.CallLater(0, func() { l.CallLater(0, w.Close) }) }) })
			})
		})
	})
	if got.String() != "abc" || end != io.EOF {
		t.Fatalf("got %q end %v", got.String(), end)
	}
}

func TestPeekAndConsume(t *testing.T) {
	l := newLoop(t)
	r, w := pair(t, l, nil)
	var seen []string
	testloop.Run(t, l, func(done func()) {
		r.Peek(3, func(buf []byte, err error) {
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, string(buf))
			r.Consume(2)
			if got := string(r.Buffered()); got != string(buf[2:]) {
				t.Errorf("Buffered after Consume(2): %q", got)
			}
			r.Peek(len(r.Buffered())+1, func(buf []byte, err error) {
				seen = append(seen, string(buf))
				r.Consume(len(buf))
				done()
			})
		})
		feed(t, w, "ab", "cd", "ef")
	})
	if seen[0] != "abcd" && seen[0] != "abc" {
		t.Fatalf("first peek %q", seen[0])
	}
	if !strings.HasSuffix("abcdef", seen[1]) || !strings.HasPrefix(seen[1], "c") {
		t.Fatalf("second peek %q", seen[1])
	}
}

func TestOneReadAtATime(t *testing.T) {
	l := newLoop(t)
	r, _ := pair(t, l, nil)
	if err := r.ReadBytes(1, false, func([]byte, error) {}); err != nil {
		t.Fatal(err)
	}
	if err := r.ReadUntil([]byte("x"), 0, func([]byte, error) {}); !errors.Is(err, stream.ErrAlreadyReading) {
		t.Fatalf("second read: %v, want ErrAlreadyReading", err)
	}
}

func TestCloseWhileReadPending(t *testing.T) {
	l := newLoop(t)
	r, _ := pair(t, l, nil)
	var gotErr error
	closeErr := errors.New("shutting down")
	var closedWith error
	testloop.Run(t, l, func(done func()) {
		r.SetCloseCallback(func(err error) { closedWith = err; done() })
		r.ReadUntil([]byte("\n"), 0, func(data []byte, err error) { gotErr = err })
		l.CallLater(0, func() { r.CloseWithError(closeErr) })
	})
	if !errors.Is(gotErr, stream.ErrClosed) || !errors.Is(gotErr, closeErr) {
		t.Fatalf("pending read: %v, want ErrClosed wrapping the cause", gotErr)
	}
	if closedWith != closeErr {
		t.Fatalf("close callback got %v", closedWith)
	}
	if err := r.Write([]byte("x"), nil); !errors.Is(err, stream.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
}

func TestReadBufferCap(t *testing.T) {
	l := newLoop(t)
	r, w := pair(t, l, &stream.Options{MaxBufferSize: 4096})
	var gotErr error
	testloop.Run(t, l, func(done func()) {
		r.ReadUntil([]byte("\n"), 0, func(data []byte, err error) { gotErr = err; done() })
		mustWrite(t, w, strings.Repeat("x", 10000))
	})
	if !errors.Is(gotErr, stream.ErrBufferFull) || !errors.Is(gotErr, stream.ErrClosed) {
		t.Fatalf("err %v, want ErrClosed caused by ErrBufferFull", gotErr)
	}
}

// A callback that panics closes its stream (the loop logs the panic); the
// loop and the other streams go on.
func TestCallbackPanicClosesStream(t *testing.T) {
	l := testloop.New(t, &loop.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	a, b := pair(t, l, nil)
	c, d := pair(t, l, nil)
	var peerErr error
	var other string
	testloop.Run(t, l, func(done func()) {
		a.ReadBytes(1, false, func([]byte, error) { panic("boom in a read callback") })
		mustWrite(t, b, "x")
		b.ReadStream(func(_ []byte, err error) {
			if err != nil {
				peerErr = err
				mustWrite(t, d, "still fine")
				c.ReadBytes(10, false, func(data []byte, err error) { other = string(data); done() })
			}
		})
	})
	var pe *stream.PanicError
	if !a.Closed() || !errors.As(a.Err(), &pe) {
		t.Fatalf("panicking stream: closed %v, err %v", a.Closed(), a.Err())
	}
	if peerErr != io.EOF || other != "still fine" {
		t.Fatalf("peer saw %v; other stream read %q", peerErr, other)
	}
}

// A callback that closes its stream and then panics still has the close
// callback told: the panic must not lose the close the callback began.
func TestCallbackClosesThenPanics(t *testing.T) {
	l := testloop.New(t, &loop.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	a, b := pair(t, l, nil)
	var closeErr error
	told := false
	testloop.Run(t, l, func(done func()) {
		a.SetCloseCallback(func(err error) { told, closeErr = true, err; done() })
		a.ReadBytes(1, false, func([]byte, error) {
			a.Close()
			panic("boom after Close")
		})
		mustWrite(t, b, "x")
	})
	if !told || closeErr != nil {
		t.Fatalf("close callback told %v with %v; want told with nil (closed by Close)", told, closeErr)
	}
}

func TestCancelRead(t *testing.T) {
	l := newLoop(t)
	r, w := pair(t, l, nil)
	if r.CancelRead() {
		t.Fatal("CancelRead with no read pending reported one")
	}
	var got string
	testloop.Run(t, l, func(done func()) {
		if err := r.ReadBytes(100, false, func([]byte, error) { t.Error("cancelled read completed") }); err != nil {
			t.Fatal(err)
		}
		if !r.CancelRead() || r.Reading() {
			t.Fatal("CancelRead did not withdraw the read")
		}
		// The bytes that arrive are kept for the next read.
		if err := r.ReadUntil([]byte("!"), 0, func(b []byte, err error) {
			if err != nil {
				t.Error(err)
			}
			got = string(b)
			done()
		}); err != nil {
			t.Fatal(err)
		}
		feed(t, w, "hello", " world!")
	})
	if got != "hello world!" {
		t.Fatalf("read after cancel got %q", got)
	}
}

// As in Tornado, a delimiter or pattern read fails for its max-bytes limit
// only once the data exceeds the limit: exactly maxBytes bytes without the
// match yet is not unsatisfiable (the read waits), so when the peer then
// closes, the read fails with the end of file as its cause.
func TestReadUntilMaxBytesExactlyAtLimitWaits(t *testing.T) {
	for _, regexpRead := range []bool{false, true} {
		l := newLoop(t)
		r, w := pair(t, l, nil)
		var gotErr error
		testloop.Run(t, l, func(done func()) {
			cb := func(data []byte, err error) { gotErr = err; done() }
			if regexpRead {
				r.ReadUntilRegexp(regexp.MustCompile(`\n`), 5, cb)
			} else {
				r.ReadUntil([]byte("\n"), 5, cb)
			}
			mustWrite(t, w, "abcde")
			l.CallLater(50*time.Millisecond, w.Close)
		})
		var ure *stream.UnsatisfiableReadError
		if errors.As(gotErr, &ure) || !errors.Is(gotErr, stream.ErrClosed) || !errors.Is(gotErr, io.EOF) {
			t.Fatalf("regexp %v: err %v, want a ClosedError caused by io.EOF", regexpRead, gotErr)
		}
	}
}

// CloseWithError given another stream's *ClosedError keeps its cause: the
// stream's errors say "stream: closed: <cause>" once, and Err is the cause.
func TestCloseWithClosedError(t *testing.T) {
	l := newLoop(t)
	r, _ := pair(t, l, nil)
	var gotErr error
	testloop.Run(t, l, func(done func()) {
		r.ReadUntil([]byte("\n"), 0, func(data []byte, err error) { gotErr = err; done() })
		l.CallLater(0, func() { r.CloseWithError(&stream.ClosedError{Cause: io.ErrUnexpectedEOF}) })
	})
	if r.Err() != io.ErrUnexpectedEOF {
		t.Fatalf("Err = %v, want the cause", r.Err())
	}
	if want := "stream: closed: " + io.ErrUnexpectedEOF.Error(); gotErr == nil || gotErr.Error() != want {
		t.Fatalf("pending read: %v, want %q", gotErr, want)
	}
}

// A ReadInto started with a few bytes buffered moves them into the caller's
// buffer and reads the rest straight into it, as one started with nothing
// buffered does: it neither grows the read buffer to the caller's size nor
// fails against MaxBufferSize when that is smaller than the caller's buffer
// (it did, with ErrBufferFull, depending only on whether a byte had arrived
// before the read started).
func TestReadIntoWithBytesBufferedReadsDirectly(t *testing.T) {
	l := newLoop(t)
	r, w := pair(t, l, &stream.Options{MaxBufferSize: 64 << 10})
	payload := bytes.Repeat([]byte("0123456789abcdef"), 16<<10) // 256 KiB
	buf := make([]byte, len(payload))
	got, gotErr := -1, error(nil)
	testloop.Run(t, l, func(done func()) {
		mustWrite(t, w, string(payload[:1]))
		r.Peek(1, func(b []byte, err error) { // one byte buffered
			if err != nil {
				t.Fatal(err)
			}
			if err := r.ReadInto(buf, false, func(n int, err error) {
				got, gotErr = n, err
				done()
			}); err != nil {
				t.Fatal(err)
			}
			w.Write(payload[1:], nil)
		})
	})
	if gotErr != nil || got != len(buf) || !bytes.Equal(buf, payload) {
		t.Fatalf("ReadInto: n %d, err %v, data intact %v", got, gotErr, bytes.Equal(buf, payload))
	}
	if cap(r.Buffered()) != 0 {
		t.Fatalf("the idle stream holds a %d-byte buffer", cap(r.Buffered()))
	}
}

// 100,000 one-byte messages already buffered, each read from the previous
// read's callback, run one after another, not nested (Tornado once
// overflowed its stack this way), and leave no buffer behind.
func TestManySmallReadsFromCallbacksDoNotNest(t *testing.T) {
	l := newLoop(t)
	const n = 100000
	r, w := pair(t, l, &stream.Options{MaxBufferSize: 1 << 20})
	count := 0
	testloop.Run(t, l, func(done func()) {
		w.Write(bytes.Repeat([]byte("m"), n), nil)
		r.Peek(n, func(_ []byte, err error) {
			if err != nil {
				t.Fatal(err)
			}
			var next func()
			next = func() {
				if err := r.ReadBytes(1, false, func(d []byte, err error) {
					if err != nil || string(d) != "m" {
						t.Fatalf("message %d: %q, %v", count, d, err)
					}
					if count++; count == n {
						done()
						return
					}
					next()
				}); err != nil {
					t.Fatal(err)
				}
			}
			next()
		})
	})
	if cap(r.Buffered()) != 0 {
		t.Fatalf("the idle stream holds a %d-byte buffer", cap(r.Buffered()))
	}
}

// As in Tornado, the read buffer fails past MaxBufferSize, not at it: a
// peer that sends exactly MaxBufferSize bytes and closes ends the stream
// with io.EOF (ReadUntilClose gets it all); one byte more is ErrBufferFull.
// (The stream used to close with ErrBufferFull, logging an error, as soon
// as the buffer was exactly full.)
func TestReadBufferFullAtLimitIsNoError(t *testing.T) {
	const max = 64 << 10
	for _, tc := range []struct {
		sent int
		want error
	}{{max, io.EOF}, {max + 1, stream.ErrBufferFull}} {
		l := newLoop(t)
		r, w := pair(t, l, &stream.Options{MaxBufferSize: max})
		got := -1
		testloop.Run(t, l, func(done func()) {
			if err := r.ReadUntilClose(func(data []byte, err error) {
				got = len(data)
				if err != nil {
					t.Errorf("ReadUntilClose: %v", err)
				}
				done()
			}); err != nil {
				t.Fatal(err)
			}
			w.Write(bytes.Repeat([]byte("b"), tc.sent), func(error) { w.Close() })
		})
		if r.Err() != tc.want || (tc.want == io.EOF && got != tc.sent) {
			t.Fatalf("%d bytes sent with MaxBufferSize %d: got %d, closed by %v, want %v", tc.sent, max, got, r.Err(), tc.want)
		}
	}
}

// ReadUntilRegexp matches what is buffered, as Tornado does: a match that
// the data still on its way would have extended completes with what is
// there (documented in docs/streams.md).
func TestReadUntilRegexpMatchesWhatIsBuffered(t *testing.T) {
	l := newLoop(t)
	r, w := pair(t, l, nil)
	var got []string
	testloop.Run(t, l, func(done func()) {
		re := regexp.MustCompile(`a+`)
		r.ReadUntilRegexp(re, 0, func(data []byte, err error) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(data))
			r.ReadUntilRegexp(re, 0, func(data []byte, err error) {
				got = append(got, string(data))
				done()
			})
		})
		feed(t, w, "xaa", "aaa")
	})
	if len(got) != 2 || got[0] != "xaa" || got[1] != "aaa" {
		t.Fatalf("got %q, want [xaa aaa]", got)
	}
}

// As in Tornado, a pattern read searches only when data is buffered: a
// pattern that can match the empty string does not complete at once with
// nothing (a loop of such reads spun the loop), it waits for data; and on
// a closed stream with nothing buffered it fails instead of succeeding
// with nothing forever.
func TestReadUntilRegexpEmptyMatchWaitsForData(t *testing.T) {
	l := newLoop(t)
	r, w := pair(t, l, nil)
	re := regexp.MustCompile(`x*;?`)
	var got []string
	testloop.Run(t, l, func(done func()) {
		if err := r.ReadUntilRegexp(re, 0, func(data []byte, err error) {
			if err != nil {
				t.Errorf("first read: %v", err)
			}
			got = append(got, string(data))
			r.SetCloseCallback(func(error) {
				err := r.ReadUntilRegexp(re, 0, func(data []byte, err error) {
					got = append(got, string(data)+"|"+errString(err))
				})
				if !errors.Is(err, stream.ErrClosed) {
					t.Errorf("pattern read on a closed, drained stream: %v, want ErrClosed", err)
				}
				done()
			})
		}); err != nil {
			t.Fatal(err)
		}
		// The read must still be pending a few turns later, with nothing
		// sent yet.
		l.CallLater(0, func() {
			l.CallLater(0, func() {
				if len(got) != 0 {
					t.Errorf("completed with nothing buffered: %q", got)
				}
				mustWrite(t, w, "xx;")
				w.Close()
			})
		})
	})
	if len(got) != 1 || got[0] != "xx;" {
		t.Fatalf("got %q, want [xx;]", got)
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// A read started after Close, while the read that was pending has not been
// told yet (its callback runs on the loop), fails with the close, as in
// Tornado (whose _start_read checks for the close before the "already
// reading" assertion), not with ErrAlreadyReading, which says the caller
// misused the stream.
func TestReadAfterCloseWithReadStillPending(t *testing.T) {
	l := newLoop(t)
	r, _ := pair(t, l, nil)
	var pendingErr, startErr error
	testloop.Run(t, l, func(done func()) {
		if err := r.ReadBytes(1, false, func(_ []byte, err error) { pendingErr = err; done() }); err != nil {
			t.Fatal(err)
		}
		l.CallLater(0, func() {
			r.Close()
			startErr = r.ReadUntil([]byte("\n"), 0, func([]byte, error) { t.Error("callback of a failed read ran") })
		})
	})
	if !errors.Is(pendingErr, stream.ErrClosed) {
		t.Fatalf("pending read: %v, want ErrClosed", pendingErr)
	}
	if !errors.Is(startErr, stream.ErrClosed) || errors.Is(startErr, stream.ErrAlreadyReading) {
		t.Fatalf("read started after Close: %v, want ErrClosed", startErr)
	}
}
