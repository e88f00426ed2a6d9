package backendtest_test

import (
	"errors"
	"maps"
	"math/big"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/policy"
)

// The model's copy of testdata/machine.yaml, written by hand.
type mRole struct {
	rank         int
	admin, seat  bool
	guest, owner bool
	assigns      []string
}

var machineRoles = map[string]mRole{
	"owner":  {rank: 100, admin: true, owner: true, assigns: []string{"admin", "member", "viewer", "guest"}},
	"admin":  {rank: 50, admin: true, seat: true, assigns: []string{"admin", "member", "viewer", "guest"}},
	"member": {rank: 20, seat: true, assigns: []string{"member", "viewer", "guest"}},
	"viewer": {rank: 10},
	"guest":  {rank: 5, guest: true},
}

type mAction struct {
	roles   []string
	project bool
	feature string
	billing bool
}

var machineActions = map[string]mAction{
	"browse":        {roles: []string{"owner", "admin", "member", "viewer"}},
	"invite":        {roles: []string{"owner", "admin", "member"}},
	"remove":        {roles: []string{"owner", "admin"}},
	"change_roles":  {roles: []string{"owner", "admin"}},
	"billing":       {roles: []string{"owner", "admin"}, billing: true},
	"settings":      {roles: []string{"owner", "admin"}, feature: "guest_control"},
	"transfer":      {roles: []string{"owner"}},
	"delete":        {roles: []string{"owner"}},
	"pro_export":    {roles: []string{"owner", "admin", "member"}, feature: "pro"},
	"read_project":  {roles: []string{"owner", "admin", "member", "viewer", "guest"}, project: true},
	"edit_project":  {roles: []string{"owner", "admin", "member", "guest"}, project: true},
	"share_project": {roles: []string{"owner", "admin", "member"}, project: true},
}

type mPlan struct {
	roles                  []string
	features               []string
	inviteRole, linkRole   string
	members, seats, guests int
	price                  int64
}

var machinePlans = map[string]mPlan{
	"basic": {roles: []string{"owner", "admin", "viewer", "guest"}, inviteRole: "admin", linkRole: "admin",
		members: 3, seats: 2, guests: 2, price: 1000},
	"team": {roles: []string{"owner", "admin", "member", "viewer", "guest"}, features: []string{"pro", "guest_control"},
		inviteRole: "member", linkRole: "member", members: 5, seats: 4, guests: 3, price: 2000},
}

type mMember struct {
	role      string
	projects  []string
	seatSince time.Time
}

type mInvite struct {
	id, token, email, role string
	inviter                string
	link                   bool
	projects               []string
	max, uses              int
	revoked                bool
	expires                time.Time
}

// model is the plain model of one shared workspace.
type model struct {
	owner, plan    string
	guestsOff      bool
	members        map[string]mMember
	invites        []*mInvite
	seatNet        int64 // seat charges minus credits
	billingContact string
}

func (m *model) can(user, action, project string) bool {
	mem, ok := m.members[user]
	if !ok {
		return false
	}
	a := machineActions[action]
	p := machinePlans[m.plan]
	r := machineRoles[mem.role]
	switch {
	case !slices.Contains(a.roles, mem.role):
		return false
	case a.feature != "" && !slices.Contains(p.features, a.feature):
		return false
	case !slices.Contains(p.roles, mem.role):
		return false
	case r.guest && m.guestsOff:
		return false
	case r.guest && (!a.project || !slices.Contains(mem.projects, project)):
		return false
	}
	return true
}

func (m *model) pendingInvite(inv *mInvite, now time.Time) bool {
	return !inv.revoked && inv.uses < inv.max && now.Before(inv.expires)
}

// counts returns members, seats and guests, with pending invitations except
// skip.
func (m *model) counts(now time.Time, skip *mInvite) (members, seats, guests int) {
	add := func(role string, n int) {
		r := machineRoles[role]
		if r.guest {
			guests += n
		} else {
			members += n
		}
		if r.seat {
			seats += n
		}
	}
	for _, mem := range m.members {
		add(mem.role, 1)
	}
	for _, inv := range m.invites {
		if inv != skip && m.pendingInvite(inv, now) {
			add(inv.role, inv.max-inv.uses)
		}
	}
	return
}

