package loop_test

import (
	"testing"

	"github.com/gale-io/gale/loop"
)

func TestLocal(t *testing.T) {
	a, b := loop.NewLocalKey(), loop.NewLocalKey()
	if a == b {
		t.Fatal("two keys are equal")
	}
	l1, l2 := newLoop(t, nil), newLoop(t, nil)
	if v := *l1.Local(a); v != nil {
		t.Fatalf("a fresh slot holds %v", v)
	}
	*l1.Local(a) = "one-a"
	*l1.Local(b) = "one-b"
	*l2.Local(a) = "two-a"
	// A key made after a loop's slots exist still gets its own slot, and
	// the earlier values survive the growth.
	c := loop.NewLocalKey()
	*l1.Local(c) = "one-c"
	for _, tc := range []struct {
		l    *loop.Loop
		k    loop.LocalKey
		want any
	}{
		{l1, a, "one-a"}, {l1, b, "one-b"}, {l1, c, "one-c"},
		{l2, a, "two-a"}, {l2, b, nil}, {l2, c, nil},
	} {
		if got := *tc.l.Local(tc.k); got != tc.want {
			t.Errorf("Local = %v, want %v", got, tc.want)
		}
	}
}

func BenchmarkLocal(b *testing.B) {
	k := loop.NewLocalKey()
	l := newLoop(b, nil)
	*l.Local(k) = new(int)
	b.ReportAllocs()
	for b.Loop() {
		*(*l.Local(k)).(*int)++
	}
}
