package memory

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/charterhq/charter/internal/heap"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// TestHeapPerMembership pins how compact memberships are: 2,000
// workspaces of 10 members drawn from 10,000 users (the shape of the
// scale workload) must take at most 100 bytes of live heap a membership,
// users and workspace headers included. The store took 538 before it
// kept them compact; it takes about 70.
func TestHeapPerMembership(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap")
	}
	const nws, per, nusers = 2000, 10, 10000
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	// The records are made before measuring, as a caller's would be: the
	// store keeps their ID strings without copying them, so those are not
	// counted.
	users := make([]string, nusers)
	for i := range users {
		users[i] = fmt.Sprintf("u%07d", i)
	}
	var headers []storage.Workspace
	var members []storage.Member
	for w := range nws {
		id := fmt.Sprintf("ws%07d", w)
		headers = append(headers, storage.Workspace{ID: id, Kind: workspace.Shared, Plan: "team", Owner: users[w*per%nusers], BillingContact: users[w*per%nusers], Created: now, Anchor: now, Version: 1})
		for m := range per {
			role := "editor"
			if m == 0 {
				role = "owner"
			}
			members = append(members, storage.Member{Workspace: id, User: users[(w*per+m*7)%nusers], Role: role, Joined: now})
		}
	}
	before := heap.Live()
	st := New()
	err := st.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateWorkspaces(ctx, headers); err != nil {
			return err
		}
		return tx.InsertMembers(ctx, members)
	})
	if err != nil {
		t.Fatal(err)
	}
	after := heap.Live()
	runtime.KeepAlive(st)
	perMember := float64(after-min(before, after)) / float64(len(members))
	t.Logf("%.0f bytes of live heap a membership", perMember)
	if perMember > 100 {
		t.Errorf("%.0f bytes of live heap a membership, want at most 100", perMember)
	}
	runtime.KeepAlive(headers)
	runtime.KeepAlive(members)
}
