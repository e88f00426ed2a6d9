package backendtest_test

import (
	"maps"
	"slices"
	"strings"
	"time"

	"pgregory.net/rapid"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/workspace"
)

// invitation checks the Service's answer to an invitation of any kind
// against the model's prediction want, records rec once made, sharing m if
// it was personal, and returns it (nil when refused).
func (sm *serviceMachine) invitation(t *rapid.T, m *model, name string, want error, inv charter.Invitation, err error, rec mInvite) *mInvite {
	t.Helper()
	expectErr(t, name, err, want)
	if err != nil {
		return nil
	}
	m.share()
	rec.id, rec.token, rec.expires = inv.ID, inv.Token, sm.now().Add(7*24*time.Hour)
	m.invites = append(m.invites, &rec)
	return &rec
}

// accept has who accept inv, an invitation to m, and checks the Service's
// answer against the model's.
func (sm *serviceMachine) accept(t *rapid.T, m *model, inv *mInvite, who string) {
	pol := sm.w.pol
	email := who + "@example.com"
	now := sm.now()
	p := pol.plans[m.plan]
	mem, isMember := m.members[who]
	role := inv.role
	if inv.link {
		role = p.linkRole // a link gives the plan's link role as of now
	}
	// The inviter must still be allowed to make the invitation.
	op, project := "invite", ""
	if len(inv.projects) > 0 {
		op, project = "invite_guest", inv.projects[0]
	}
	guest := pol.roles[role].guest
	grant := isMember && guest && pol.roles[mem.role].guest
	var want error
	switch {
	case !inv.link && inv.email != email: // told before anything of the invitation
		want = charter.ErrForbidden
	case inv.revoked:
		want = charter.ErrInvitationRevoked
	case inv.uses >= inv.max:
		want = charter.ErrInvitationUsed
	case !now.Before(inv.expires):
		want = charter.ErrInvitationExpired
	case !slices.Contains(p.roles, role) || guest && m.guestsOff:
		want = charter.ErrForbidden
	case !m.canOp(inv.inviter, op, project) || !m.mayAssign(inv.inviter, role):
		want = charter.ErrInvitationRevoked
	case isMember && !grant:
		want = charter.ErrInvalid
	case !isMember && !m.fits(now, inv, role, 1, ""):
		want = charter.ErrLimitExceeded
	}
	_, err := sm.s.Accept(ctx, who, email, inv.token)
	expectErr(t, "Accept", err, want)
	if err != nil {
		return
	}
	inv.uses++
	if grant {
		mem.projects = sortedUnion(mem.projects, inv.projects)
		m.members[who] = mem
		return
	}
	m.members[who] = mMember{role: role, projects: slices.Clone(inv.projects), joined: now}
	m.seat(who, "", role, now, p.price)
}

// invite has actor invite to into m with role (the plan's invitation role
// when ""), checks the Service's answer against the model's and returns
// the invitation made, or nil.
func (sm *serviceMachine) invite(t *rapid.T, m *model, actor, to, role string) *mInvite {
	pol := sm.w.pol
	r := role
	if r == "" {
		r = pol.plans[m.plan].inviteRole
	}
	_, known := pol.roles[r]
	var want error
	switch {
	case m.gate(actor, "invite", "") != nil:
		want = m.gate(actor, "invite", "")
	case !known || pol.roles[r].guest: // no invitation role, or a guest's
		want = charter.ErrInvalid
	case !m.mayAssign(actor, r):
		want = charter.ErrForbidden
	default:
		want = sm.sharing(m, r, 1)
	}
	inv, err := sm.s.Invite(ctx, actor, m.id, to+"@example.com", role)
	return sm.invitation(t, m, "Invite", want, inv, err, mInvite{email: to + "@example.com", role: r, inviter: actor, max: 1})
}

