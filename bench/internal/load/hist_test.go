package load

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramIndexIsMonotonicAndTight(t *testing.T) {
	prev := -1
	for v := uint64(0); v < 1<<20; v += 1 + v/97 {
		i := histIndex(v)
		if i < prev {
			t.Fatalf("histIndex(%d) = %d after %d", v, i, prev)
		}
		prev = i
		mid := histValue(i)
		if rel := (float64(mid) - float64(v)) / float64(max(v, 1)); rel > 0.032 || rel < -0.032 {
			t.Fatalf("value %d lands in bucket %d with midpoint %d (%.1f%% off)", v, i, mid, 100*rel)
		}
	}
	if i := histIndex(1 << 62); i != histBuckets-1 {
		t.Fatalf("huge value in bucket %d, want the last (%d)", i, histBuckets-1)
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h, a, b histogram
	var all []time.Duration
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 100000 {
		d := time.Duration(r.ExpFloat64() * float64(200*time.Microsecond))
		all = append(all, d)
		h.add(d)
		if i%2 == 0 {
			a.add(d)
		} else {
			b.add(d)
		}
	}
	a.merge(&b)
	slices.Sort(all)
	for _, q := range []float64{0.5, 0.99, 0.999} {
		want := all[int(q*float64(len(all)))-1]
		for name, hh := range map[string]*histogram{"one": &h, "merged": &a} {
			got := hh.quantile(q)
			if rel := float64(got-want) / float64(want); rel > 0.02 || rel < -0.02 {
				t.Errorf("%s: quantile(%v) = %v, exact %v", name, q, got, want)
			}
		}
	}
	if h.quantile(1) != all[len(all)-1] || h.max != all[len(all)-1] {
		t.Errorf("max: quantile(1) = %v, max %v, want %v", h.quantile(1), h.max, all[len(all)-1])
	}
	var empty histogram
	if empty.quantile(0.5) != 0 || empty.mean() != 0 {
		t.Error("empty histogram should report zeros")
	}
}
