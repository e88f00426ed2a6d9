package memory

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// TestWriteLogReset: an Update's credit write log keeps a small
// Update's writes (a spend's four) for the next to overwrite, and drops a
// large one's, old values and all, when the next Update starts: only a
// bounded number of old values outlives its Update.
func TestWriteLogReset(t *testing.T) {
	ctx, now := context.Background(), time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	st := New()
	if err := st.Update(ctx, func(tx storage.Tx) error {
		return tx.CreateWorkspace(ctx, storage.Workspace{ID: "w", Kind: workspace.Shared, Plan: "p", Owner: "ann", Version: 1, Created: now, Anchor: now})
	}); err != nil {
		t.Fatal(err)
	}
	// put writes n allowances twice each, so that each has an old value
	// on the log's stack.
	put := func(n int) {
		t.Helper()
		if err := st.Update(ctx, func(tx storage.Tx) error {
			for range 2 {
				for i := range n {
					if err := tx.PutAllowance(ctx, "w", "c", credits.Allowance{Member: "m" + strconv.Itoa(i), Amount: 5}); err != nil {
						return err
					}
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	// held counts the writes and old values the log's room still holds.
	held := func() (writes, olds int) {
		l := &st.s.log
		for _, w := range l.writes[:cap(l.writes)] {
			if w.key != "" || w.allows != nil || w.had {
				writes++
			}
		}
		for _, a := range l.allows[:cap(l.allows)] {
			if a != (credits.Allowance{}) {
				olds++
			}
		}
		return writes, olds
	}
	empty := func() {
		t.Helper()
		if err := st.Update(ctx, func(storage.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}

	put(keptWrites / 2) // keptWrites writes
	empty()
	if w, o := held(); w != keptWrites || o != keptWrites/2 {
		t.Errorf("after an Update of %d writes the log holds %d writes and %d old values, want them kept (%d and %d)", keptWrites, w, o, keptWrites, keptWrites/2)
	}
	put(keptWrites) // twice keptWrites writes
	empty()
	if w, o := held(); w != 0 || o != 0 {
		t.Errorf("after an Update of %d writes the log holds %d writes and %d old values, want none", 2*keptWrites, w, o)
	}
}
