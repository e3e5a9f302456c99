// Package paged provides Array, a growable array stored in fixed pages: it
// grows without copying what it holds, so a table indexed by descriptor
// (or by slot) that reaches tens of thousands of entries leaves no garbage
// of outgrown copies and holds no doubling slack beyond its last page.
// Elements never move, so pointers to them stay valid as the array grows.
package paged

// PageLen is the number of elements per page.
const PageLen = 256

// Array is a growable array of T in pages of PageLen. The zero value is
// empty and ready to use. It is not safe for concurrent use.
type Array[T any] struct {
	pages []*[PageLen]T
}

// Len returns the number of elements the array can index: a multiple of
// PageLen.
func (a *Array[T]) Len() int { return len(a.pages) * PageLen }

// At returns a pointer to element i, which must be below Len.
func (a *Array[T]) At(i int) *T { return &a.pages[i/PageLen][i%PageLen] }

// Get returns a pointer to element i, or nil if i is negative or not below
// Len.
func (a *Array[T]) Get(i int) *T {
	if i < 0 || i >= a.Len() {
		return nil
	}
	return a.At(i)
}

// Grow makes the array long enough to index n-1, adding zeroed pages.
func (a *Array[T]) Grow(n int) {
	for a.Len() < n {
		a.pages = append(a.pages, new([PageLen]T))
	}
}

// Reset empties the array, releasing its pages.
func (a *Array[T]) Reset() { a.pages = nil }
