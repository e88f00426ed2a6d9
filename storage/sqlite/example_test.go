package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/sqlite"
	"github.com/charterhq/charter/workspace"
)

func Example() {
	dir, err := os.MkdirTemp("", "charter")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(dir, "charter.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		log.Fatal(err)
	}

	err = s.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateWorkspace(ctx, storage.Workspace{ID: "acme", Kind: workspace.Shared, Owner: "ann"}); err != nil {
			return err
		}
		return tx.PutMember(ctx, storage.Member{Workspace: "acme", User: "ann", Role: "owner"})
	})
	if err != nil {
		log.Fatal(err)
	}
	err = s.View(ctx, func(tx storage.Tx) error {
		w, err := tx.Workspace(ctx, "acme")
		if err != nil {
			return err
		}
		fmt.Println(w.ID, w.Owner, w.Version)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output: acme ann 1
}