// actions returns the machine's actions: creating workspaces (shared, and
// personal ones), inviting, accepting, revoking, changing roles, removing,
// leaving, transferring ownership, changing plans and settings, and moving
// the clock, by random actors, mostly members of the workspace they act in;
// "" checks the model.
func (sm *serviceMachine) actions() map[string]func(*rapid.T) {
	user := rapid.SampledFrom(users)
	pol := sm.w.pol
	roles := pol.roleNames()
	if !slices.Contains(roles, "owner") {
		roles = append(roles, "owner") // unknown to the policy
	}
	inviteRoles := append([]string{""}, roles...)
	return map[string]func(*rapid.T){
		"create": func(t *rapid.T) {
			actor := user.Draw(t, "actor")
			if rapid.Bool().Draw(t, "personal") {
				if sm.w.personalOf(actor) == nil && len(sm.w.ws) >= maxWorkspaces {
					t.Skip("enough workspaces")
				}
				ws, err := sm.s.EnsurePersonal(ctx, actor)
				expectErr(t, "EnsurePersonal", err, nil)
				sm.ensuredPersonal(t, actor)
				if want := sm.w.personalOf(actor).id; ws.ID != want {
					t.Fatalf("EnsurePersonal(%s) = %s, model %s", actor, ws.ID, want)
				}
				return
			}
			if len(sm.w.ws) >= maxWorkspaces {
				t.Skip("enough workspaces")
			}
			planName := rapid.SampledFrom(append([]string{""}, slices.Sorted(maps.Keys(pol.plans))...)).Draw(t, "plan")
			ws, err := sm.s.CreateWorkspace(ctx, actor, "Machine", planName)
			var want error
			if over(sm.w.ownedShared(actor)+1, sm.w.licence(actor)) {
				want = charter.ErrLimitExceeded
			}
			expectErr(t, "CreateWorkspace", err, want)
			if err == nil {
				sm.created(t, actor, ws, planName)
			}
		},
		"invite": func(t *rapid.T) {
			m := sm.pick(t)
			sm.invite(t, m, sm.person(t, m, "actor"), user.Draw(t, "to"), rapid.SampledFrom(inviteRoles).Draw(t, "role"))
		},
		"join": func(t *rapid.T) {
			// An invitation accepted at once by the invited.
			m := sm.pick(t)
			to := user.Draw(t, "to")
			if inv := sm.invite(t, m, sm.person(t, m, "actor"), to, rapid.SampledFrom(inviteRoles).Draw(t, "role")); inv != nil {
				sm.accept(t, m, inv, to)
			}
		},
		"inviteGuest": func(t *rapid.T) {
			m := sm.pick(t)
			actor, to := sm.person(t, m, "actor"), user.Draw(t, "to")
			project := rapid.SampledFrom(projects).Draw(t, "project")
			g := pol.guestRole(m.plan)
			var want error
			switch {
			case m.gate(actor, "invite_guest", project) != nil:
				want = m.gate(actor, "invite_guest", project)
			case g == "" || m.guestsOff || !m.mayAssign(actor, g):
				want = charter.ErrForbidden
			default:
				want = sm.sharing(m, g, 1)
			}
			inv, err := sm.s.InviteGuest(ctx, actor, m.id, to+"@example.com", project)
			sm.invitation(t, m, "InviteGuest", want, inv, err, mInvite{email: to + "@example.com", role: g, inviter: actor, projects: []string{project}, max: 1})
		},
		"link": func(t *rapid.T) {
			m := sm.pick(t)
			actor := sm.person(t, m, "actor")
			uses := rapid.IntRange(1, 3).Draw(t, "uses")
			r := pol.plans[m.plan].linkRole
			var want error
			switch {
			case m.gate(actor, "invite", "") != nil:
				want = m.gate(actor, "invite", "")
			case r == "" || !m.mayAssign(actor, r): // a plan without links
				want = charter.ErrForbidden
			default:
				want = sm.sharing(m, r, uses)
			}
			inv, err := sm.s.CreateLink(ctx, actor, m.id, uses, 0)
			sm.invitation(t, m, "CreateLink", want, inv, err, mInvite{role: r, inviter: actor, link: true, max: uses})
		},
		"accept": func(t *rapid.T) {
			var all []*mInvite
			byInvite := map[*mInvite]*model{}
			for _, m := range sm.w.ws {
				for _, inv := range m.invites {
					all = append(all, inv)
					byInvite[inv] = m
				}
			}
			if len(all) == 0 {
				t.Skip("no invitations")
			}
			inv := rapid.SampledFrom(all).Draw(t, "invitation")
			who := user.Draw(t, "who")
			if inv.email != "" && rapid.IntRange(0, 3).Draw(t, "invited") > 0 {
				who = strings.TrimSuffix(inv.email, "@example.com")
			}
			sm.accept(t, byInvite[inv], inv, who)
		},
		"revoke": func(t *rapid.T) {
			m := sm.pick(t)
			if len(m.invites) == 0 {
				t.Skip("no invitations")
			}
			inv := rapid.SampledFrom(m.invites).Draw(t, "invitation")
			actor := sm.person(t, m, "actor")
			err := sm.s.Revoke(ctx, actor, m.id, inv.id)
			expectErr(t, "Revoke", err, m.gate(actor, "invite", ""))
			if err == nil {
				inv.revoked = true
			}
		},
		"changeRole": func(t *rapid.T) {
			m := sm.pick(t)
			actor := sm.person(t, m, "actor")
			target := sm.other(t, m, actor, "target")
			role := rapid.SampledFrom(roles).Draw(t, "role")
			now := sm.now()
			tm, isMember := m.members[target]
			r, known := pol.roles[role]
			var want error
			same := false
			switch {
			case !known:
				want = charter.ErrInvalid
			case m.gate(actor, "change_role", "") != nil:
				want = m.gate(actor, "change_role", "")
			case !isMember:
				want = charter.ErrNotFound
			case target == m.wsOwner():
				want = workspace.ErrOwner
			case r.owner:
				want = workspace.ErrOwnerRole
			case target == actor:
				want = workspace.ErrOwnRole
			case tm.role == role:
				same = true // a no-op, even for a guest
			case r.guest:
				want = workspace.ErrToGuest
			case m.lastAdmin(target, role):
				want = workspace.ErrLastAdmin
			case !m.mayManage(actor, tm.role) || !m.mayAssign(actor, role):
				want = charter.ErrForbidden
			case !m.fits(now, nil, role, 1, tm.role):
				want = charter.ErrLimitExceeded
			}
			err := sm.s.ChangeRole(ctx, actor, m.id, target, role)
			expectErr(t, "ChangeRole", err, want)
			if err != nil || same {
				return
			}
			from := tm.role
			tm.role, tm.projects = role, nil
			m.members[target] = tm
			m.seat(target, from, role, now, pol.plans[m.plan].price)
			if m.billingContact == target && !r.admin {
				m.billingContact = m.owner
			}
		},
		"remove": func(t *rapid.T) {
			m := sm.pick(t)
			actor := sm.person(t, m, "actor")
			target := sm.other(t, m, actor, "target")
			tm, isMember := m.members[target]
			var want error
			switch {
			case actor == target:
				want = m.leaving(target)
			case m.gate(actor, "remove", "") != nil:
				want = m.gate(actor, "remove", "")
			case !isMember:
				want = charter.ErrNotFound
			case m.owner != "" && target == m.owner:
				want = workspace.ErrOwner
			case m.lastAdmin(target, ""):
				want = workspace.ErrLastAdmin
			case !m.mayManage(actor, tm.role):
				want = charter.ErrForbidden
			}
			err := sm.s.Remove(ctx, actor, m.id, target)
			expectErr(t, "Remove", err, want)
			if err == nil {
				m.drop(target, sm.now())
			}
		},
		"leave": func(t *rapid.T) {
			m := sm.pick(t)
			who := sm.person(t, m, "who")
			err := sm.s.Leave(ctx, who, m.id)
			expectErr(t, "Leave", err, m.leaving(who))
			if err == nil {
				m.drop(who, sm.now())
			}
		},
		"transfer": func(t *rapid.T) {
			m := sm.pick(t)
			actor := sm.person(t, m, "actor")
			to := sm.other(t, m, actor, "to")
			var admins []string
			for _, u := range slices.Sorted(maps.Keys(m.members)) {
				if u != actor && m.role(u).admin {
					admins = append(admins, u)
				}
			}
			if len(admins) > 0 && rapid.Bool().Draw(t, "to an admin") {
				to = rapid.SampledFrom(admins).Draw(t, "admin")
			}
			tm, isMember := m.members[to]
			var want error
			switch {
			case m.gate(actor, "transfer_ownership", "") != nil:
				want = m.gate(actor, "transfer_ownership", "")
			case actor != m.wsOwner():
				want = charter.ErrForbidden
			case !m.personal && isMember && over(sm.w.ownedShared(to)+1, sm.w.licence(to)):
				want = charter.ErrLimitExceeded
			case !isMember:
				want = charter.ErrNotFound
			case m.owner == "" || to == m.owner || !pol.roles[tm.role].admin:
				want = charter.ErrInvalid
			}
			err := sm.s.TransferOwnership(ctx, actor, m.id, to)
			expectErr(t, "TransferOwnership", err, want)
			if err != nil {
				return
			}
			if !m.personal {
				// The recipient's licence is their personal workspace,
				// made if they had none.
				sm.ensuredPersonal(t, to)
			}
			now := sm.now()
			price := pol.plans[m.plan].price
			old := m.members[actor]
			m.members[actor] = mMember{role: tm.role, joined: old.joined, seatSince: old.seatSince}
			m.members[to] = mMember{role: old.role, joined: tm.joined, seatSince: tm.seatSince}
			m.seat(actor, "owner", tm.role, now, price)
			m.seat(to, tm.role, "owner", now, price)
			m.owner, m.billingContact = to, to
		},
		"changePlan": func(t *rapid.T) {
			m := sm.pick(t)
			actor := sm.person(t, m, "actor")
			to := rapid.SampledFrom(slices.Sorted(maps.Keys(pol.plans))).Draw(t, "plan")
			now := sm.now()
			p := pol.plans[to]
			want := m.gate(actor, "change_plan", "")
			if want == nil && to != m.plan {
				n, seats, guests := m.counts(now, nil)
				ok := !over(n, p.members) && !over(seats, p.seats) && !over(guests, p.guests) &&
					!(m.guestsOff && !slices.Contains(p.features, pol.actions[pol.ops["update_settings"]].feature)) &&
					!(m.personal && over(sm.w.ownedShared(m.home), p.shared))
				for _, mem := range m.members {
					ok = ok && slices.Contains(p.roles, mem.role)
				}
				for _, inv := range m.invites {
					ok = ok && (!m.pendingInvite(inv, now) || slices.Contains(p.roles, inv.role))
				}
				if !ok {
					want = charter.ErrLimitExceeded // a DowngradeError
				}
			}
			err := sm.s.ChangePlan(ctx, actor, m.id, to)
			expectErr(t, "ChangePlan", err, want)
			if err != nil || to == m.plan {
				return
			}
			old := pol.plans[m.plan]
			for _, u := range slices.Sorted(maps.Keys(m.members)) {
				r := m.members[u].role
				m.seat(u, r, "", now, old.price)
				m.seat(u, "", r, now, p.price)
			}
			m.plan = to
		},
		"guests": func(t *rapid.T) {
			m := sm.pick(t)
			actor := sm.person(t, m, "actor")
			off := rapid.Bool().Draw(t, "off")
			err := sm.s.SetGuestsDisabled(ctx, actor, m.id, off)
			expectErr(t, "SetGuestsDisabled", err, m.gate(actor, "update_settings", ""))
			if err == nil {
				m.guestsOff = off
			}
		},
		"clock": func(t *rapid.T) {
			sm.c.Add(time.Duration(rapid.Int64Range(1, 10*24*60).Draw(t, "minutes")) * time.Minute)
		},
		"": func(t *rapid.T) { sm.check(t) },
	}
}

