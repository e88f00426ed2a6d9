package backendtest_test

import (
	"errors"
	"testing"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage"
)

// TestTeamFlow follows seed 003: a team on Starter where everyone invited is
// an admin, an upgrade to Business, invitations by link and email, a guest on
// one project, the guest's promotion, and guests disabled.
func TestTeamFlow(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		c := newClock()
		s := newService(t, "team-guests", open(t), c)
		ws := must[*workspaceT](t)(s.CreateWorkspace(ctx, "ada", "Design team", "starter"))
		id := ws.ID

		// Starter: an email invitation without a role makes an admin; Member
		// is not offered.
		inv := must[charter.Invitation](t)(s.Invite(ctx, "ada", id, "bob@example.com", ""))
		if inv.Role != "admin" || inv.Token == "" {
			t.Fatalf("starter invitation = %+v, want role admin with a token", inv)
		}
		_, err := s.Invite(ctx, "ada", id, "cy@example.com", "member")
		var fe *charter.ForbiddenError
		if !errors.As(err, &fe) || fe.Decision.Reason != policy.RoleNotOffered {
			t.Fatalf("Invite(member) on starter = %v, want RoleNotOffered", err)
		}
		// The token is bound to the invited address, single use.
		_, err = s.Accept(ctx, "mallory", "mallory@example.com", inv.Token)
		wantErr(t, err, charter.ErrForbidden)
		must[*workspaceT](t)(s.Accept(ctx, "bob", "BOB@example.com", inv.Token))
		_, err = s.Accept(ctx, "bob2", "bob@example.com", inv.Token)
		wantErr(t, err, charter.ErrInvitationUsed)

		check(t, s.ChangePlan(ctx, "bob", id, "business"))
		link := must[charter.Invitation](t)(s.CreateLink(ctx, "ada", id, 2, 0))
		if link.Role != "member" {
			t.Fatalf("business link role = %q, want member", link.Role)
		}
		must[*workspaceT](t)(s.Accept(ctx, "cy", "", link.Token))
		// Members invite but do not remove (seed 003).
		inv2 := must[charter.Invitation](t)(s.Invite(ctx, "cy", id, "dee@example.com", "member"))
		must[*workspaceT](t)(s.Accept(ctx, "dee", "dee@example.com", inv2.Token))
		wantErr(t, s.Remove(ctx, "cy", id, "dee"), charter.ErrForbidden)
		// Nobody grants a role above their own.
		_, err = s.Invite(ctx, "cy", id, "eve@example.com", "admin")
		wantErr(t, err, charter.ErrForbidden)

		// A guest on one project.
		g := must[charter.Invitation](t)(s.InviteGuest(ctx, "cy", id, "gus@example.com", "roadmap"))
		must[*workspaceT](t)(s.Accept(ctx, "gus", "gus@example.com", g.Token))
		for _, tt := range []struct {
			action, project string
			want            bool
		}{
			{"view_project", "roadmap", true},
			{"view_project", "payroll", false},
			{"browse_projects", "", false},
			{"invite_members", "", false},
		} {
			got, err := s.CanProject(ctx, "gus", tt.action, id, tt.project)
			check(t, err)
			if got != tt.want {
				t.Errorf("CanProject(gus, %q, %q) = %t, want %t", tt.action, tt.project, got, tt.want)
			}
		}
		// Disabling guests denies the guest everything.
		wantErr(t, s.SetGuestsDisabled(ctx, "cy", id, true), charter.ErrForbidden)
		check(t, s.SetGuestsDisabled(ctx, "ada", id, true))
		if ok, _ := s.CanProject(ctx, "gus", "view_project", id, "roadmap"); ok {
			t.Errorf("guest allowed with guests disabled")
		}
		_, err = s.InviteGuest(ctx, "ada", id, "hal@example.com", "roadmap")
		wantErr(t, err, charter.ErrForbidden)
		check(t, s.SetGuestsDisabled(ctx, "ada", id, false))

		// Admins promote the guest to a member, who then reaches every project.
		check(t, s.ChangeRole(ctx, "bob", id, "gus", "member"))
		if ok, _ := s.CanProject(ctx, "gus", "view_project", id, "payroll"); !ok {
			t.Errorf("promoted guest denied another project")
		}
		// Downgrading to Starter would break the members: refused with a list.
		err = s.ChangePlan(ctx, "ada", id, "starter")
		var de *charter.DowngradeError
		if !errors.As(err, &de) || len(de.Problems) != 4 {
			t.Fatalf("downgrade = %v, want 4 problems (cy, dee, gus hold member; the link's last use gives member)", err)
		}
	})
}

