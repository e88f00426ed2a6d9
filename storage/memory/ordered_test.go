package memory

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// TestOrdered drives an ordered list and a sorted slice side by side
// through inserts and removals of thousands of holders, enough to split
// and merge chunks: they must always list the same holders, and no chunk
// may be empty or over orderedMax.
func TestOrdered(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		us := newUsers()
		var handles []uint32
		for i := range 4 * orderedMax {
			handles = append(handles, us.intern(fmt.Sprintf("user%05d", (i*7919)%(4*orderedMax))))
		}
		var o ordered
		var model []holder
		has := map[holder]bool{}
		cmpH := func(a, b holder) int { return compareHolders(&us, a, b) }
		t.Repeat(map[string]func(*rapid.T){
			"insert": func(t *rapid.T) {
				for range rapid.IntRange(1, orderedMax).Draw(t, "n") {
					h := holder{int64(rapid.IntRange(0, 3).Draw(t, "joined")), rapid.SampledFrom(handles).Draw(t, "user")}
					if has[h] {
						continue
					}
					has[h] = true
					o.insert(&us, h)
					i, _ := slices.BinarySearchFunc(model, h, cmpH)
					model = slices.Insert(model, i, h)
				}
			},
			"remove": func(t *rapid.T) {
				if len(model) == 0 {
					t.Skip("empty")
				}
				for range rapid.IntRange(1, min(len(model), orderedMax)).Draw(t, "n") {
					i := rapid.IntRange(0, len(model)-1).Draw(t, "i")
					o.remove(&us, model[i])
					delete(has, model[i])
					model = slices.Delete(model, i, i+1)
				}
			},
			"removeRun": func(t *rapid.T) {
				if len(model) == 0 {
					t.Skip("empty")
				}
				i := rapid.IntRange(0, len(model)-1).Draw(t, "i")
				for _, h := range model[i:min(len(model), i+rapid.IntRange(1, orderedMax).Draw(t, "n"))] {
					o.remove(&us, h)
					delete(has, h)
				}
				model = slices.DeleteFunc(model, func(h holder) bool { return !has[h] })
			},
			"": func(t *rapid.T) {
				if got := o.first(len(model) + 1); !slices.Equal(got, model) || o.n != len(model) {
					t.Fatalf("list holds %d (n %d), want %d", len(got), o.n, len(model))
				}
				if limit := len(model) / 3; !slices.Equal(o.first(limit), model[:limit]) {
					t.Fatalf("first %d differ", limit)
				}
				for _, c := range o.chunks {
					if len(c) == 0 || len(c) > orderedMax {
						t.Fatalf("chunk of %d", len(c))
					}
				}
			},
		})
	})
}

// TestUsersTable interns, finds and removes user IDs in a table that
// grows and whose removals shift probe chains: every ID must be found
// while kept and missing once removed.
func TestUsersTable(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		us := newUsers()
		kept := map[string]uint32{}
		t.Repeat(map[string]func(*rapid.T){
			"intern": func(t *rapid.T) {
				for range rapid.IntRange(1, 200).Draw(t, "n") {
					name := fmt.Sprint(rapid.IntRange(0, 500).Draw(t, "id"))
					h := us.intern(name)
					if old, ok := kept[name]; ok && old != h {
						t.Fatalf("%s interned as %d, then %d", name, old, h)
					}
					kept[name] = h
				}
			},
			"remove": func(t *rapid.T) {
				for _, name := range slices.Sorted(maps.Keys(kept)) {
					if rapid.Bool().Draw(t, "remove "+name) {
						us.remove(kept[name])
						delete(kept, name)
					}
				}
			},
			"": func(t *rapid.T) {
				for i := range 501 {
					name := fmt.Sprint(i)
					h, ok := us.find(name)
					if want, keep := kept[name]; ok != keep || ok && h != want {
						t.Fatalf("find(%s) = %d, %t; want %d, %t", name, h, ok, want, keep)
					}
				}
				if us.n != len(kept) {
					t.Fatalf("table holds %d, want %d", us.n, len(kept))
				}
			},
		})
	})
}
