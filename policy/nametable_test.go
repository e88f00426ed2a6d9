package policy

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/charterhq/charter/policy/internal/benchpolicy"
	"pgregory.net/rapid"
)

// TestActionTable: Action finds by its table what the map holds, for every
// name of the shipped policies and of a 1,000-action one, for those names
// with a byte changed, cut or extended, and for any text; and the table is
// built for each shipped policy, so that it is what Action uses. (The
// 1,000-action one keeps the map: no table of 4,096 slots separates 1,000
// names.)
func TestActionTable(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "policies", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no policies: %v", err)
	}
	var policies []*Policy
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Load(filepath.Base(f), src)
		if err != nil {
			t.Fatal(err)
		}
		policies = append(policies, p)
	}
	big, err := Load("big.yaml", benchpolicy.Source(64, 1000))
	if err != nil {
		t.Fatal(err)
	}
	policies = append(policies, big, loadDocExample(t))
	for _, p := range policies {
		if p.actionTable.slots == nil && p != big {
			t.Errorf("policy %s (%d actions): no action table", p.Name(), len(p.actions))
		}
		for _, a := range p.actions {
			near := []string{a.Name, a.Name + "x", a.Name[:len(a.Name)-1], "x" + a.Name[1:], a.Name[:len(a.Name)/2] + "x" + a.Name[len(a.Name)/2+1:]}
			for _, name := range near {
				if got, want := p.Action(name), p.actionIndex[name]; got != want {
					t.Fatalf("policy %s: Action(%q) = %v, want %v", p.Name(), name, got, want)
				}
			}
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		p := rapid.SampledFrom(policies).Draw(t, "policy")
		name := rapid.String().Draw(t, "name")
		if got, want := p.Action(name), p.actionIndex[name]; got != want {
			t.Fatalf("policy %s: Action(%q) = %v, want %v", p.Name(), name, got, want)
		}
	})
}

// TestActionTableFallsBack: names no draw separates (here the same name
// twice) leave the table empty, and Action asks the map.
func TestActionTableFallsBack(t *testing.T) {
	a := &Action{Name: "view"}
	var tb actionTable
	tb.build([]*Action{a, {Name: "view"}})
	if tb.slots != nil {
		t.Fatal("a table for two actions of one name")
	}
	if _, ok := tb.find("view"); ok {
		t.Error("an empty table answered")
	}
	tb.build([]*Action{a, {Name: ""}})
	if tb.slots != nil {
		t.Fatal("a table for an action without a name")
	}
}
