package memory_test

import (
	"context"
	"fmt"

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/memory"
	"github.com/charterhq/charter/workspace"
)

func Example() {
	ctx := context.Background()
	s := memory.New()
	_ = s.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateWorkspace(ctx, storage.Workspace{ID: "ws1", Kind: workspace.Shared, Owner: "ann"}); err != nil {
			return err
		}
		return tx.PutMember(ctx, storage.Member{Workspace: "ws1", User: "ann", Role: "owner"})
	})
	w, m, ok, err := s.Access(ctx, "ws1", "ann")
	fmt.Println(w.Owner, w.Version, m.Role, ok, err)
	// Output: ann 1 owner true <nil>
}
