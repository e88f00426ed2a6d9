package charter_test

import (
	"context"
	"fmt"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage/memory"
)

// Example shows the whole cycle: load a policy, invite a member, check what
// they may do, and spend from the team's credit pool.
func Example() {
	ctx := context.Background()
	p, err := policy.Load("studio.yaml", []byte(`
policy: studio
currencies:
  credits: {}
roles:
  owner:  {owner: true, admin: true, rank: 100, spends: true, assigns: [editor]}
  editor: {rank: 10, spends: true}
actions:
  generate: {cost: {credits: 3}}
  invite: {}
  fund: {billing: true}
operations:
  invite: invite
  fund_credits: fund
plans:
  team: {}
permissions:
  generate: [owner, editor]
  invite: [owner]
  fund: [owner]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	clock := func() time.Time { return time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC) }
	s, _ := charter.New(p, memory.New(), charter.Options{Now: clock})

	ws, _ := s.CreateWorkspace(ctx, "olga", "Studio", "")
	inv, _ := s.Invite(ctx, "olga", ws.ID, "eddie@example.com", "editor")
	_, _ = s.Accept(ctx, "eddie", "eddie@example.com", inv.Token)

	ok, _ := s.Can(ctx, "eddie", "invite", ws.ID)
	fmt.Println("eddie may invite:", ok)
	_, err = s.Spend(ctx, "eddie", "generate", ws.ID, "request-1")
	fmt.Println(err)
	_, _ = s.Fund(ctx, "olga", ws.ID, "credits", 5, time.Time{}, "top-up-1")
	r, _ := s.Spend(ctx, "eddie", "generate", ws.ID, "request-1")
	b, _ := s.Balance(ctx, "eddie", ws.ID, "credits")
	fmt.Println("spent", r.Amount, "left", b.Available)
	// Output:
	// eddie may invite: false
	// charter: insufficient credits: need 3 credits, have 0
	// spent 3 left 2
}