// person draws a member of m, or one time in eight anyone.
func (sm *serviceMachine) person(t *rapid.T, m *model, label string) string {
	if rapid.IntRange(0, 7).Draw(t, label+" outside") == 0 {
		return rapid.SampledFrom(users).Draw(t, label)
	}
	return rapid.SampledFrom(slices.Sorted(maps.Keys(m.members))).Draw(t, label)
}

// other draws a member of m other than actor, or one time in eight anyone
// (actor too).
func (sm *serviceMachine) other(t *rapid.T, m *model, actor, label string) string {
	others := slices.DeleteFunc(slices.Sorted(maps.Keys(m.members)), func(u string) bool { return u == actor })
	if len(others) == 0 || rapid.IntRange(0, 7).Draw(t, label+" outside") == 0 {
		return rapid.SampledFrom(users).Draw(t, label)
	}
	return rapid.SampledFrom(others).Draw(t, label)
}

// leaving is the model's prediction for who leaving m: only a member may;
// the owner may not; without an owner, the last admin may not.
func (m *model) leaving(who string) error {
	switch {
	case m.members[who].role == "":
		return charter.ErrNotFound
	case m.owner != "" && who == m.owner:
		return workspace.ErrOwner
	case m.lastAdmin(who, ""):
		return workspace.ErrLastAdmin
	}
	return nil
}