// fits reports whether adding n holders of add and removing one of drop
// keeps every limit that grows within the plan.
func (m *model) fits(now time.Time, skip *mInvite, add string, n int, drop string) bool {
	b1, b2, b3 := m.counts(now, skip)
	a1, a2, a3 := b1, b2, b3
	for _, x := range []struct {
		role string
		n    int
	}{{add, n}, {drop, -1}} {
		if x.role == "" {
			continue
		}
		r := machineRoles[x.role]
		if r.guest {
			a3 += x.n
		} else {
			a1 += x.n
		}
		if r.seat {
			a2 += x.n
		}
	}
	p := machinePlans[m.plan]
	return !(a1 > b1 && a1 > p.members || a2 > b2 && a2 > p.seats || a3 > b3 && a3 > p.guests)
}

func (m *model) mayAssign(actor, role string) bool {
	ar := machineRoles[m.members[actor].role]
	return slices.Contains(ar.assigns, role) && machineRoles[role].rank <= ar.rank &&
		slices.Contains(machinePlans[m.plan].roles, role)
}

func prorata(price int64, since, now time.Time) int64 {
	start, end := plan.Monthly.Bounds(since, now)
	q := new(big.Int).Mul(big.NewInt(price), big.NewInt(int64(end.Sub(now))))
	return q.Quo(q, big.NewInt(int64(end.Sub(start)))).Int64()
}

// seat records the charge or credit of user moving from role from to role to.
func (m *model) seat(user, from, to string, now time.Time, price int64) {
	had, has := from != "" && machineRoles[from].seat, to != "" && machineRoles[to].seat
	mem := m.members[user]
	switch {
	case had && has:
		return
	case had:
		m.seatNet -= prorata(price, mem.seatSince, now)
		mem.seatSince = time.Time{}
	case has:
		m.seatNet += price
		mem.seatSince = now
	}
	if to != "" {
		m.members[user] = mem
	}
}

var users = []string{"u0", "u1", "u2", "u3", "u4", "u5", "u6"}
var projects = []string{"p1", "p2"}

// serviceMachine drives a Service and the model side by side.
type serviceMachine struct {
	s  *charter.Service
	c  *clock
	id string
	m  *model
}

func (sm *serviceMachine) now() time.Time { return sm.c.Now().UTC().Truncate(time.Microsecond) }

// expect fails when the Service's outcome differs from the model's.
func expect(t *rapid.T, op string, err error, ok bool) {
	t.Helper()
	if ok && err != nil {
		t.Fatalf("%s: model says ok, service says %v", op, err)
	}
	if !ok && err == nil {
		t.Fatalf("%s: model says refused, service succeeded", op)
	}
	if err != nil && !isClean(err) {
		t.Fatalf("%s: unexpected kind of error %v", op, err)
	}
}