// TestSeats follows seed 001: admins and editors are charged the owner's rate
// when added; removing one credits the rest of their period; viewers are free.
func TestSeats(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		c := newClock()
		s := newService(t, "video-studio", open(t), c)
		ws := must[*workspaceT](t)(s.EnsurePersonal(ctx, "olga"))
		id := ws.ID
		ed := must[charter.Invitation](t)(s.Invite(ctx, "olga", id, "ed@example.com", "editor"))
		vi := must[charter.Invitation](t)(s.Invite(ctx, "olga", id, "vi@example.com", "viewer"))
		must[*workspaceT](t)(s.Accept(ctx, "ed", "ed@example.com", ed.Token))
		must[*workspaceT](t)(s.Accept(ctx, "vi", "vi@example.com", vi.Token))
		// Ten days into ed's 28-day seat period (Jan 31 -> Feb 28), remove ed.
		c.Add(10 * 24 * time.Hour)
		check(t, s.Remove(ctx, "olga", id, "ed"))

		evs := must[[]charter.Event](t)(s.Events(ctx, id, 0, 100))
		var charged, credited int64
		var types []string
		for _, e := range evs {
			types = append(types, e.Type)
			switch e.Type {
			case charter.EventSeatCharged:
				charged += e.Amount
			case charter.EventSeatCredited:
				credited += e.Amount
			}
		}
		// Seat period Jan 31 09:00 -> Feb 28 09:00 is 28 days; 18 unused.
		if want := int64(3000 * 18 / 28); charged != 3000 || credited != want {
			t.Errorf("charged %d, credited %d; want 3000 and %d (events %v)", charged, credited, want, types)
		}
		// The personal workspace became shared when olga invited someone.
		if ws := must[*workspaceT](t)(s.Workspace(ctx, "olga", id)); ws.Kind.String() != "shared" {
			t.Errorf("kind = %v, want shared", ws.Kind)
		}
		for i := 1; i < len(evs); i++ {
			if evs[i].Seq != evs[i-1].Seq+1 {
				t.Fatalf("event seqs not gapless: %d then %d", evs[i-1].Seq, evs[i].Seq)
			}
		}
	})
}

// TestOwnership follows seed 004: only the owner transfers, only to an admin;
// the previous owner becomes an admin; the owner cannot leave or be removed;
// admins cannot demote themselves.
func TestOwnership(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		c := newClock()
		s := newService(t, "credit-pool", open(t), c)
		id := must[*workspaceT](t)(s.CreateWorkspace(ctx, "own", "Studio", "")).ID
		join(t, s, "own", id, "adm", "admin")
		join(t, s, "own", id, "edi", "editor")

		wantErr(t, s.Remove(ctx, "adm", id, "own"), charter.ErrInvalid)
		wantErr(t, s.Leave(ctx, "own", id), charter.ErrInvalid)
		wantErr(t, s.ChangeRole(ctx, "adm", id, "adm", "editor"), charter.ErrInvalid)
		wantErr(t, s.ChangeRole(ctx, "adm", id, "own", "editor"), charter.ErrInvalid)
		wantErr(t, s.TransferOwnership(ctx, "adm", id, "adm"), charter.ErrForbidden)
		wantErr(t, s.TransferOwnership(ctx, "own", id, "edi"), charter.ErrInvalid)
		check(t, s.TransferOwnership(ctx, "own", id, "adm"))
		ws := must[*workspaceT](t)(s.Workspace(ctx, "own", id))
		if ws.Owner != "adm" || ws.Role("own").Name != "admin" || ws.Role("adm").Name != "owner" || ws.BillingContact != "adm" {
			t.Fatalf("after transfer: owner %s, own=%s, adm=%s, billing %s", ws.Owner, ws.Role("own"), ws.Role("adm"), ws.BillingContact)
		}
		check(t, s.Leave(ctx, "own", id))
		wantErr(t, s.DeleteWorkspace(ctx, "edi", id), charter.ErrForbidden)
		check(t, s.DeleteWorkspace(ctx, "adm", id))
		_, err := s.Workspace(ctx, "adm", id)
		wantErr(t, err, charter.ErrNotFound)
	})
}

