package memory

import (
	"math"
	"slices"
	"testing"
	"time"
	"unsafe"

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
					j.append(&e.Entry)
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

// TestJournalEntries appends entries of any fields to a journal beside a
// plain slice, with truncations between: each read gives back every field
// as appended. Most entries share their currency and their lot's expiry,
// as a pool's do, and are kept in 48 bytes; the draws also give entries of
// another currency, of a lot whose expiry changed, of periods outside
// int32 (wideMark among them) and Kinds past 15, which the journal keeps
// beside (journal.wide), and truncations that drop some of those.
func TestJournalEntries(t *testing.T) {
	if s := unsafe.Sizeof(jentry{}); s != 48 {
		t.Errorf("a jentry takes %d bytes, want 48", s)
	}
	texts := []string{"", "ann", "bob", "create_visuals", "key:fund", "period:3", "credits", "tokens"}
	rapid.Check(t, func(t *rapid.T) {
		var j journal
		var model []storage.Entry
		// The lots' usual expiries, in microseconds, as a pool's lots keep one.
		expiry := map[string]int64{}
		micros := func(label string) int64 {
			return rapid.OneOf(rapid.Just(time.Time{}.UnixMicro()), rapid.Int64Range(-1<<50, 1<<50)).Draw(t, label)
		}
		t.Repeat(map[string]func(*rapid.T){
			"append": func(t *rapid.T) {
				for range rapid.IntRange(1, 40).Draw(t, "n") {
					grant := rapid.SampledFrom(texts).Draw(t, "grant")
					if _, ok := expiry[grant]; !ok {
						expiry[grant] = micros("expiry")
					}
					exp := expiry[grant]
					if rapid.IntRange(0, 9).Draw(t, "other expiry") == 0 {
						exp = micros("expires")
					}
					currency := "credits"
					if rapid.IntRange(0, 9).Draw(t, "other currency") == 0 {
						currency = rapid.SampledFrom(texts).Draw(t, "currency")
					}
					period := rapid.Int64Range(0, 400).Draw(t, "period")
					if rapid.IntRange(0, 9).Draw(t, "wide period") == 0 {
						period = rapid.SampledFrom([]int64{math.MinInt64, math.MinInt32, math.MinInt32 + 1, math.MaxInt32, math.MaxInt32 + 1, math.MaxInt64}).Draw(t, "period")
					}
					e := storage.Entry{Seq: int64(len(model)) + 1, Entry: credits.Entry{
						Kind:     credits.Kind(rapid.OneOf(rapid.IntRange(0, 15), rapid.IntRange(16, 255)).Draw(t, "kind")),
						Currency: currency, Grant: grant, Amount: rapid.Int64().Draw(t, "amount"),
						Member: rapid.SampledFrom(texts).Draw(t, "member"), Action: rapid.SampledFrom(texts).Draw(t, "action"),
						Key: rapid.SampledFrom(texts).Draw(t, "key"), Period: period,
						Time: at(micros("time")), Expires: at(exp),
					}}
					j.append(&e.Entry)
					model = append(model, e)
				}
			},
			"truncate": func(t *rapid.T) {
				n := rapid.IntRange(0, len(model)).Draw(t, "n")
				j.truncate(n)
				model = model[:n]
			},
			"": func(t *rapid.T) {
				if j.n != len(model) {
					t.Fatalf("journal of %d entries, want %d", j.n, len(model))
				}
				for i, w := range j.wide {
					if w.at >= j.n || i > 0 && j.wide[i-1].at >= w.at {
						t.Fatalf("wide holds entry %d (its %dth) of a journal of %d", w.at, i, j.n)
					}
				}
				got := j.read(0, j.n)
				for i := range model {
					if got[i] != model[i] {
						t.Fatalf("entry %d is\n%+v, want\n%+v", i, got[i], model[i])
					}
				}
			},
		})
	})
}

// TestJournalCompact: a pool's usual entries (a grant, top-ups with and
// without an expiry, spends from each lot, refunds, which name no expiry,
// to each, and the expiry of a lot, which names none either) all fit a
// jentry, so the journal keeps none beside them.
func TestJournalCompact(t *testing.T) {
	t0 := at(time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC).UnixMicro())
	expires := at(t0.AddDate(0, 1, 0).UnixMicro())
	never := at(time.Time{}.UnixMicro())
	var j journal
	add := func(kind credits.Kind, grant string, amount int64, exp time.Time) {
		j.append(&credits.Entry{Kind: kind, Currency: "credits", Grant: grant, Amount: amount,
			Member: "ann", Action: "create_visuals", Key: "k", Period: 7, Time: t0, Expires: exp})
	}
	add(credits.KindReset, "", 0, never)
	add(credits.KindGrant, "period:7", 100, expires)
	add(credits.KindTopUp, "key:fund", 50, never)
	for range 3000 {
		add(credits.KindSpend, "period:7", -1, expires)
		add(credits.KindSpend, "key:fund", -1, never)
	}
	add(credits.KindRefund, "key:fund", 1, never)
	add(credits.KindRefund, "period:7", 1, never)
	add(credits.KindExpire, "period:7", -99, never)
	for i := range j.n {
		if e := j.entry(i, j.at(i)); e.Grant == "period:7" && e.Kind != credits.KindRefund && e.Kind != credits.KindExpire && e.Expires != expires {
			t.Fatalf("entry %d of period:7 expires %v, want %v", i, e.Expires, expires)
		}
	}
	if len(j.wide) != 0 {
		t.Errorf("%d of %d entries kept beside the journal, want none", len(j.wide), j.n)
	}
}