// isClean reports whether err is one of the Service's typed refusals, not a
// storage or internal failure.
func isClean(err error) bool {
	for _, e := range []error{charter.ErrForbidden, charter.ErrNotFound, charter.ErrInvalid, charter.ErrLimitExceeded,
		charter.ErrInvitationExpired, charter.ErrInvitationUsed, charter.ErrInvitationRevoked,
		charter.ErrInsufficientCredits, charter.ErrAllowanceExceeded, charter.ErrIdempotencyMismatch} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func (sm *serviceMachine) actions() map[string]func(*rapid.T) {
	user := rapid.SampledFrom(users)
	return map[string]func(*rapid.T){
		"invite": func(t *rapid.T) {
			actor, to := user.Draw(t, "actor"), user.Draw(t, "to")
			role := rapid.SampledFrom([]string{"", "admin", "member", "viewer", "guest", "owner"}).Draw(t, "role")
			now := sm.now()
			m := sm.m
			r := role
			if r == "" {
				r = machinePlans[m.plan].inviteRole
			}
			_, isMember := m.members[actor]
			ok := isMember && m.can(actor, "invite", "") && r != "guest" && r != "owner" && m.mayAssign(actor, r) && m.fits(now, nil, r, 1, "")
			inv, err := sm.s.Invite(ctx, actor, sm.id, to+"@example.com", role)
			expect(t, "Invite", err, ok)
			if err == nil {
				m.invites = append(m.invites, &mInvite{id: inv.ID, token: inv.Token, email: to + "@example.com", role: r, inviter: actor, max: 1, expires: now.Add(7 * 24 * time.Hour)})
			}
		},
		"inviteGuest": func(t *rapid.T) {
			actor, to := user.Draw(t, "actor"), user.Draw(t, "to")
			project := rapid.SampledFrom(projects).Draw(t, "project")
			now := sm.now()
			m := sm.m
			ok := m.can(actor, "share_project", project) && !m.guestsOff && m.mayAssign(actor, "guest") && m.fits(now, nil, "guest", 1, "")
			inv, err := sm.s.InviteGuest(ctx, actor, sm.id, to+"@example.com", project)
			expect(t, "InviteGuest", err, ok)
			if err == nil {
				m.invites = append(m.invites, &mInvite{id: inv.ID, token: inv.Token, email: to + "@example.com", role: "guest", inviter: actor, projects: []string{project}, max: 1, expires: now.Add(7 * 24 * time.Hour)})
			}
		},
		"link": func(t *rapid.T) {
			actor := user.Draw(t, "actor")
			uses := rapid.IntRange(1, 3).Draw(t, "uses")
			now := sm.now()
			m := sm.m
			r := machinePlans[m.plan].linkRole
			ok := m.can(actor, "invite", "") && m.mayAssign(actor, r) && m.fits(now, nil, r, uses, "")
			inv, err := sm.s.CreateLink(ctx, actor, sm.id, uses, 0)
			expect(t, "CreateLink", err, ok)
			if err == nil {
				m.invites = append(m.invites, &mInvite{id: inv.ID, token: inv.Token, role: r, inviter: actor, link: true, max: uses, expires: now.Add(7 * 24 * time.Hour)})
			}
		},
		"accept": func(t *rapid.T) {
			m := sm.m
			if len(m.invites) == 0 {
				t.Skip("no invitations")
			}
			inv := rapid.SampledFrom(m.invites).Draw(t, "invitation")
			who := user.Draw(t, "who")
			email := who + "@example.com"
			now := sm.now()
			p := machinePlans[m.plan]
			mem, isMember := m.members[who]
			role := inv.role
			if inv.link {
				role = p.linkRole // a link gives the plan's link role as of now
			}
			// The inviter must still be allowed to make the invitation.
			action, project := "invite", ""
			if len(inv.projects) > 0 {
				action, project = "share_project", inv.projects[0]
			}
			ok := !inv.revoked && inv.uses < inv.max && now.Before(inv.expires) &&
				(inv.email == "" || inv.email == email) &&
				slices.Contains(p.roles, role) && !(role == "guest" && m.guestsOff) &&
				m.can(inv.inviter, action, project) && m.mayAssign(inv.inviter, role)
			grant := false
			if ok && isMember {
				grant = role == "guest" && mem.role == "guest"
				ok = grant
			}
			if ok && !grant {
				ok = m.fits(now, inv, role, 1, "")
			}
			_, err := sm.s.Accept(ctx, who, email, inv.token)
			expect(t, "Accept", err, ok)
			if err != nil {
				return
			}
			inv.uses++
			if grant {
				mem.projects = sortedUnion(mem.projects, inv.projects)
				m.members[who] = mem
				return
			}
			m.members[who] = mMember{role: role, projects: slices.Clone(inv.projects)}
			m.seat(who, "", role, now, p.price)
		},
		"revoke": func(t *rapid.T) {
			m := sm.m
			if len(m.invites) == 0 {
				t.Skip("no invitations")
			}
			inv := rapid.SampledFrom(m.invites).Draw(t, "invitation")
			actor := user.Draw(t, "actor")
			ok := m.can(actor, "invite", "")
			err := sm.s.Revoke(ctx, actor, sm.id, inv.id)
			expect(t, "Revoke", err, ok)
			if err == nil {
				inv.revoked = true
			}
		},
		"changeRole": func(t *rapid.T) {
			actor, target := user.Draw(t, "actor"), user.Draw(t, "target")
			role := rapid.SampledFrom([]string{"admin", "member", "viewer", "guest", "owner"}).Draw(t, "role")
			m := sm.m
			now := sm.now()
			tm, isMember := m.members[target]
			ok := m.can(actor, "change_roles", "") && isMember && target != m.owner && role != "owner" && target != actor
			same := ok && tm.role == role // a no-op, even for a guest
			if ok && !same {
				ok = role != "guest" && machineRoles[tm.role].rank <= machineRoles[m.members[actor].role].rank &&
					m.mayAssign(actor, role) && m.fits(now, nil, role, 1, tm.role)
			}
			err := sm.s.ChangeRole(ctx, actor, sm.id, target, role)
			expect(t, "ChangeRole", err, ok)
			if err != nil || same {
				return
			}
			from := tm.role
			tm.role, tm.projects = role, nil
			m.members[target] = tm
			m.seat(target, from, role, now, machinePlans[m.plan].price)
			if m.billingContact == target && !machineRoles[role].admin {
				m.billingContact = m.owner
			}
		},
		"remove": func(t *rapid.T) {
			actor, target := user.Draw(t, "actor"), user.Draw(t, "target")
			m := sm.m
			tm, isMember := m.members[target]
			var ok bool
			if actor == target {
				ok = isMember && target != m.owner
			} else {
				ok = m.can(actor, "remove", "") && isMember && target != m.owner &&
					machineRoles[tm.role].rank <= machineRoles[m.members[actor].role].rank
			}
			err := sm.s.Remove(ctx, actor, sm.id, target)
			expect(t, "Remove", err, ok)
			if err == nil {
				sm.drop(target)
			}
		},
		"leave": func(t *rapid.T) {
			who := user.Draw(t, "who")
			m := sm.m
			_, isMember := m.members[who]
			ok := isMember && who != m.owner
			err := sm.s.Leave(ctx, who, sm.id)
			expect(t, "Leave", err, ok)
			if err == nil {
				sm.drop(who)
			}
		},
		"transfer": func(t *rapid.T) {
			actor, to := user.Draw(t, "actor"), user.Draw(t, "to")
			m := sm.m
			tm, isMember := m.members[to]
			ok := m.can(actor, "transfer", "") && actor == m.owner && isMember && to != m.owner && machineRoles[tm.role].admin
			err := sm.s.TransferOwnership(ctx, actor, sm.id, to)
			expect(t, "TransferOwnership", err, ok)
			if err != nil {
				return
			}
			now := sm.now()
			price := machinePlans[m.plan].price
			old := m.members[actor]
			m.members[actor], m.members[to] = mMember{role: tm.role, seatSince: old.seatSince}, mMember{role: old.role, seatSince: tm.seatSince}
			m.seat(actor, "owner", tm.role, now, price)
			m.seat(to, tm.role, "owner", now, price)
			m.owner, m.billingContact = to, to
		},
		"changePlan": func(t *rapid.T) {
			actor := user.Draw(t, "actor")
			to := rapid.SampledFrom([]string{"basic", "team"}).Draw(t, "plan")
			m := sm.m
			now := sm.now()
			p := machinePlans[to]
			ok := m.can(actor, "billing", "")
			if ok && to != m.plan {
				n, seats, guests := m.counts(now, nil)
				ok = n <= p.members && seats <= p.seats && guests <= p.guests &&
					!(m.guestsOff && !slices.Contains(p.features, "guest_control"))
				for _, mem := range m.members {
					ok = ok && slices.Contains(p.roles, mem.role)
				}
				for _, inv := range m.invites {
					ok = ok && (!m.pendingInvite(inv, now) || slices.Contains(p.roles, inv.role))
				}
			}
			err := sm.s.ChangePlan(ctx, actor, sm.id, to)
			expect(t, "ChangePlan", err, ok)
			if err != nil || to == m.plan {
				return
			}
			old := machinePlans[m.plan]
			for _, u := range slices.Sorted(maps.Keys(m.members)) {
				r := m.members[u].role
				m.seat(u, r, "", now, old.price)
				m.seat(u, "", r, now, p.price)
			}
			m.plan = to
		},
		"guests": func(t *rapid.T) {
			actor := user.Draw(t, "actor")
			off := rapid.Bool().Draw(t, "off")
			ok := sm.m.can(actor, "settings", "")
			err := sm.s.SetGuestsDisabled(ctx, actor, sm.id, off)
			expect(t, "SetGuestsDisabled", err, ok)
			if err == nil {
				sm.m.guestsOff = off
			}
		},
		"clock": func(t *rapid.T) {
			sm.c.Add(time.Duration(rapid.Int64Range(1, 10*24*60).Draw(t, "minutes")) * time.Minute)
		},
		"": func(t *rapid.T) { sm.check(t) },
	}
}

func (sm *serviceMachine) drop(user string) {
	m := sm.m
	m.seat(user, m.members[user].role, "", sm.now(), machinePlans[m.plan].price)
	delete(m.members, user)
	if m.billingContact == user {
		m.billingContact = m.owner
	}
}

func sortedUnion(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

// check compares the Service with the model and checks the invariants.
func (sm *serviceMachine) check(t *rapid.T) {
	m := sm.m
	ws, err := sm.s.Workspace(ctx, m.owner, sm.id)
	if err != nil {
		t.Fatalf("Workspace: %v", err)
	}
	if err := ws.Check(); err != nil {
		t.Fatalf("invariants: %v", err)
	}
	owners := 0
	for u, mem := range ws.Members() {
		if mem.Role.Owner {
			owners++
		}
		want, ok := m.members[u]
		if !ok || want.role != mem.Role.Name || !slices.Equal(want.projects, mem.Projects) {
			t.Fatalf("member %s is %s %v; model has %+v (present %t)", u, mem.Role.Name, mem.Projects, want, ok)
		}
	}
	if owners != 1 || ws.Owner != m.owner || ws.Len() != len(m.members) || ws.Plan.Name != m.plan ||
		ws.BillingContact != m.billingContact || ws.Settings.GuestsDisabled != m.guestsOff {
		t.Fatalf("workspace owner %s (%d owner roles), %d members, plan %s, billing %s, guests off %t; model %+v",
			ws.Owner, owners, ws.Len(), ws.Plan.Name, ws.BillingContact, ws.Settings.GuestsDisabled, m)
	}
	if !ws.Role(ws.Owner).Admin {
		t.Fatalf("no admin-flagged member: the owner holds %s", ws.Role(ws.Owner))
	}
	now := sm.now()
	p := machinePlans[m.plan]
	if n, seats, guests := m.counts(now, nil); n > p.members || seats > p.seats || guests > p.guests {
		t.Fatalf("limits of %s exceeded with pending invitations: %d members, %d seats, %d guests", m.plan, n, seats, guests)
	}
	// Seat charges minus credits, from the event feed.
	evs, err := sm.s.Events(ctx, sm.id, 0, 10000)
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
		t.Fatalf("seat charges minus credits = %d, model %d", net, m.seatNet)
	}
	// Service.Can equals the model on a sample of questions; billing only
	// to admin roles.
	for i := 0; i < 12; i++ {
		u := rapid.SampledFrom(append(users, "stranger")).Draw(t, "who")
		a := rapid.SampledFrom(slices.Sorted(maps.Keys(machineActions))).Draw(t, "action")
		pr := rapid.SampledFrom([]string{"", "p1", "p2"}).Draw(t, "project")
		got, err := sm.s.CanProject(ctx, u, a, sm.id, pr)
		if err != nil {
			t.Fatal(err)
		}
		if want := m.can(u, a, pr); got != want {
			t.Fatalf("CanProject(%q, %q, %q) = %t, model %t (member %+v)", u, a, pr, got, want, m.members[u])
		}
		if got && machineActions[a].billing && !machineRoles[m.members[u].role].admin {
			t.Fatalf("billing action %s allowed to %s", a, m.members[u].role)
		}
	}
}

// runMachine runs a rapid state machine on every backend: each run gets a
// fresh store, a Service on p with a test clock, and a workspace created by
// owner on plan; machine builds the actions to repeat.
func runMachine(t *testing.T, p *policy.Policy, owner, plan string, machine func(rt *rapid.T, s *charter.Service, c *clock, ws *workspaceT) map[string]func(*rapid.T)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			rapid.Check(t, func(rt *rapid.T) {
				c := newClock()
				store := b.open(t)
				defer store.Close()
				s, err := charter.New(p, store, charter.Options{Now: c.Now})
				if err != nil {
					rt.Fatal(err)
				}
				ws, err := s.CreateWorkspace(ctx, owner, "Machine", plan)
				if err != nil {
					rt.Fatal(err)
				}
				rt.Repeat(machine(rt, s, c, ws))
			})
		})
	}
}

// TestServiceMachine drives the Service with random sequences of every
// membership operation by random actors, on every backend, checking the
// invariants and the model after every step.
func TestServiceMachine(t *testing.T) {
	runMachine(t, loadMachinePolicy(t), "u0", "basic", func(_ *rapid.T, s *charter.Service, c *clock, ws *workspaceT) map[string]func(*rapid.T) {
		sm := &serviceMachine{s: s, c: c, id: ws.ID, m: &model{
			owner: "u0", plan: "basic", billingContact: "u0",
			members: map[string]mMember{"u0": {role: "owner"}},
		}}
		return sm.actions()
	})
}

func loadMachinePolicy(tb testing.TB) *policy.Policy {
	tb.Helper()
	p, err := policy.LoadFile("testdata/machine.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return p
}
