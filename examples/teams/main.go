// Command teams walks through "Roles in team workspaces" with
// charter: a team on the Starter plan, where everyone invited is an admin; an
// upgrade to Business, where the Member role exists; invitations by link and
// by email; a guest on one project, then promoted; and guests disabled.
//
//	go run ./examples/teams
package main

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"log"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage/memory"
)

// teamsPolicy is the policy the example runs on, embedded so that the example runs
// from any directory. -policy names another file.
//
//go:embed team-guests.yaml
var teamsPolicy []byte

func main() {
	log.SetFlags(0)
	policyFile := flag.String("policy", "", "a policy file to use instead of the embedded team-guests.yaml")
	flag.Parse()
	if err := run(context.Background(), *policyFile); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, policyFile string) error {
	p, err := loadPolicy(policyFile)
	if err != nil {
		return err
	}
	s, err := charter.New(p, memory.New(), charter.Options{})
	if err != nil {
		return err
	}
	step := func(format string, args ...any) { fmt.Printf("\n== "+format+"\n", args...) }
	show := func(what string, err error) {
		if err != nil {
			fmt.Printf("   %-44s refused: %v\n", what, err)
		} else {
			fmt.Printf("   %-44s ok\n", what)
		}
	}
	decide := func(user, action, project string, id string) {
		d, err := s.Decide(ctx, user, action, id, project)
		if err != nil {
			log.Fatal(err)
		}
		where := ""
		if project != "" {
			where = " on " + project
		}
		fmt.Printf("   %-44s %v\n", user+" "+action+where+"?", d)
	}

	step("Ana creates a team workspace on the Starter plan")
	ws, err := s.CreateWorkspace(ctx, "ana", "Launch team", "starter")
	if err != nil {
		return err
	}
	id := ws.ID

	step("On Starter, everyone invited is an admin; the Member role does not exist")
	inv, err := s.Invite(ctx, "ana", id, "ben@example.com", "")
	show("invite ben@example.com (default role)", err)
	fmt.Printf("   the invitation gives role %q; its token goes to Ben by mail\n", inv.Role)
	_, err = s.Accept(ctx, "ben", "ben@example.com", inv.Token)
	show("ben accepts", err)
	_, err = s.Invite(ctx, "ana", id, "cleo@example.com", "member")
	show("invite cleo@example.com as member", err)

	step("Ben upgrades to Business: links now give the Member role")
	show("ben changes the plan to business", s.ChangePlan(ctx, "ben", id, "business"))
	link, err := s.CreateLink(ctx, "ana", id, 5, 0)
	show("ana creates an invite link (5 uses)", err)
	fmt.Printf("   the link gives role %q\n", link.Role)
	_, err = s.Accept(ctx, "cleo", "", link.Token)
	show("cleo joins through the link", err)

	step("Members invite, but do not remove")
	inv, err = s.Invite(ctx, "cleo", id, "dan@example.com", "member")
	show("cleo invites dan@example.com as member", err)
	_, err = s.Accept(ctx, "dan", "dan@example.com", inv.Token)
	show("dan accepts", err)
	show("cleo removes dan", s.Remove(ctx, "cleo", id, "dan"))
	_, err = s.Invite(ctx, "cleo", id, "eve@example.com", "admin")
	show("cleo invites eve@example.com as admin", err)

	step("Gus is invited to one project and becomes a guest")
	inv, err = s.InviteGuest(ctx, "cleo", id, "gus@example.com", "roadmap")
	show("cleo shares project roadmap with gus", err)
	_, err = s.Accept(ctx, "gus", "gus@example.com", inv.Token)
	show("gus accepts", err)
	decide("gus", "view_project", "roadmap", id)
	decide("gus", "view_project", "budget", id)
	decide("gus", "browse_projects", "", id)
	decide("gus", "invite_members", "", id)

	step("Ana disables guests (a Business setting)")
	show("cleo disables guests", s.SetGuestsDisabled(ctx, "cleo", id, true))
	show("ana disables guests", s.SetGuestsDisabled(ctx, "ana", id, true))
	decide("gus", "view_project", "roadmap", id)
	_, err = s.InviteGuest(ctx, "ana", id, "hal@example.com", "roadmap")
	show("ana shares roadmap with hal", err)
	show("ana enables guests again", s.SetGuestsDisabled(ctx, "ana", id, false))

	step("Admins promote the guest to a member")
	show("cleo promotes gus to member", s.ChangeRole(ctx, "cleo", id, "gus", "member"))
	show("ben promotes gus to member", s.ChangeRole(ctx, "ben", id, "gus", "member"))
	decide("gus", "view_project", "budget", id)
	decide("gus", "browse_projects", "", id)

	step("Downgrading to Starter would break the team")
	show("ana changes the plan to starter", s.ChangePlan(ctx, "ana", id, "starter"))

	step("Everything above is in the event log, in order")
	evs, err := s.Events(ctx, id, 0, 100)
	if err != nil {
		return err
	}
	for _, e := range evs {
		fmt.Printf("   %3d %-26s by %-4s %s\n", e.Seq, e.Type, e.Actor, e.Subject)
	}
	return nil
}

// loadPolicy loads the policy file named, or the embedded team-guests.yaml when the name
// is "".
func loadPolicy(file string) (*policy.Policy, error) {
	if file == "" {
		return policy.Load("team-guests.yaml", teamsPolicy)
	}
	return policy.LoadFile(file)
}
