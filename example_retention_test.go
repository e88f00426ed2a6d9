package charter_test

import (
	"context"
	"fmt"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage/memory"
)

// A scheduled job prunes the events its exporter has kept and the
// invitations that can no longer be accepted.
func ExampleService_PruneEvents() {
	ctx := context.Background()
	p, err := policy.LoadFile("testdata/policies/team-guests.yaml")
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	s, err := charter.New(p, memory.New(), charter.Options{Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	w, _ := s.CreateWorkspace(ctx, "ann", "Acme", "business")
	inv, _ := s.Invite(ctx, "ann", w.ID, "bob@example.com", "member")
	_ = s.Revoke(ctx, "ann", w.ID, inv.ID)

	// The exporter has kept every event so far.
	events, _ := s.Events(ctx, "", 0, 100)
	exported := events[len(events)-1].Seq
	n, _ := s.PruneEvents(ctx, "", exported)
	fmt.Println("events pruned:", n == len(events))

	now = now.Add(time.Hour)
	n, _ = s.PruneInvitations(ctx, "", now)
	fmt.Println("invitations pruned:", n)
	invs, next, _ := s.Invitations(ctx, "ann", w.ID, charter.Page{})
	fmt.Println("invitations left:", len(invs), next == "")
	// Output:
	// events pruned: true
	// invitations pruned: 1
	// invitations left: 0 true
}
