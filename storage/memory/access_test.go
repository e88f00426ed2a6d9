package memory

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// TestAccessDoesNotAllocate pins what a permission check costs the memory
// store: no allocation for a member, a non-member or a missing workspace.
func TestAccessDoesNotAllocate(t *testing.T) {
	ctx := context.Background()
	st := New()
	err := st.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateWorkspace(ctx, storage.Workspace{ID: "w", Kind: workspace.Shared, Plan: "p", Owner: "ann", Version: 1}); err != nil {
			return err
		}
		if err := tx.PutMember(ctx, storage.Member{Workspace: "w", User: "ann", Role: "owner"}); err != nil {
			return err
		}
		// A workspace large enough to keep an index of its members.
		if err := tx.CreateWorkspace(ctx, storage.Workspace{ID: "big", Kind: workspace.Shared, Plan: "p", Owner: "ann", Version: 1}); err != nil {
			return err
		}
		for i := range 2 * bigAt {
			if err := tx.PutMember(ctx, storage.Member{Workspace: "big", User: fmt.Sprint("u", i), Role: "member"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, id, user string
		ok             bool
		err            error
	}{
		{"member", "w", "ann", true, nil},
		{"non-member", "w", "bob", false, nil},
		{"no workspace", "x", "ann", false, storage.ErrNotFound},
		{"member of a large workspace", "big", "u40", true, nil},
		{"non-member of a large workspace", "big", "ann", false, nil},
	} {
		allocs := testing.AllocsPerRun(100, func() {
			_, _, ok, err := st.Access(ctx, tt.id, tt.user)
			if ok != tt.ok || !errors.Is(err, tt.err) {
				t.Fatalf("Access(%s, %s) = %t, %v; want %t, %v", tt.id, tt.user, ok, err, tt.ok, tt.err)
			}
		})
		if allocs != 0 {
			t.Errorf("Access for a %s: %v allocations, want 0", tt.name, allocs)
		}
		// storage.ReadAccess in a transaction: the tx's Access returns
		// values, so nothing it reads escapes to the heap (ReadAccessInto
		// is for callers whose room lives there already). A missing
		// workspace's error names it, which allocates.
		if tt.err != nil {
			continue
		}
		for _, run := range []func(context.Context, func(storage.Tx) error) error{st.View, st.Update} {
			if err := run(ctx, func(tx storage.Tx) error {
				allocs := testing.AllocsPerRun(100, func() {
					_, _, ok, err := storage.ReadAccess(ctx, tx, tt.id, tt.user)
					if ok != tt.ok || !errors.Is(err, tt.err) {
						t.Fatalf("ReadAccess(%s, %s) = %t, %v; want %t, %v", tt.id, tt.user, ok, err, tt.ok, tt.err)
					}
				})
				if allocs != 0 {
					t.Errorf("ReadAccess for a %s: %v allocations, want 0", tt.name, allocs)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
}
