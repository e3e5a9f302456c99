package httpproto

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"
)

// TestStateDocsMatchTable checks each State's "Followed by:" doc line
// against the transition table, so the docs cannot drift from the code.
func TestStateDocsMatchTable(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "states.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]State{}
	for s := State(0); s < stateCount; s++ {
		byName[stateConstName(s)] = s
	}
	documented := map[State]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || vs.Doc == nil || len(vs.Names) != 1 {
			return true
		}
		s, ok := byName[vs.Names[0].Name]
		if !ok {
			return true
		}
		doc := vs.Doc.Text()
		_, after, found := strings.Cut(doc, "Followed by:")
		if !found {
			t.Errorf("%s has no \"Followed by:\" line", vs.Names[0].Name)
			return true
		}
		var want []string
		for _, w := range strings.Split(strings.TrimSuffix(strings.TrimSpace(after), "."), ",") {
			if w = strings.TrimSpace(w); w != "none" {
				want = append(want, w)
			}
		}
		var got []string
		for _, next := range transitions[s] {
			if name := stateConstName(next); next != stateUninit && !slices.Contains(got, name) {
				got = append(got, name)
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: the table leads to %v, the doc says %v", vs.Names[0].Name, got, want)
		}
		documented[s] = true
		return true
	})
	for s := StateIdle; s < stateCount; s++ {
		if !documented[s] {
			t.Errorf("%v is not documented", s)
		}
	}
}

func stateConstName(s State) string {
	if s == stateUninit {
		return "stateUninit"
	}
	var b strings.Builder
	b.WriteString("State")
	for _, part := range strings.Split(s.String(), "-") {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	switch name := b.String(); name {
	case "StateCloseDelimitedBody":
		return "StateCloseBody"
	default:
		return name
	}
}

// TestEveryStateIsReachable walks the table from StateIdle.
func TestEveryStateIsReachable(t *testing.T) {
	seen := map[State]bool{StateIdle: true}
	queue := []State{StateIdle}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, next := range transitions[s] {
			if next != stateUninit && !seen[next] {
				seen[next] = true
				queue = append(queue, next)
			}
		}
	}
	for s := StateIdle; s < stateCount; s++ {
		if !seen[s] {
			t.Errorf("%v cannot be reached", s)
		}
	}
	for tr := trigger(1); tr < triggerCount; tr++ {
		used := false
		for s := range transitions {
			used = used || transitions[s][tr] != stateUninit
		}
		if !used {
			t.Errorf("trigger %v has no transition", tr)
		}
	}
}

func TestMissingTransitionNamesStateAndTrigger(t *testing.T) {
	var p Parser
	p.InitRequest(nil)
	p.state = StateChunkData
	err := p.fire(trLastChunk)
	if err == nil || err.Code != CodeUnexpectedInput || !strings.Contains(err.Detail, "chunk-data") || !strings.Contains(err.Detail, "last chunk") {
		t.Fatalf("got %v", err)
	}
	if p.State() != StateChunkData {
		t.Errorf("a missing transition changed the state to %v", p.State())
	}
}