// TestCreditPool follows seeds 004 and 000: admins fund the pool and set
// allowances; editors spend within them; reviewers cannot; a spend applies
// once per key; out of credits is its own reason.
func TestCreditPool(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		c := newClock()
		s := newService(t, "credit-pool", open(t), c)
		id := must[*workspaceT](t)(s.CreateWorkspace(ctx, "own", "Studio", "")).ID
		join(t, s, "own", id, "adm", "admin")
		join(t, s, "own", id, "edi", "editor")
		join(t, s, "own", id, "rev", "reviewer")

		_, err := s.Fund(ctx, "edi", id, "credits", 10, time.Time{}, "f0")
		wantErr(t, err, charter.ErrForbidden)
		must[charter.Receipt](t)(s.Fund(ctx, "adm", id, "credits", 3, time.Time{}, "f1"))
		// Allowances are required on this plan.
		_, err = s.Spend(ctx, "edi", "create_visuals", id, "k1")
		wantErr(t, err, charter.ErrAllowanceExceeded)
		check(t, s.SetAllowance(ctx, "adm", id, "edi", "credits", 2))
		wantErr(t, s.SetAllowance(ctx, "adm", id, "rev", "credits", 2), charter.ErrInvalid)
		r1 := must[charter.Receipt](t)(s.Spend(ctx, "edi", "create_visuals", id, "k1"))
		r1again := must[charter.Receipt](t)(s.Spend(ctx, "edi", "create_visuals", id, "k1"))
		if r1.Amount != 1 || r1again.Time != r1.Time {
			t.Fatalf("retry receipt %+v differs from first %+v", r1again, r1)
		}
		_, err = s.Spend(ctx, "adm", "create_visuals", id, "k1")
		wantErr(t, err, charter.ErrIdempotencyMismatch)
		must[charter.Receipt](t)(s.Spend(ctx, "edi", "create_visuals", id, "k2"))
		_, err = s.Spend(ctx, "edi", "create_visuals", id, "k3")
		wantErr(t, err, charter.ErrAllowanceExceeded)
		d := must[charter.Decision](t)(s.Decide(ctx, "edi", "create_visuals", id, ""))
		if d.Allowed || d.Reason != policy.OutsideAllowance {
			t.Errorf("Decide after allowance used = %v, want OutsideAllowance", d)
		}
		// Refund k2: the allowance and the pool get it back. Refunding is
		// managing credits, which editors may not do, their own spends
		// included; an admin refunds, once however often asked.
		_, err = s.Refund(ctx, "edi", id, "k2")
		wantErr(t, err, charter.ErrForbidden)
		must[charter.Receipt](t)(s.Refund(ctx, "adm", id, "k2"))
		must[charter.Receipt](t)(s.Refund(ctx, "own", id, "k2"))
		b := must[charter.Balance](t)(s.Balance(ctx, "edi", id, "credits"))
		if b.Available != 2 || b.AllowanceLeft != 1 {
			t.Errorf("balance %+v, want 2 available and 1 allowance left", b)
		}
		check(t, s.SetAllowance(ctx, "adm", id, "adm", "credits", 100))
		must[charter.Receipt](t)(s.Spend(ctx, "adm", "create_visuals", id, "a1"))
		must[charter.Receipt](t)(s.Spend(ctx, "adm", "create_visuals", id, "a2"))
		_, err = s.Spend(ctx, "adm", "create_visuals", id, "a3")
		wantErr(t, err, charter.ErrInsufficientCredits)
		d = must[charter.Decision](t)(s.Decide(ctx, "adm", "create_visuals", id, ""))
		if d.Reason != policy.InsufficientCredits {
			t.Errorf("Decide with an empty pool = %v, want InsufficientCredits", d)
		}
		// Moving the editor to Reviewer removes their allowance (seed 004).
		check(t, s.ChangeRole(ctx, "adm", id, "edi", "reviewer"))
		check(t, s.ChangeRole(ctx, "adm", id, "edi", "editor"))
		if b := must[charter.Balance](t)(s.Balance(ctx, "edi", id, "credits")); b.HasAllowance {
			t.Errorf("allowance survived a move to reviewer: %+v", b)
		}
		rows := must[[]creditsRow](t)(spendTableOf(s, "adm", id, "credits"))
		if len(rows) != 2 {
			t.Errorf("spend table %+v, want rows for adm and edi", rows)
		}
		_, err = spendTableOf(s, "edi", id, "credits")
		wantErr(t, err, charter.ErrForbidden)
	})
}

