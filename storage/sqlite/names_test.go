package sqlite

import (
	"context"
	"strings"
	"testing"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// TestStoredNames checks how names stored for domain enums read back when
// this program does not know them: a workspace kind reads as 0 (which
// denies), a lot's source and an entry's kind are errors.
func TestStoredNames(t *testing.T) {
	s := migrated(t)
	ctx := context.Background()
	if err := s.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateWorkspace(ctx, storage.Workspace{ID: "a", Kind: workspace.Shared, Owner: "ann"}); err != nil {
			return err
		}
		if err := tx.CreatePool(ctx, storage.Pool{Workspace: "a", Currency: "c"}); err != nil {
			return err
		}
		if err := tx.PutGrant(ctx, "a", "c", credits.Grant{ID: "g", Source: credits.SourceTopUp, Amount: 1, Remaining: 1}); err != nil {
			return err
		}
		return tx.AppendEntries(ctx, "a", []credits.Entry{{Kind: credits.KindTopUp, Currency: "c", Grant: "g", Amount: 1}})
	}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE workspaces SET kind = 'team'`, `UPDATE grants SET source = 'gift'`, `UPDATE journal SET kind = 'gift'`} {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.View(ctx, func(tx storage.Tx) error {
		w, err := tx.Workspace(ctx, "a")
		if err != nil || w.Kind != 0 {
			t.Errorf("Workspace with kind 'team' = kind %v, %v; want kind 0", w.Kind, err)
		}
		if _, err := tx.Grants(ctx, "a", "c"); err == nil || !strings.Contains(err.Error(), `"gift"`) {
			t.Errorf("Grants with source 'gift': %v, want an error naming it", err)
		}
		if _, err := tx.Entries(ctx, "a", "c", 0, 10); err == nil || !strings.Contains(err.Error(), `"gift"`) {
			t.Errorf("Entries with kind 'gift': %v, want an error naming it", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
