package charter_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/policy"
)

// TestUnknownActionIsADenialEverywhere: Can and CanProject say (false, nil),
// Decide gives reason UnknownAction naming the action, and Spend a
// ForbiddenError with that decision.
func TestUnknownActionIsADenialEverywhere(t *testing.T) {
	s := newService(t, "credit-pool")
	w, err := s.CreateWorkspace(ctx, "ann", "Studio", "")
	ok(t, err)
	if got, err := s.Can(ctx, "ann", "fly", w.ID); got || err != nil {
		t.Errorf("Can(fly) = %v, %v; want false, nil", got, err)
	}
	if got, err := s.CanProject(ctx, "ann", "fly", w.ID, "p"); got || err != nil {
		t.Errorf("CanProject(fly) = %v, %v; want false, nil", got, err)
	}
	d, err := s.Decide(ctx, "ann", "fly", w.ID, "")
	if err != nil || d.Allowed || d.Reason != policy.UnknownAction || d.Detail != "fly" {
		t.Errorf("Decide(fly) = %+v, %v; want UnknownAction naming fly", d, err)
	}
	if want := `denied: unknown action "fly"`; d.String() != want {
		t.Errorf("Decide(fly) = %q, want %q", d.String(), want)
	}
	_, err = s.Spend(ctx, "ann", "fly", w.ID, "k1")
	if fd := forbidden(t, err); fd.Reason != policy.UnknownAction || fd.Detail != "fly" {
		t.Errorf("Spend(fly) decision = %+v, want UnknownAction naming fly", fd)
	}
	if !strings.Contains(err.Error(), `unknown action "fly"`) {
		t.Errorf("Spend(fly) = %q, want it to name the action", err)
	}
}

// TestOutsiderDecisionNamesActor: a non-member's denial names them, for a
// free and a costed action, and says nothing of the workspace.
func TestOutsiderDecisionNamesActor(t *testing.T) {
	s := newService(t, "credit-pool")
	w, err := s.CreateWorkspace(ctx, "ann", "Studio", "")
	ok(t, err)
	for _, action := range []string{"view_visuals", "create_visuals"} {
		for _, id := range []string{w.ID, "ws_nope"} {
			d, err := s.Decide(ctx, "eve", action, id, "")
			if err != nil || d.Allowed || d.Reason != policy.NotMember {
				t.Fatalf("Decide(eve, %s, %s) = %+v, %v; want NotMember", action, id, d, err)
			}
			if want := `denied: "eve" is not a member of the workspace`; d.String() != want {
				t.Errorf("Decide(eve, %s, %s) = %q, want %q", action, id, d.String(), want)
			}
			if d.Plan != "" {
				t.Errorf("an outsider's decision shows plan %q", d.Plan)
			}
		}
	}
}

// TestRefusalsCarryPolicyPositions: refusals decided by the policy's role,
// plan and guest rules carry the position of the rule.
func TestRefusalsCarryPolicyPositions(t *testing.T) {
	s, id := team(t)
	_, err := s.Invite(ctx, "ben", id, "cy@example.com", "admin")
	d := forbidden(t, err)
	if d.Reason != policy.RoleLacksAction || d.Pos.IsZero() {
		t.Errorf("member inviting an admin: %+v, want RoleLacksAction at a position", d)
	}
	if want := "denied: member may not assign admin (testdata/policies/team-guests.yaml:"; !strings.HasPrefix(d.String(), want) {
		t.Errorf("member inviting an admin: %q, want prefix %q", d.String(), want)
	}
	ok(t, s.SetGuestsDisabled(ctx, "ana", id, true))
	_, err = s.InviteGuest(ctx, "ana", id, "gus@example.com", "roadmap")
	if d := forbidden(t, err); d.Reason != policy.GuestsDisabled || d.Pos.IsZero() {
		t.Errorf("guest invitation with guests disabled: %+v, want GuestsDisabled at a position", d)
	}
	err = s.Remove(ctx, "ben", id, "ana")
	if err == nil {
		t.Fatal("a member removed the owner")
	}
}

// TestWrongKindNamesKind: a currency that does not exist in a workspace's
// kind is refused naming that kind.
func TestWrongKindNamesKind(t *testing.T) {
	s := newService(t, "coins")
	w, err := s.EnsurePersonal(ctx, "tia")
	ok(t, err)
	_, err = s.Balance(ctx, "tia", w.ID, "coins")
	d := forbidden(t, err)
	if d.Reason != policy.WrongKind || !strings.Contains(d.String(), "does not apply in personal workspaces") {
		t.Errorf("Balance of coins in a personal workspace: %q, want it to name the personal kind", d.String())
	}
}

// TestCanAgreesWithDecide: Can and CanProject give Decide's verdict and
// error on every path a check takes: members of each role, a guest on and
// off its project and with guests disabled, a non-member, an unknown
// workspace or action, free and costed actions, and input the gate
// refuses. Can decides free actions on a path of its own, without a
// Decision; this holds that path to Decide's answer.
func TestCanAgreesWithDecide(t *testing.T) {
	s, id := team(t) // ana is the admin, ben a member
	inv, err := s.InviteGuest(ctx, "ana", id, "gus@example.com", "roadmap")
	ok(t, err)
	_, err = s.Accept(ctx, "gus", "gus@example.com", inv.Token)
	ok(t, err)
	starter, err := s.CreateWorkspace(ctx, "ana", "Small", "starter")
	ok(t, err)
	credits := newService(t, "credit-pool")
	studio, err := credits.CreateWorkspace(ctx, "olga", "Studio", "")
	ok(t, err)

	bad := []string{"", "a\x00b", "\xff", "tab\there", strings.Repeat("x", 300), "é\u0085"}
	for _, tc := range []struct {
		name string
		s    *charter.Service
		ids  []string
	}{
		{"team-guests", s, []string{id, starter.ID}},
		{"credit-pool", credits, []string{studio.ID}},
	} {
		var actions []string
		for _, a := range tc.s.Policy().Actions() {
			actions = append(actions, a.Name)
		}
		actions = append(actions, "fly")
		actors := []string{"ana", "ben", "gus", "olga", "eve", "Ana", "élise"}
		ids := append(tc.ids, "ws_none", "ünïcode")
		projects := []string{"", "roadmap", "payroll", "日本"}
		for _, disabled := range []bool{false, true} {
			if tc.s == s {
				ok(t, s.SetGuestsDisabled(ctx, "ana", id, disabled))
			}
			for _, actor := range append(actors, bad...) {
				for _, action := range append(actions, bad...) {
					for _, wid := range append(ids, bad...) {
						for _, project := range append(projects, bad[1:]...) {
							d, derr := tc.s.Decide(ctx, actor, action, wid, project)
							var got bool
							var err error
							if project == "" {
								got, err = tc.s.Can(ctx, actor, action, wid)
							} else {
								got, err = tc.s.CanProject(ctx, actor, action, wid, project)
							}
							if got != d.Allowed || fmt.Sprint(err) != fmt.Sprint(derr) {
								t.Fatalf("%s, guests disabled %t: Can(%.20q, %.20q, %.20q, %.20q) = %t, %v; Decide says %t, %v (%v)",
									tc.name, disabled, actor, action, wid, project, got, err, d.Allowed, derr, d)
							}
						}
					}
				}
			}
		}
	}
}
