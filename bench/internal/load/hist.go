package load

import (
	"math/bits"
	"time"
)

// histogram records durations in log-linear buckets: exact below 64 ns,
// then 32 buckets per power of two, so a reported percentile is within
// about 1.6% (half a bucket) of the true value. It covers up to 2^40 ns
// (18 minutes); larger values land in the last bucket. One histogram
// belongs to one goroutine; merge them at the end.
type histogram struct {
	counts   [histBuckets]uint32
	n        int64
	sum, max time.Duration
}

const (
	histSubBits  = 5
	histSub      = 1 << histSubBits // buckets per power of two
	histMaxBits  = 41
	histBuckets  = (histMaxBits - histSubBits) * histSub
	histExactMax = 2 * histSub // values below this have a bucket each
)

func histIndex(v uint64) int {
	if v < histExactMax {
		return int(v)
	}
	shift := bits.Len64(v) - histSubBits - 1
	idx := shift*histSub + int(v>>shift)
	return min(idx, histBuckets-1)
}

// histValue is the midpoint of bucket idx.
func histValue(idx int) time.Duration {
	if idx < histExactMax {
		return time.Duration(idx)
	}
	shift := idx/histSub - 1
	m := uint64(idx%histSub + histSub)
	return time.Duration(m<<shift + (uint64(1)<<shift)/2)
}

func (h *histogram) add(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[histIndex(uint64(d))]++
	h.n++
	h.sum += d
	h.max = max(h.max, d)
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// quantile returns the q-quantile (0 < q <= 1): the smallest recorded value
// that at least q of the values are at or below, to bucket precision.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(q*float64(h.n) + 0.9999999)
	rank = max(1, min(rank, h.n))
	if rank == h.n {
		return h.max
	}
	var seen int64
	for i, c := range h.counts {
		seen += int64(c)
		if seen >= rank {
			return min(histValue(i), h.max)
		}
	}
	return h.max
}

func (h *histogram) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}
