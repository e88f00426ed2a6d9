// Command quickstart tells the story of Photoroom's Spaces ("How do Spaces work?") with
// charter: Olivia is a member of a Free Space and of a Pro Space; the same
// person may use Pro features in one and not in the other, and each Space has
// its own pool of AI credits.
//
//	go run ./examples/quickstart                          # in memory (the default)
//	go run ./examples/quickstart -store sqlite:/tmp/charter.db
//	go run ./examples/quickstart -store postgres://localhost/charter
//
// The store can also be given as CHARTER_STORE.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/internal/storeurl"
	"github.com/charterhq/charter/policy"
)

// spacesPolicy is the policy the example runs on, embedded so that the example runs
// from any directory. -policy names another file.
//
//go:embed spaces.yaml
var spacesPolicy []byte

func main() {
	log.SetFlags(0)
	policyFile := flag.String("policy", "", "a policy file to use instead of the embedded spaces.yaml")
	storeURL := flag.String("store", os.Getenv("CHARTER_STORE"), `where to keep state: "" (memory), "sqlite:PATH" or a postgres:// URL`)
	flag.Parse()
	ctx := context.Background()
	if err := run(ctx, *policyFile, *storeURL); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, policyFile, storeURL string) error {
	p, err := loadPolicy(policyFile)
	if err != nil {
		return err
	}
	store, err := storeurl.Open(ctx, storeURL)
	if err != nil {
		return err
	}
	defer store.Close()
	s, err := charter.New(p, store, charter.Options{})
	if err != nil {
		return err
	}
	run := time.Now().UnixNano() // fresh user IDs, so a durable store can be reused

	craig, pat, olivia := fmt.Sprint("craig-", run), fmt.Sprint("pat-", run), fmt.Sprint("olivia-", run)

	// Space A: Craig's personal Space, on the Free plan. Inviting Olivia turns
	// it into a shared Space.
	spaceA, err := s.EnsurePersonal(ctx, craig)
	if err != nil {
		return err
	}
	if err := invite(ctx, s, craig, spaceA.ID, olivia); err != nil {
		return err
	}
	// Space B: a team Space Pat created on the Pro plan.
	spaceB, err := s.CreateWorkspace(ctx, pat, "Space B", "pro")
	if err != nil {
		return err
	}
	if err := invite(ctx, s, pat, spaceB.ID, olivia); err != nil {
		return err
	}

	fmt.Println("Olivia is a member of two Spaces:")
	ms, _, err := s.Workspaces(ctx, olivia, charter.Page{})
	if err != nil {
		return err
	}
	names := map[string]string{spaceA.ID: "Space A", spaceB.ID: "Space B"}
	for _, m := range ms {
		fmt.Printf("  %s: a %s Space on the %s plan, where she is %s\n", names[m.Workspace], m.Kind, m.Plan, m.Role)
	}

	for _, id := range []string{spaceA.ID, spaceB.ID} {
		fmt.Printf("\nIn %s:\n", names[id])
		for _, action := range []string{"use_free_features", "use_pro_features", "use_ai_features", "upgrade_space"} {
			d, err := s.Decide(ctx, olivia, action, id, "")
			if err != nil {
				return err
			}
			verdict := "yes"
			if !d.Allowed {
				verdict = "no "
			}
			fmt.Printf("  %-18s %s  %v\n", action, verdict, d)
		}
		b, err := s.Balance(ctx, olivia, id, "ai_credits")
		if err != nil {
			return err
		}
		fmt.Printf("  AI credits: %d, shared by the team, reset on %s\n", b.Available, b.ResetsAt.Format(time.DateOnly))
	}

	// Olivia uses AI features in Space A until its credits run out.
	fmt.Println("\nOlivia uses AI features in Space A:")
	uses := 0
	for ; ; uses++ {
		_, err := s.Spend(ctx, olivia, "use_ai_features", spaceA.ID, fmt.Sprint("edit-", uses))
		if errors.Is(err, charter.ErrInsufficientCredits) {
			break
		}
		if err != nil {
			return err
		}
	}
	d, err := s.Decide(ctx, olivia, "use_ai_features", spaceA.ID, "")
	if err != nil {
		return err
	}
	fmt.Printf("  after %d uses: %v\n", uses, d)
	fmt.Println("  Olivia cannot upgrade Space A herself:")
	if err := s.ChangePlan(ctx, olivia, spaceA.ID, "pro"); err != nil {
		fmt.Printf("    %v\n", err)
	}
	if err := s.ChangePlan(ctx, craig, spaceA.ID, "pro"); err != nil {
		return err
	}
	d, err = s.Decide(ctx, olivia, "use_pro_features", spaceA.ID, "")
	if err != nil {
		return err
	}
	fmt.Printf("  Craig upgrades Space A to Pro; Pro features for Olivia: %v\n", d)
	b, err := s.Balance(ctx, olivia, spaceA.ID, "ai_credits")
	if err != nil {
		return err
	}
	fmt.Printf("  AI credits in Space A now: %d (Pro's grant less Free's, until %s)\n", b.Available, b.ResetsAt.Format(time.DateOnly))
	return nil
}

// invite has by invite user by email, and user accept.
func invite(ctx context.Context, s *charter.Service, by, id, user string) error {
	inv, err := s.Invite(ctx, by, id, user+"@example.com", "member")
	if err != nil {
		return err
	}
	_, err = s.Accept(ctx, user, user+"@example.com", inv.Token)
	return err
}

// loadPolicy loads the policy file named, or the embedded spaces.yaml when the name
// is "".
func loadPolicy(file string) (*policy.Policy, error) {
	if file == "" {
		return policy.Load("spaces.yaml", spacesPolicy)
	}
	return policy.LoadFile(file)
}
