package memory

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/charterhq/charter/credits"
	"pgregory.net/rapid"
)

// TestLotSet: a pool's lots against a map. A state machine puts lots (new
// and replacing), drops them (there and not), and after each step the set
// holds the model's lots in the order of their IDs, and each put and drop
// returns the lot it replaced or deleted.
func TestLotSet(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var s lotSet
		model := map[string]credits.Grant{}
		id := rapid.SampledFrom([]string{"a", "b", "c", "d", "e", "f", "key:1", "key:10", "key:2", ""})
		t.Repeat(map[string]func(*rapid.T){
			"put": func(t *rapid.T) {
				g := credits.Grant{ID: id.Draw(t, "id"), Remaining: rapid.Int64Range(0, 9).Draw(t, "remaining")}
				old, had := s.put(g)
				want, wantHad := model[g.ID]
				if had != wantHad || old != want {
					t.Fatalf("put(%+v) replaced %+v, %v; want %+v, %v", g, old, had, want, wantHad)
				}
				model[g.ID] = g
			},
			"drop": func(t *rapid.T) {
				i := id.Draw(t, "id")
				old, had := s.drop(i)
				want, wantHad := model[i]
				if had != wantHad || old != want {
					t.Fatalf("drop(%q) = %+v, %v; want %+v, %v", i, old, had, want, wantHad)
				}
				delete(model, i)
			},
			"": func(t *rapid.T) {
				var want []credits.Grant
				for _, k := range slices.Sorted(maps.Keys(model)) {
					want = append(want, model[k])
				}
				got := s.all()
				if len(got) != len(want) || !slices.IsSortedFunc(got, func(a, b credits.Grant) int { return strings.Compare(a.ID, b.ID) }) {
					t.Fatalf("lots %+v, want %+v", got, want)
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("lots %+v, want %+v", got, want)
					}
				}
			},
		})
	})
	var none *lotSet
	if none.all() != nil {
		t.Error("a nil set has lots")
	}
}
