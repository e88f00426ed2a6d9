package memory

import (
	"slices"
	"testing"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
	"pgregory.net/rapid"
)

// TestJournal drives a chunked journal and a plain slice side by side
// through appends, truncations (a rolled-back append) and reads across
// chunk boundaries: they must always hold the same entries.
func TestJournal(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var j journal
		var model []storage.Entry
		t.Repeat(map[string]func(*rapid.T){
			"append": func(t *rapid.T) {
				for range rapid.IntRange(1, 3*chunkLen/2).Draw(t, "n") {
					e := storage.Entry{Seq: int64(len(model)) + 1, Entry: credits.Entry{Amount: -1, Key: "k"}}
					j.append(e)
					model = append(model, e)
				}
			},
			"truncate": func(t *rapid.T) {
				// Half the cuts fall on or next to a chunk's edge.
				var edges []int
				for b := 0; b <= len(model); b += chunkLen {
					edges = append(edges, b, max(b-1, 0), min(b+1, len(model)))
				}
				n := rapid.OneOf(rapid.IntRange(0, len(model)), rapid.SampledFrom(edges)).Draw(t, "n")
				j.truncate(n)
				model = model[:n]
			},
			"read": func(t *rapid.T) {
				from := rapid.IntRange(0, len(model)).Draw(t, "from")
				end := rapid.IntRange(from, len(model)).Draw(t, "end")
				if got := j.read(from, end); !slices.Equal(got, model[from:end]) && len(got)+len(model[from:end]) > 0 {
					t.Fatalf("read(%d, %d) of %d entries: %d entries, want %d", from, end, len(model), len(got), end-from)
				}
			},
			"": func(t *rapid.T) {
				if j.n != len(model) || len(j.chunks) != (len(model)+chunkLen-1)/chunkLen {
					t.Fatalf("journal of %d entries in %d chunks, want %d", j.n, len(j.chunks), len(model))
				}
				for i, c := range j.chunks {
					if i < len(j.chunks)-1 && len(c) != chunkLen {
						t.Fatalf("chunk %d of %d holds %d entries", i, len(j.chunks), len(c))
					}
				}
				if got := j.read(0, j.n); len(model) > 0 && !slices.Equal(got, model) {
					t.Fatal("the journal's entries differ from the model's")
				}
			},
		})
	})
}
