package paged

import "testing"

func TestArray(t *testing.T) {
	var a Array[int]
	if a.Len() != 0 || a.Get(0) != nil || a.Get(-1) != nil {
		t.Fatal("zero Array not empty")
	}
	a.Grow(1)
	if a.Len() != PageLen {
		t.Fatalf("Len %d after Grow(1), want %d", a.Len(), PageLen)
	}
	p := a.At(5)
	*p = 42
	a.Grow(10 * PageLen)
	if a.Len() != 10*PageLen {
		t.Fatalf("Len %d, want %d", a.Len(), 10*PageLen)
	}
	if p != a.At(5) || *a.At(5) != 42 {
		t.Fatal("an element moved or changed when the array grew")
	}
	for i := range a.Len() {
		*a.At(i) = i
	}
	for i := range a.Len() {
		if *a.Get(i) != i {
			t.Fatalf("element %d is %d", i, *a.Get(i))
		}
	}
	if a.Get(a.Len()) != nil {
		t.Fatal("Get past the end")
	}
	a.Reset()
	if a.Len() != 0 {
		t.Fatal("Reset left pages")
	}
}

func BenchmarkAt(b *testing.B) {
	var a Array[uint64]
	a.Grow(1 << 14)
	n := a.Len()
	var sum uint64
	for i := range b.N {
		sum += *a.At(i & (n - 1))
	}
	_ = sum
}
