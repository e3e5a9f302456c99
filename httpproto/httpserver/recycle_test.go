package httpserver

import (
	"io"
	"testing"
	"time"

	"github.com/gale-io/gale/loop"
)

// TestDetachedConnRecycled: a connection its handler detached (an upgrade)
// goes back to its loop's free list, the next connection takes it, and
// nothing of the first one's request or response shows in the second's.
func TestDetachedConnRecycled(t *testing.T) {
	s, addr := start(t, func(w *ResponseWriter, r *Request) {
		if string(r.Path) == "/upgrade" {
			w.SetStatus(101, "")
			w.Header().Set("Upgrade", "test")
			w.Header().Set("Connection", "upgrade")
			w.Header().Set("X-First", "secret")
			if err := w.SendHead(); err != nil {
				t.Error(err)
			}
			st, err := w.Detach()
			if err != nil {
				t.Error(err)
				return
			}
			st.Write([]byte("raw bytes after the upgrade"), func(error) { st.Close() })
			return
		}
		if r.Header.Has("X-First") || r.Header.Has("Upgrade") {
			t.Errorf("the second request sees the first's fields: %v", r.Header)
		}
		w.Respond(200, "text/plain", []byte("second"))
	}, nil)

	c1 := dial(t, addr)
	c1.send("GET /upgrade HTTP/1.1\r\nHost: a\r\nUpgrade: test\r\nConnection: upgrade\r\nX-First: request\r\n\r\n")
	resp, _ := c1.response("GET")
	if resp.StatusCode != 101 || resp.Header.Get("X-First") != "secret" {
		t.Fatalf("upgrade answer %d %v", resp.StatusCode, resp.Header)
	}
	if rest, err := io.ReadAll(c1.br); err != nil || string(rest) != "raw bytes after the upgrade" {
		t.Fatalf("after the upgrade: %q %v", rest, err)
	}

	l := s.Loops()[0]
	free, err := loop.Call(t.Context(), l, func() (int, error) { return len(s.loopState(l).free), nil })
	if err != nil || free != 1 {
		t.Fatalf("free list holds %d connections (%v), want the detached one", free, err)
	}

	c2 := dial(t, addr)
	c2.send("GET /plain HTTP/1.1\r\nHost: a\r\n\r\n")
	resp, body := c2.response("GET")
	if resp.StatusCode != 200 || body != "second" || resp.Header.Get("X-First") != "" || resp.Header.Get("Upgrade") != "" {
		t.Fatalf("second response %d %q %v", resp.StatusCode, body, resp.Header)
	}
	free, err = loop.Call(t.Context(), l, func() (int, error) { return len(s.loopState(l).free), nil })
	if err != nil || free != 0 {
		t.Fatalf("free list holds %d connections (%v) after the second connection took one", free, err)
	}

	// The recycled connection still hears its stream close: the loop's
	// table forgets it.
	c2.c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		open, err := loop.Call(t.Context(), l, func() (int, error) { return len(s.loopState(l).conns), nil })
		if err != nil {
			t.Fatal(err)
		}
		if open == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still in the loop's table after the client closed", open)
		}
		time.Sleep(time.Millisecond) // no event to wait on: the table is internal
	}
}

// TestFreeListShrinks: the free list halves on every refresh (each second)
// it was not drawn from, so a burst of upgrades does not pin memory.
func TestFreeListShrinks(t *testing.T) {
	s, _ := start(t, func(w *ResponseWriter, r *Request) { w.Respond(200, "text/plain", nil) }, nil)
	l := s.Loops()[0]
	sizes, err := loop.Call(t.Context(), l, func() ([]int, error) {
		ls := s.loopState(l)
		for range 8 {
			ls.free = append(ls.free, &conn{})
		}
		ls.freeUsed = true
		var sizes []int
		for range 5 {
			ls.refresh()
			sizes = append(sizes, len(ls.free))
		}
		return sizes, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Drawn from before the first refresh: kept; then 4, 2, 1, 0.
	want := []int{8, 4, 2, 1, 0}
	for i := range want {
		if sizes[i] != want[i] {
			t.Fatalf("free list sizes %v, want %v", sizes, want)
		}
	}
}
