package storagetest

import (
	"context"
	"github.com/charterhq/charter/credits"
	"testing"

	"github.com/charterhq/charter/storage"
)

// RunRestart checks that a durable store keeps everything across a restart:
// it seeds a store, reads a snapshot of all it holds, closes it, reopens the
// same database with reopen, and finds the same snapshot; then it writes
// again and finds the event and journal sequences continuing. reopen must
// return a new Store on the same database each time it is called (a SQLite
// file path, a PostgreSQL schema), migrated.
func RunRestart(t *testing.T, reopen func(t *testing.T) storage.Store) {
	ctx := context.Background()
	s := reopen(t)
	seed(t, s)
	before := snap(t, s)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = reopen(t)
	defer s.Close()
	diff(t, "everything after the restart", snap(t, s), before)

	update(t, s, func(tx storage.Tx) error {
		seq, err := tx.AppendEvent(ctx, event("a", "again"))
		noErr(t, "AppendEvent after restart", err)
		if want := int64(len(before.Events)) + 1; seq != want {
			t.Errorf("AppendEvent after restart = %d, want %d", seq, want)
		}
		noErr(t, "AppendEntries after restart", tx.AppendEntries(ctx, "a", []credits.Entry{entry("credits", "earn", 1)}))
		return nil
	})
	es := snap(t, s).Entries["a/credits"]
	if n := len(before.Entries["a/credits"]); len(es) != n+1 || es[n].Seq != int64(n+1) {
		t.Errorf("journal after restart = %+v, want %d entries numbered 1..%d", es, n+1, n+1)
	}
}
