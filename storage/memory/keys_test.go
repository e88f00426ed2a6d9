package memory

import (
	"fmt"
	"hash/maphash"
	"strconv"
	"testing"

	"pgregory.net/rapid"
)

// TestKeyIndex: keyRecords' index against a model. A state machine adds
// records under keys drawn from a small set (so runs form, grow and wrap
// around the table's end), drops the last one added (as a rolled-back
// transaction does) and looks keys up. After each step every key the
// model holds is found with its record, no other key is, and the table is
// at most three quarters full.
func TestKeyIndex(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rs := newKeyRecords()
		var order []string // keys in the order added
		model := map[string]string{}
		key := rapid.Custom(func(t *rapid.T) string { return "k" + strconv.Itoa(rapid.IntRange(0, 200).Draw(t, "n")) })
		t.Repeat(map[string]func(*rapid.T){
			"add": func(t *rapid.T) {
				k := key.Draw(t, "key")
				if _, ok := model[k]; ok {
					t.Skip("recorded")
				}
				result := fmt.Sprintf("r%d", len(order))
				rs.add(k, rs.hash(k), keyRecord{fingerprint: "f", result: result})
				order = append(order, k)
				model[k] = result
			},
			"drop": func(t *rapid.T) {
				if len(order) == 0 {
					t.Skip("empty")
				}
				k := order[len(order)-1]
				rs.drop(k)
				order = order[:len(order)-1]
				delete(model, k)
			},
			"get": func(t *rapid.T) {
				k := key.Draw(t, "key")
				r, ok := rs.get("w", k)
				want, had := model[k]
				if ok != had || ok && (r.Result != want || r.Key != k || r.Workspace != "w") {
					t.Fatalf("get(%q) = %+v, %v; want %q, %v", k, r, ok, want, had)
				}
			},
			"": func(t *rapid.T) {
				if rs.n != len(model) {
					t.Fatalf("%d records, want %d", rs.n, len(model))
				}
				used := 0
				for _, s := range rs.slots {
					if s.place != 0 {
						used++
					}
				}
				if used != len(model) || used*4 > len(rs.slots)*3 {
					t.Fatalf("%d slots used of %d for %d keys", used, len(rs.slots), len(model))
				}
				for k, want := range model {
					if r, ok := rs.get("w", k); !ok || r.Result != want || !rs.has(k) {
						t.Fatalf("key %q: %+v, %v; want %q", k, r, ok, want)
					}
				}
			},
		})
	})
}

// TestKeyIndexCollisions: keys whose hashes share their home slot (found
// by trying keys under the table's seed) form one run across the table's
// end; dropping them last to first leaves each remaining key findable.
func TestKeyIndexCollisions(t *testing.T) {
	rs := newKeyRecords()
	mask := len(rs.slots) - 1
	var keys []string
	for i := 0; len(keys) < 6; i++ {
		k := "c" + strconv.Itoa(i)
		if int(uint32(maphash.String(rs.seed, k)))&mask == mask { // the last slot: the run wraps
			keys = append(keys, k)
		}
	}
	for i, k := range keys {
		rs.add(k, rs.hash(k), keyRecord{result: k})
		if i == 0 && rs.slots[mask].place == 0 {
			t.Fatalf("key %q is not in its home slot", k)
		}
	}
	for len(keys) > 0 {
		for _, k := range keys {
			if r, ok := rs.get("w", k); !ok || r.Result != k {
				t.Fatalf("key %q lost with %d keys: %+v", k, len(keys), r)
			}
		}
		rs.drop(keys[len(keys)-1])
		keys = keys[:len(keys)-1]
	}
	for _, s := range rs.slots {
		if s.place != 0 {
			t.Fatalf("slot left after every drop: %+v", s)
		}
	}
}

// TestKeyIndexUndoAfterGrowth: growing the index places slots in the
// order of the old table, not the order of their adds, so the key an undo
// drops can sit in a run before keys added ahead of it. Adding 3,000 keys
// (growing the index eight times) and dropping them last to first must
// leave every remaining key findable after each drop, and the table empty.
func TestKeyIndexUndoAfterGrowth(t *testing.T) {
	rs := newKeyRecords()
	keys := make([]string, 3000)
	for i := range keys {
		keys[i] = "g" + strconv.Itoa(i)
		rs.add(keys[i], rs.hash(keys[i]), keyRecord{result: keys[i]})
	}
	for n := len(keys); n > 0; n-- {
		rs.drop(keys[n-1])
		if rs.has(keys[n-1]) {
			t.Fatalf("key %q found after its drop", keys[n-1])
		}
		for _, k := range keys[:n-1] {
			if r, ok := rs.get("w", k); !ok || r.Result != k {
				t.Fatalf("key %q lost after dropping %d keys", k, len(keys)-n+1)
			}
		}
	}
	for _, s := range rs.slots {
		if s.place != 0 {
			t.Fatalf("slot left after every drop: %+v", s)
		}
	}
}

// TestKeyIndexDropIntoHome: a table as growth can leave it, where the key
// an undo drops sits in the home slot of a key added before it, which
// sits next in the run. Dropping the last key must move the other into its
// home slot, where a lookup starts.
func TestKeyIndexDropIntoHome(t *testing.T) {
	rs := newKeyRecords()
	mask := len(rs.slots) - 1
	var keys []string // two keys with home slot 3
	for i := 0; len(keys) < 2; i++ {
		if k := "h" + strconv.Itoa(i); int(uint32(maphash.String(rs.seed, k)))&mask == 3 {
			keys = append(keys, k)
		}
	}
	first, last := keys[0], keys[1]
	rs.push(keyRecord{key: first, result: first})
	rs.push(keyRecord{key: last, result: last})
	hash := func(k string) uint32 { return uint32(maphash.String(rs.seed, k)) }
	rs.slots[3] = keySlot{hash: hash(last), place: 2}
	rs.slots[4] = keySlot{hash: hash(first), place: 1}
	rs.drop(last)
	if r, ok := rs.get("w", first); !ok || r.Result != first {
		t.Fatalf("key %q lost after the drop: %+v", first, rs.slots[:6])
	}
	if rs.slots[3].place != 1 || rs.slots[4].place != 0 {
		t.Fatalf("slots after the drop: %+v, want the first key in its home slot", rs.slots[:6])
	}
}

// BenchmarkKeyIndex looks up and then records each of 300,000 new keys,
// as spends do, from empty: in keyRecords, and in the map[string]int and
// chunked records it replaced (a Go map is also the spend floor's index).
func BenchmarkKeyIndex(b *testing.B) {
	keys := make([]string, 300_000)
	for i := range keys {
		keys[i] = "k" + strconv.Itoa(i)
	}
	b.Run("keyRecords", func(b *testing.B) {
		for range b.N {
			rs := newKeyRecords()
			for _, k := range keys {
				if _, hash, ok := rs.find(k); !ok {
					rs.add(k, hash, keyRecord{})
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys)), "ns/key")
	})
	b.Run("map", func(b *testing.B) {
		// The record as the map's version kept it, without the key.
		type record struct {
			fingerprint, result string
			created             int64
		}
		for range b.N {
			places := map[string]int{}
			var records chunked[record]
			for _, k := range keys {
				if _, ok := places[k]; !ok {
					places[k] = records.n
					records.push(record{fingerprint: "", result: k, created: 0}) // as add keeps the key
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys)), "ns/key")
	})
}
