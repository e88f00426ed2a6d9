package backendtest_test

import (
	"errors"
	"math/big"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/workspace"
)

type mMember struct {
	role      string
	projects  []string
	joined    time.Time
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

// model is the plain model of one workspace.
type model struct {
	pol      *mPolicy
	id       string
	personal bool   // still its home user's personal workspace
	home     string // the user it was created by
	// owner is the member holding the owner role; "" in a workspace
	// without one, which keeps at least one admin instead.
	owner, plan    string
	guestsOff      bool
	members        map[string]mMember
	invites        []*mInvite
	seatNet        int64  // seat charges minus credits
	billingContact string // with an owner; without one, firstAdmin
}

// newModel is a workspace just created by creator: its owner where the
// policy puts the owner in such a workspace, else holding the creator role.
func newModel(pol *mPolicy, id, creator, plan string, personal bool, now time.Time) *model {
	r := pol.creatorRole(personal)
	m := &model{pol: pol, id: id, personal: personal, home: creator, plan: plan, billingContact: creator,
		members: map[string]mMember{creator: {role: r, joined: now}}}
	if r == "owner" {
		m.owner = creator
	}
	m.seat(creator, "", r, now, pol.plans[plan].price)
	return m
}

func (m *model) role(u string) mRole { return m.pol.roles[m.members[u].role] }

// wsOwner is what Workspace.Owner must be: the owner; without one, the
// user of a personal workspace; else nobody.
func (m *model) wsOwner() string {
	if m.owner == "" && !m.personal {
		return ""
	}
	if m.owner == "" {
		return m.home
	}
	return m.owner
}

func (m *model) admins() int {
	n := 0
	for u := range m.members {
		if r := m.role(u); r.admin && !r.guest {
			n++
		}
	}
	return n
}

// firstAdmin is the member holding an admin role who joined first, ties by
// user ID.
func (m *model) firstAdmin() string {
	first := ""
	for u, mem := range m.members {
		if r := m.role(u); !r.admin || r.guest {
			continue
		}
		f := m.members[first]
		if first == "" || mem.joined.Before(f.joined) || mem.joined.Equal(f.joined) && u < first {
			first = u
		}
	}
	return first
}

func (m *model) billing() string {
	if m.owner != "" {
		return m.billingContact
	}
	return m.firstAdmin()
}

// lastAdmin reports whether user moving to role next ("" for leaving)
// would leave a workspace without an owner with no admin.
func (m *model) lastAdmin(user, next string) bool {
	r := m.role(user)
	return m.owner == "" && r.admin && !r.guest && (next == "" || !m.pol.roles[next].admin) && m.admins() <= 1
}

func (m *model) can(user, action, project string) bool {
	mem, ok := m.members[user]
	if !ok {
		return false
	}
	a := m.pol.actions[action]
	p := m.pol.plans[m.plan]
	r := m.pol.roles[mem.role]
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

// canOp reports whether user may perform operation op: it is mapped, to an
// action user may take.
func (m *model) canOp(user, op, project string) bool {
	a, ok := m.pol.ops[op]
	return ok && m.can(user, a, project)
}

// gate is the refusal of op to actor before anything else is looked at: a
// non-member learns nothing (ErrNotFound), a member without the right is
// forbidden.
func (m *model) gate(actor, op, project string) error {
	if _, ok := m.members[actor]; !ok {
		return charter.ErrNotFound
	}
	if !m.canOp(actor, op, project) {
		return charter.ErrForbidden
	}
	return nil
}

func (m *model) pendingInvite(inv *mInvite, now time.Time) bool {
	return !inv.revoked && inv.uses < inv.max && now.Before(inv.expires)
}

// counts returns members, seats and guests, with pending invitations except
// skip.
func (m *model) counts(now time.Time, skip *mInvite) (members, seats, guests int) {
	add := func(role string, n int) {
		r := m.pol.roles[role]
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

// over reports whether n exceeds lim, 0 being no limit.
func over(n, lim int) bool { return lim > 0 && n > lim }

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
		r := m.pol.roles[x.role]
		if r.guest {
			a3 += x.n
		} else {
			a1 += x.n
		}
		if r.seat {
			a2 += x.n
		}
	}
	p := m.pol.plans[m.plan]
	return !(a1 > b1 && over(a1, p.members) || a2 > b2 && over(a2, p.seats) || a3 > b3 && over(a3, p.guests))
}

// mayAssign reports whether actor may give role: their role assigns it, it
// is not above their rank nor the owner role, and the plan offers it.
func (m *model) mayAssign(actor, role string) bool {
	ar, r := m.role(actor), m.pol.roles[role]
	return slices.Contains(ar.assigns, role) && r.rank <= ar.rank && !r.owner &&
		slices.Contains(m.pol.plans[m.plan].roles, role)
}

// mayManage reports whether actor may change or remove a holder of other:
// never the owner, never a higher rank.
func (m *model) mayManage(actor, other string) bool {
	o := m.pol.roles[other]
	return !o.owner && o.rank <= m.role(actor).rank
}

func prorata(price int64, since, now time.Time) int64 {
	if price == 0 {
		return 0
	}
	start, end := plan.Monthly.Bounds(since, now)
	q := new(big.Int).Mul(big.NewInt(price), big.NewInt(int64(end.Sub(now))))
	return q.Quo(q, big.NewInt(int64(end.Sub(start)))).Int64()
}

// seat records the charge or credit of user moving from role from to role to.
func (m *model) seat(user, from, to string, now time.Time, price int64) {
	had, has := from != "" && m.pol.roles[from].seat, to != "" && m.pol.roles[to].seat
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

// maxWorkspaces bounds the workspaces the create actions make, so that
// the actions keep hitting the same few.
const maxWorkspaces = 3

// world is the model of every workspace in the store.
type world struct {
	pol *mPolicy
	ws  []*model
}

// personalOf returns u's personal workspace, or nil.
func (w *world) personalOf(u string) *model {
	for _, m := range w.ws {
		if m.personal && m.home == u {
			return m
		}
	}
	return nil
}

// ownedShared counts the shared workspaces u owns.
func (w *world) ownedShared(u string) int {
	n := 0
	for _, m := range w.ws {
		if !m.personal && m.owner == u {
			n++
		}
	}
	return n
}

// licence returns the number of shared workspaces u may own: their
// personal workspace's plan says, the default plan when they have none.
func (w *world) licence(u string) int {
	if p := w.personalOf(u); p != nil {
		return w.pol.plans[p.plan].shared
	}
	return w.pol.plans[w.pol.defPlan].shared
}

// serviceMachine drives a Service and the model side by side.
type serviceMachine struct {
	s *charter.Service
	c *clock
	w *world
}

// newServiceMachine returns the machine of a fresh Service on pol, with a
// first shared workspace created by u0.
func newServiceMachine(t *rapid.T, s *charter.Service, c *clock, pol *mPolicy) *serviceMachine {
	sm := &serviceMachine{s: s, c: c, w: &world{pol: pol}}
	ws, err := s.CreateWorkspace(ctx, "u0", "Machine", pol.defPlan)
	if err != nil {
		t.Fatal(err)
	}
	sm.created(t, "u0", ws, pol.defPlan)
	return sm
}

func (sm *serviceMachine) now() time.Time { return sm.c.Now().UTC().Truncate(time.Microsecond) }

// pick draws one of the workspaces, three times in four one with more
// than one member where there is one: most rules are about the others.
func (sm *serviceMachine) pick(t *rapid.T) *model {
	var shared []*model
	for _, m := range sm.w.ws {
		if len(m.members) > 1 {
			shared = append(shared, m)
		}
	}
	if len(shared) > 0 && rapid.IntRange(0, 3).Draw(t, "crowded") > 0 {
		return rapid.SampledFrom(shared).Draw(t, "workspace")
	}
	return rapid.SampledFrom(sm.w.ws).Draw(t, "workspace")
}

// errRefused is the model's prediction of a refusal whose kind it does not
// predict: any of the Service's typed refusals.
var errRefused = errors.New("refused")

// expectErr fails when the Service's outcome differs from the model's
// prediction: nil, errRefused or the error err must match. A membership
// rule of package workspace must come as ErrInvalid.
func expectErr(t *rapid.T, op string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("%s: model says ok, service says %v", op, err)
	case want != nil && err == nil:
		t.Fatalf("%s: model says %v, service succeeded", op, want)
	case err != nil && !isClean(err):
		t.Fatalf("%s: unexpected kind of error %v", op, err)
	case want != nil && want != errRefused && !errors.Is(err, want):
		t.Fatalf("%s: service says %v, model says %v", op, err, want)
	case want != nil && isRule(want) && !errors.Is(err, charter.ErrInvalid):
		t.Fatalf("%s: %v is not ErrInvalid", op, err)
	}
}

// expect fails when the Service's outcome differs from the model's: ok, or
// any typed refusal.
func expect(t *rapid.T, op string, err error, ok bool) {
	t.Helper()
	want := errRefused
	if ok {
		want = nil
	}
	expectErr(t, op, err, want)
}

func isRule(err error) bool {
	for _, e := range []error{workspace.ErrLastAdmin, workspace.ErrOwner, workspace.ErrOwnerRole, workspace.ErrOwnRole, workspace.ErrToGuest} {
		if err == e {
			return true
		}
	}
	return false
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

// created adds to the model the shared workspace ws that actor just
// created on planName ("" for their licence's plan), and actor's personal
// workspace, which creating one makes when actor has none.
func (sm *serviceMachine) created(t *rapid.T, actor string, ws *workspaceT, planName string) {
	sm.ensuredPersonal(t, actor)
	if planName == "" {
		planName = sm.w.personalOf(actor).plan
	}
	sm.w.ws = append(sm.w.ws, newModel(sm.w.pol, ws.ID, actor, planName, false, sm.now()))
}

// ensuredPersonal adds u's personal workspace to the model when the
// Service has just made one, which the model predicts when u has none: its
// ID comes from the workspaces Workspaces lists for u, and u must be a
// member of exactly one personal workspace.
func (sm *serviceMachine) ensuredPersonal(t *rapid.T, u string) {
	known := sm.w.personalOf(u)
	ms, _, err := sm.s.Workspaces(ctx, u, charter.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range ms {
		if m.Kind == workspace.Personal {
			ids = append(ids, m.Workspace)
		}
	}
	switch {
	case len(ids) != 1:
		t.Fatalf("%s is in personal workspaces %v, want exactly one", u, ids)
	case known != nil && known.id != ids[0]:
		t.Fatalf("%s's personal workspace is %s, model %s", u, ids[0], known.id)
	case known == nil:
		sm.w.ws = append(sm.w.ws, newModel(sm.w.pol, ids[0], u, sm.w.pol.defPlan, true, sm.now()))
	}
}

// sharing is the model's prediction for an invitation of n holders of role
// into m once the inviter may make it: a personal workspace becomes shared
// only where the policy converts (ErrForbidden), within the shared
// workspaces its user may own, and the invitation fits the plan's limits
// (ErrLimitExceeded).
func (sm *serviceMachine) sharing(m *model, role string, n int) error {
	switch {
	case m.personal && !sm.w.pol.convert:
		return charter.ErrForbidden
	case m.personal && over(sm.w.ownedShared(m.home)+1, sm.w.pol.plans[m.plan].shared),
		!m.fits(sm.now(), nil, role, n, ""):
		return charter.ErrLimitExceeded
	}
	return nil
}

// share turns m into a shared workspace, if it is not one.
func (m *model) share() { m.personal = false }

// drop removes user from m, crediting their seat.
func (m *model) drop(user string, now time.Time) {
	m.seat(user, m.members[user].role, "", now, m.pol.plans[m.plan].price)
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

// TestServiceMachine drives the Service with random sequences of every
// membership operation by random actors, in several workspaces, on every
// backend and under each kind of ownership (machinePolicies), checking the
// invariants and the model after every step. On the in-memory store each
// policy gets rapid's full run; on the durable ones, whose runs are slower,
// each run draws its policy.
func TestServiceMachine(t *testing.T) {
	pols := machinePolicies(t)
	run := func(t *testing.T, pols []machinePolicy, b backend) func(*rapid.T) {
		return func(rt *rapid.T) {
			mp := pols[rapid.IntRange(0, len(pols)-1).Draw(rt, "policy")]
			c := newClock()
			store := b.open(t)
			defer store.Close()
			s, err := charter.New(mp.p, store, charter.Options{Now: c.Now})
			if err != nil {
				rt.Fatal(err)
			}
			rt.Repeat(newServiceMachine(rt, s, c, mp.m).actions())
		}
	}
	for _, b := range backends() {
		if b.name != "memory" {
			t.Run(b.name, func(t *testing.T) {
				b.open(t).Close() // skips here when the backend is not available
				rapid.Check(t, run(t, pols, b))
			})
			continue
		}
		for _, mp := range pols {
			t.Run(b.name+"/"+mp.name, func(t *testing.T) { rapid.Check(t, run(t, []machinePolicy{mp}, b)) })
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

func loadMachinePolicy(tb testing.TB) *policy.Policy {
	tb.Helper()
	p, err := policy.LoadFile("testdata/machine.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return p
}
