package storage_test

import (
	"strings"
	"testing"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
)

// TestLedgerChangeCheck: Check passes a change all of one pool and
// reports each part of another pool, and each lot out of range, in one
// error.
func TestLedgerChangeCheck(t *testing.T) {
	ok := storage.LedgerChange{
		Workspace: "a", Currency: "credits",
		Record:  &storage.Idempotency{Workspace: "a", Key: "k"},
		Put:     []credits.Grant{{ID: "g", Amount: 5, Remaining: 5}, {ID: "h", Amount: 5}},
		Pool:    &storage.Pool{Workspace: "a", Currency: "credits"},
		Entries: []credits.Entry{{Currency: "credits"}},
	}
	if err := ok.Check(); err != nil {
		t.Fatalf("Check of one pool's change: %v", err)
	}
	bad := ok
	bad.Record = &storage.Idempotency{Workspace: "b", Key: "k"}
	bad.Put = []credits.Grant{{ID: "over", Amount: 5, Remaining: 6}, {ID: "under", Amount: 5, Remaining: -1}}
	bad.Pool = &storage.Pool{Workspace: "a", Currency: "tokens"}
	bad.Entries = []credits.Entry{{Currency: "credits"}, {Currency: "gold"}}
	err := bad.Check()
	if err == nil {
		t.Fatal("Check of a change of parts of other pools = nil")
	}
	for _, want := range []string{
		"holds a record of b",
		"lot over remaining 6 outside [0, 5]",
		"lot under remaining -1 outside [0, 5]",
		"holds a header of pool tokens of a",
		"holds an entry of pool gold of a",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check() = %q, want it to say %q", err, want)
		}
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 5 {
		t.Errorf("Check() reports %d problems, want 5: %q", n, err)
	}
}