// TestCoins follows seed 002: licences bound shared workspaces and members;
// a new shared workspace starts with 5 coins; coins move only in shared
// workspaces and only by owners and admins.
func TestCoins(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		c := newClock()
		s := newService(t, "coins", open(t), c)
		personal := must[*workspaceT](t)(s.EnsurePersonal(ctx, "fay"))
		_, err := s.CreateWorkspace(ctx, "fay", "Shop", "")
		wantErr(t, err, charter.ErrLimitExceeded) // Free: personal only
		_, err = s.Earn(ctx, "fay", personal.ID, "coins", 5, "sale-0")
		wantErr(t, err, charter.ErrForbidden) // not in a personal workspace

		check(t, s.ChangePlan(ctx, "fay", personal.ID, "business"))
		shop := must[*workspaceT](t)(s.CreateWorkspace(ctx, "fay", "Shop", ""))
		_, err = s.CreateWorkspace(ctx, "fay", "Shop 2", "")
		wantErr(t, err, charter.ErrLimitExceeded) // Business: one shared
		if b := must[charter.Balance](t)(s.Balance(ctx, "fay", shop.ID, "coins")); b.Available != 5 {
			t.Errorf("new shared workspace has %d coins, want 5", b.Available)
		}
		join(t, s, "fay", shop.ID, "col", "collaborator")
		_, err = s.Invite(ctx, "fay", shop.ID, "more@example.com", "collaborator")
		wantErr(t, err, charter.ErrLimitExceeded) // Business: one additional member
		must[charter.Receipt](t)(s.Earn(ctx, "fay", shop.ID, "coins", 7, "sale-1"))
		_, err = s.Pay(ctx, "col", shop.ID, "coins", 1, "buy-0")
		wantErr(t, err, charter.ErrForbidden)
		must[charter.Receipt](t)(s.Pay(ctx, "fay", shop.ID, "coins", 12, "buy-1"))
		_, err = s.Pay(ctx, "fay", shop.ID, "coins", 1, "buy-2")
		wantErr(t, err, charter.ErrInsufficientCredits)
	})
}

// TestCrossTenant checks that an actor of workspace A, owner included, gets
// nothing through any ID of workspace B, and cannot tell B from a workspace
// that does not exist.
func TestCrossTenant(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		c := newClock()
		s := newService(t, "credit-pool", open(t), c)
		a := must[*workspaceT](t)(s.CreateWorkspace(ctx, "alice", "A", "")).ID
		b := must[*workspaceT](t)(s.CreateWorkspace(ctx, "bruno", "B", "")).ID
		join(t, s, "bruno", b, "bea", "admin")
		inv := must[charter.Invitation](t)(s.Invite(ctx, "bruno", b, "x@example.com", "editor"))
		must[charter.Receipt](t)(s.Fund(ctx, "bruno", b, "credits", 10, time.Time{}, "f"))
		// The control: alice reaches her own workspace, so the denials below
		// are about tenancy, not a broken setup.
		if ok, err := s.Can(ctx, "alice", "view_visuals", a); !ok || err != nil {
			t.Fatalf("Can(alice, view_visuals, own workspace) = %t, %v; want true", ok, err)
		}
		for _, id := range []string{b, "ws_does_not_exist"} {
			errs := map[string]error{
				"Workspace":   second(s.Workspace(ctx, "alice", id)),
				"Invite":      second(s.Invite(ctx, "alice", id, "y@example.com", "editor")),
				"Remove":      s.Remove(ctx, "alice", id, "bea"),
				"ChangeRole":  s.ChangeRole(ctx, "alice", id, "bea", "editor"),
				"Transfer":    s.TransferOwnership(ctx, "alice", id, "bea"),
				"Delete":      s.DeleteWorkspace(ctx, "alice", id),
				"ChangePlan":  s.ChangePlan(ctx, "alice", id, "team"),
				"Revoke":      s.Revoke(ctx, "alice", id, inv.ID),
				"Fund":        second(s.Fund(ctx, "alice", id, "credits", 1, time.Time{}, "x")),
				"Spend":       second(s.Spend(ctx, "alice", "create_visuals", id, "x")),
				"Balance":     second(s.Balance(ctx, "alice", id, "credits")),
				"SpendTable":  second(spendTableOf(s, "alice", id, "credits")),
				"Invitations": second(invitationsOf(s, "alice", id)),
				"Leave":       s.Leave(ctx, "alice", id),
				"Allowance":   s.SetAllowance(ctx, "alice", id, "bea", "credits", 1),
			}
			for op, err := range errs {
				if !errors.Is(err, charter.ErrNotFound) {
					t.Errorf("%s(alice, %s) = %v, want ErrNotFound", op, id, err)
					continue
				}
				if want := `charter: not found: workspace "` + id + `"`; err.Error() != want {
					t.Errorf("%s(alice, %s) error %q, want %q (nothing about B may leak)", op, id, err, want)
				}
			}
			if ok, err := s.Can(ctx, "alice", "view_visuals", id); ok || err != nil {
				t.Errorf("Can(alice, view_visuals, %s) = %t, %v; want false, nil", id, ok, err)
			}
		}
	})
}

func second[T any](_ T, err error) error { return err }

// join invites user with role and accepts.
func join(tb testing.TB, s *charter.Service, by, id, user, role string) {
	tb.Helper()
	inv, err := s.Invite(ctx, by, id, user+"@example.com", role)
	if err != nil {
		tb.Fatalf("Invite(%s as %s): %v", user, role, err)
	}
	if _, err := s.Accept(ctx, user, user+"@example.com", inv.Token); err != nil {
		tb.Fatalf("Accept(%s): %v", user, err)
	}
}