// check compares every workspace with the model and checks the invariants.
func (sm *serviceMachine) check(t *rapid.T) {
	for _, m := range sm.w.ws {
		sm.checkOne(t, m)
	}
	sm.sampleCan(t)
}

// checkOne compares the Service's workspace m with the model and checks
// its invariants: with an owner, exactly one member holds the owner role
// and is the Owner; without one, nobody holds it, an admin remains and the
// billing contact is the first admin.
func (sm *serviceMachine) checkOne(t *rapid.T, m *model) {
	pol := sm.w.pol
	anyone := slices.Sorted(maps.Keys(m.members))[0]
	ws, err := sm.s.Workspace(ctx, anyone, m.id)
	if err != nil {
		t.Fatalf("Workspace %s: %v", m.id, err)
	}
	if err := ws.Check(); err != nil {
		t.Fatalf("invariants: %v", err)
	}
	owners, admins := ownersAndAdmins(ws)
	for u, mem := range ws.Members() {
		want, ok := m.members[u]
		if !ok || want.role != mem.Role.Name || !slices.Equal(want.projects, mem.Projects) || !want.joined.Equal(mem.Joined) {
			t.Fatalf("%s: member %s is %s %v since %v; model has %+v (present %t)", m.id, u, mem.Role.Name, mem.Projects, mem.Joined, want, ok)
		}
	}
	switch {
	case m.owner != "" && (owners != 1 || !ws.Owned() || !ws.Role(ws.Owner).Owner || !ws.Role(ws.Owner).Admin):
		t.Fatalf("%s: %d owner roles, Owner %s holding %s; want exactly one owner, %s", m.id, owners, ws.Owner, ws.Role(ws.Owner), m.owner)
	case m.owner == "" && (owners != 0 || ws.Owned() || admins == 0):
		t.Fatalf("%s: %d owner roles, %d admins, owned %t; want no owner and an admin", m.id, owners, admins, ws.Owned())
	case m.owner == "" && pol.ownership == "every", m.owner != "" && pol.ownership == "none",
		m.owner != "" && pol.ownership == "personal" && m.owner != m.home:
		t.Fatalf("%s: model's owner %q under ownership %s", m.id, m.owner, pol.ownership)
	}
	if ws.Owner != m.wsOwner() || (ws.Kind == workspace.Personal) != m.personal || ws.Len() != len(m.members) || ws.Plan.Name != m.plan ||
		ws.BillingContact != m.billing() || ws.Settings.GuestsDisabled != m.guestsOff {
		t.Fatalf("%s: %s, Owner %q, %d members, plan %s, billing %s, guests off %t; model %+v, billing %s",
			m.id, ws.Kind, ws.Owner, ws.Len(), ws.Plan.Name, ws.BillingContact, ws.Settings.GuestsDisabled, m, m.billing())
	}
	now := sm.now()
	p := pol.plans[m.plan]
	if n, seats, guests := m.counts(now, nil); over(n, p.members) || over(seats, p.seats) || over(guests, p.guests) {
		t.Fatalf("%s: limits of %s exceeded with pending invitations: %d members, %d seats, %d guests", m.id, m.plan, n, seats, guests)
	}
	// Seat charges minus credits, from the event feed.
	evs, err := sm.s.Events(ctx, m.id, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var net int64
	for i, e := range evs {
		if i > 0 && e.Seq <= evs[i-1].Seq {
			t.Fatalf("events out of order: %d after %d", e.Seq, evs[i-1].Seq)
		}
		switch e.Type {
		case charter.EventSeatCharged:
			net += e.Amount
		case charter.EventSeatCredited:
			net -= e.Amount
		}
	}
	if net != m.seatNet {
		t.Fatalf("%s: seat charges minus credits = %d, model %d", m.id, net, m.seatNet)
	}
}

// sampleCan checks that Service.CanProject equals the model on a sample of
// questions in drawn workspaces (credits aside), and that billing actions go
// only to admin roles.
func (sm *serviceMachine) sampleCan(t *rapid.T) {
	pol := sm.w.pol
	var actions []string
	for _, a := range slices.Sorted(maps.Keys(pol.actions)) {
		if !pol.actions[a].cost {
			actions = append(actions, a)
		}
	}
	for range 8 {
		m := sm.pick(t)
		u := rapid.SampledFrom(append(users, "stranger")).Draw(t, "who")
		a := rapid.SampledFrom(actions).Draw(t, "action")
		pr := rapid.SampledFrom([]string{"", "p1", "p2"}).Draw(t, "project")
		got, err := sm.s.CanProject(ctx, u, a, m.id, pr)
		if err != nil {
			t.Fatal(err)
		}
		if want := m.can(u, a, pr); got != want {
			t.Fatalf("%s: CanProject(%q, %q, %q) = %t, model %t (member %+v)", m.id, u, a, pr, got, want, m.members[u])
		}
		if got && pol.actions[a].billing && !m.role(u).admin {
			t.Fatalf("billing action %s allowed to %s", a, m.members[u].role)
		}
	}
}
