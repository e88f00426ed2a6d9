package policy

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/charterhq/charter/policy/internal/benchpolicy"
	"pgregory.net/rapid"
)

// TestNameTables: Action, Role, Plan and Currency find by their tables
// what the maps hold, for every name of the shipped policies and of a
// 1,000-action one, for those names with a byte changed, cut or extended,
// and for any text; and the tables are built for each shipped policy, so
// that they are what the lookups use. (The 1,000-action one keeps the
// action map, no table of 4,096 slots separating 1,000 names, and likely
// its 64 roles' too.)
func TestNameTables(t *testing.T) {
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
	// same checks that each lookup finds what its map holds.
	same := func(t interface{ Fatalf(string, ...any) }, p *Policy, name string) {
		if got, want := p.Action(name), p.actionIndex[name]; got != want {
			t.Fatalf("policy %s: Action(%q) = %v, want %v", p.Name(), name, got, want)
		}
		if got, want := p.Role(name), p.roleIndex[name]; got != want {
			t.Fatalf("policy %s: Role(%q) = %v, want %v", p.Name(), name, got, want)
		}
		if got, want := p.Plan(name), p.planIndex[name]; got != want {
			t.Fatalf("policy %s: Plan(%q) = %v, want %v", p.Name(), name, got, want)
		}
		if got, want := p.Currency(name), p.currencyIndex[name]; got != want {
			t.Fatalf("policy %s: Currency(%q) = %v, want %v", p.Name(), name, got, want)
		}
	}
	for _, p := range policies {
		ts := &p.tables
		if p != big && (ts.actions.slots == nil || ts.roles.slots == nil || ts.plans.slots == nil && len(p.plans) > 0 || ts.currencies.slots == nil && len(p.currencies) > 0) {
			t.Errorf("policy %s (%d actions, %d roles, %d plans, %d currencies): a table missing", p.Name(), len(p.actions), len(p.roles), len(p.plans), len(p.currencies))
		}
		var names []string
		for _, a := range p.actions {
			names = append(names, a.Name)
		}
		for _, r := range p.roles {
			names = append(names, r.Name)
		}
		for _, pl := range p.plans {
			names = append(names, pl.Name)
		}
		for _, c := range p.currencies {
			names = append(names, c.Name)
		}
		for _, n := range names {
			for _, name := range []string{n, n + "x", n[:len(n)-1], "x" + n[1:], n[:len(n)/2] + "x" + n[len(n)/2+1:], ""} {
				same(t, p, name)
			}
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		p := rapid.SampledFrom(policies).Draw(t, "policy")
		same(t, p, rapid.String().Draw(t, "name"))
	})
}

// TestNameTableFallsBack: names no draw separates (here the same name
// twice) leave the table empty, and the lookup asks the map.
func TestNameTableFallsBack(t *testing.T) {
	a := &Action{Name: "view"}
	var tb nameTable[Action]
	tb.build([]*Action{a, {Name: "view"}}, []string{"view", "view"})
	if tb.slots != nil {
		t.Fatal("a table for two actions of one name")
	}
	if _, ok := tb.find("view"); ok {
		t.Error("an empty table answered")
	}
	tb.build([]*Action{a, {Name: ""}}, []string{"view", ""})
	if tb.slots != nil {
		t.Fatal("a table for an action without a name")
	}
	tb.build([]*Action{a}, []string{"view"})
	if got, ok := tb.find("view"); !ok || got != a {
		t.Errorf("find(view) = %v, %v; want %v", got, ok, a)
	}
}
