package storage_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/memory"
	"github.com/charterhq/charter/workspace"
)

// Example shows the transaction discipline every backend keeps: a function
// that fails leaves nothing written, and errors are sentinels.
func Example() {
	ctx := context.Background()
	var s storage.Store = memory.New()
	err := s.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateWorkspace(ctx, storage.Workspace{ID: "ws1", Kind: workspace.Shared, Owner: "ann"}); err != nil {
			return err
		}
		return errors.New("something later failed")
	})
	fmt.Println(err)
	err = s.View(ctx, func(tx storage.Tx) error {
		_, err := tx.Workspace(ctx, "ws1")
		return err
	})
	fmt.Println(errors.Is(err, storage.ErrNotFound))
	// Output:
	// something later failed
	// true
}
