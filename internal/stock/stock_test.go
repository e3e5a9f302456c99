package stock

import (
	"testing"

	"github.com/gale-io/gale/loop"
)

func TestStack(t *testing.T) {
	var s Stack[*int]
	if _, ok := s.Pop(); ok {
		t.Fatal("an empty stack popped")
	}
	if _, ok := s.Top(); ok {
		t.Fatal("an empty stack has a top")
	}
	vals := make([]int, Max+1)
	for i := range Max {
		if !s.Push(&vals[i]) {
			t.Fatalf("push %d refused", i)
		}
	}
	if s.Push(&vals[Max]) || s.Len() != Max {
		t.Fatalf("a full stack took another value (len %d)", s.Len())
	}
	if v, ok := s.Top(); !ok || v != &vals[Max-1] || s.Len() != Max {
		t.Fatal("Top is not the last push, or took it")
	}
	for i := Max - 1; i >= 0; i-- {
		if v, ok := s.Pop(); !ok || v != &vals[i] {
			t.Fatalf("pop %d: %v %v", i, v, ok)
		}
	}
	if s.items[0] != nil {
		t.Fatal("a popped slot keeps its value")
	}
}

func TestOf(t *testing.T) {
	k1, k2 := NewKey[int](), NewKey[string]()
	l1, err := loop.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l1.Close()
	l2, err := loop.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	a := Of(l1, k1)
	a.Push(7)
	if Of(l1, k1) != a || Of(l2, k1) == a || Of(l2, k1).Len() != 0 || Of(l1, k2).Len() != 0 {
		t.Fatal("stocks are not one per loop and key")
	}
}
