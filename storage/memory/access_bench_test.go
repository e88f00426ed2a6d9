package memory

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// BenchmarkAccess reads memberships of small workspaces the way a
// permission check does: nine in ten by a member, one by a user who is
// not one.
func BenchmarkAccess(b *testing.B) {
	ctx := context.Background()
	st := New()
	now := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	type query struct{ ws, user string }
	var qs []query
	err := st.Update(ctx, func(tx storage.Tx) error {
		for w := range 10 {
			id := fmt.Sprintf("ws%07d", w)
			if err := tx.CreateWorkspace(ctx, storage.Workspace{ID: id, Kind: workspace.Shared, Plan: "team", Owner: fmt.Sprintf("u%07d", w*5), Created: now, Anchor: now}); err != nil {
				return err
			}
			for m := range 5 {
				user := fmt.Sprintf("u%07d", w*5+m)
				if err := tx.PutMember(ctx, storage.Member{Workspace: id, User: user, Role: "editor", Joined: now}); err != nil {
					return err
				}
				qs = append(qs, query{id, user})
			}
			qs = append(qs, query{id, fmt.Sprintf("u%07d", (w*5+7)%50)})
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		q := qs[i%len(qs)]
		if _, _, _, err := st.Access(ctx, q.ws, q.user); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
