package stream

import (
	"math/bits"
	"sync"
)

// Buffers are pooled in power-of-two size classes from 512 B to 64 MiB;
// larger ones are allocated and dropped. A stream holds a buffer only while
// it holds data, so an idle stream holds none.
const (
	minClassShift = 9
	maxClassShift = 26
)

var pools [maxClassShift - minClassShift + 1]sync.Pool

// getBuf returns a buffer with len 0 and cap at least n.
func getBuf(n int) []byte {
	c := sizeClass(n)
	if c < 0 {
		return make([]byte, 0, n)
	}
	if p, ok := pools[c].Get().(*[]byte); ok {
		b := *p
		*p = nil
		bufHeaders.Put(p)
		return b[:0]
	}
	return make([]byte, 0, 1<<(c+minClassShift))
}

// putBuf returns b to its pool; b must not be used afterwards.
func putBuf(b []byte) {
	c := cap(b)
	if c < 1<<minClassShift || c&(c-1) != 0 || c > 1<<maxClassShift {
		return // not from a pool
	}
	p, _ := bufHeaders.Get().(*[]byte)
	if p == nil {
		p = new([]byte)
	}
	*p = b[:0]
	pools[bits.Len(uint(c))-1-minClassShift].Put(p)
}

// bufHeaders recycles the *[]byte boxes that sync.Pool needs, so that
// getting and putting a buffer allocates nothing in steady state.
var bufHeaders = sync.Pool{New: func() any { return new([]byte) }}

// sizeClass returns the pool index for n bytes, or -1 if n is too large.
func sizeClass(n int) int {
	if n <= 1<<minClassShift {
		return 0
	}
	s := bits.Len(uint(n - 1))
	if s > maxClassShift {
		return -1
	}
	return s - minClassShift
}
