package postgres_test

import (
	"context"
	"fmt"
	"log"

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/postgres"
	"github.com/charterhq/charter/workspace"
)

// This example needs a server, so it is compiled but not run. The tables go
// in the schema named by search_path.
func Example() {
	ctx := context.Background()
	s, err := postgres.Open(ctx, "postgres://charter@localhost/charter?search_path=charter")
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
		seq, err := tx.AppendEvent(ctx, storage.Event{Workspace: "acme", Type: "workspace.created"})
		fmt.Println("event", seq)
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
}
