package wsproto

import (
	"os"
	"strings"
	"testing"
)

// renderTransitions draws the transition table as states.go's comment shows
// it.
func renderTransitions() []string {
	short := map[readState]string{stateIdle: "Idle", stateInMessage: "InMsg", stateClosed: "Closed"}
	cols := []string{"data", "first", "cont", "last", "ping", "pong", "close"}
	pad := func(s string, n int) string { return s + strings.Repeat(" ", max(n-len(s), 1)) }
	line := pad(`state \ frame`, 15)
	for _, c := range cols {
		line += pad(c, 10)
	}
	lines := []string{strings.TrimRight(line, " ")}
	for s := readState(0); s < numReadStates; s++ {
		line := pad(s.String(), 15)
		for k := frameKind(0); k < numFrameKinds; k++ {
			t := transitions[s][k]
			cell := "-"
			if t.ok {
				cell = short[t.next]
				if t.starts {
					cell += " S"
				}
				if t.ends {
					cell += " E"
				}
			}
			line += pad(cell, 10)
		}
		lines = append(lines, strings.TrimRight(line, " "))
	}
	return lines
}

// The comment in states.go is the table, drawn again from the code.
func TestTransitionTableDoc(t *testing.T) {
	src, err := os.ReadFile("states.go")
	if err != nil {
		t.Fatal(err)
	}
	want := renderTransitions()
	doc := "//\t" + strings.Join(want, "\n//\t") + "\n"
	if !strings.Contains(string(src), doc) {
		t.Errorf("states.go's table comment is out of date; it should read:\n%s", doc)
	}
}

// Every missing entry is reported with its state and frame kind, and the
// table's shape holds: only data frames start messages, only frames with
// FIN end them, Close always leads to Closed.
func TestTransitionTable(t *testing.T) {
	for s := readState(0); s < numReadStates; s++ {
		for k := frameKind(0); k < numFrameKinds; k++ {
			tr, err := lookup(s, k)
			if !tr.ok {
				if err == nil || !strings.Contains(err.Error(), s.String()) || !strings.Contains(err.Error(), k.String()) {
					t.Errorf("(%v, %v): error %v does not name the state and the frame", s, k, err)
				}
				continue
			}
			if tr.starts != (k == kindData || k == kindFirst) || tr.ends != (k == kindData || k == kindLast) {
				t.Errorf("(%v, %v): starts %v ends %v", s, k, tr.starts, tr.ends)
			}
			if (k == kindClose) != (tr.next == stateClosed) {
				t.Errorf("(%v, %v) leads to %v", s, k, tr.next)
			}
		}
	}
	if readState(9).String() != "readState(?)" || frameKind(9).String() != "frameKind(?)" {
		t.Error("String of unknown values")
	}
}

// check reports the index of the first byte that makes the input invalid.
func TestUTF8CheckIndex(t *testing.T) {
	cases := []struct {
		in   string
		want int
	}{
		{"abc", -1}, {"ab\xff", 2}, {"\xe2\x82\xac", -1}, {"\xe2\x82x", 2}, {"\xed\xa0\x80", 1},
		{"12345678\xc0", 8}, {"\xf4\x90", 1}, {"\xf0\x9f\x98", -1},
	}
	for _, c := range cases {
		var v UTF8Validator
		if got := v.check([]byte(c.in)); got != c.want {
			t.Errorf("check(% x) = %d, want %d", c.in, got, c.want)
		}
	}
	var v UTF8Validator
	v.check([]byte{0xe2})
	if got := v.check([]byte{0x82, 0x41, 0xff}); got != 1 { // E2 82 needs one more continuation byte
		t.Errorf("check across writes = %d, want 1", got)
	}
	if got := v.check([]byte("ok")); got != 0 {
		t.Errorf("check after a failure = %d, want 0", got)
	}
}
