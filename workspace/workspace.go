// Package workspace holds the Workspace aggregate: its kind, plan, owner,
// members with their roles, guests with their project grants, settings and
// version, and the mutations that keep its invariants:
//
//   - where the workspace has an owner (the policy has an owner role, and it
//     exists in this workspace): exactly one owner, who is a member holding
//     the owner role, and no other member holds that role;
//   - where it has none: no member holds an owner role, and at least one
//     member is an admin (ErrLastAdmin); the billing contact is the first
//     admin, the earliest to join who is still an admin (then by user ID);
//   - every member's role is offered by the workspace's plan;
//   - only guests hold project grants, and a guest holds at least one;
//   - ownership moves only by transfer to an admin, and the previous owner
//     becomes that admin's role.
//
// A check-only snapshot (NewSnapshot, Workspace.Snapshot) holds only what
// package policy's checks read, for callers that keep many workspaces for
// checks; it refuses every change.
//
// A Workspace is a value the caller owns: package policy reads it, the charter
// Service loads and saves it. It does no I/O and is not safe for concurrent
// mutation.
package workspace

import (
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"time"

	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/role"
)

// Kind is the kind of a workspace.
type Kind uint8

// The kinds of workspace. The zero Kind is invalid, so a forgotten kind denies.
const (
	Personal Kind = iota + 1 // a user's own workspace, one per user
	Shared                   // a team's workspace
)

// NumKinds sizes arrays indexed by Kind.
const NumKinds = 3

// String returns "personal" or "shared".
func (k Kind) String() string {
	switch k {
	case Personal:
		return "personal"
	case Shared:
		return "shared"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// ParseKind parses "personal" or "shared".
func ParseKind(s string) (Kind, error) {
	switch s {
	case "personal":
		return Personal, nil
	case "shared":
		return Shared, nil
	}
	return 0, fmt.Errorf("workspace: unknown kind %q (want personal or shared)", s)
}

// Settings are the workspace-wide settings the policy reads.
type Settings struct {
	// GuestsDisabled denies every guest and refuses new ones.
	GuestsDisabled bool
}

// Member is one person's membership.
type Member struct {
	// User is the member's user ID.
	User string
	// Role is the member's role, compiled by the workspace's policy.
	Role *role.Role
	// Projects are the projects granted to a guest, sorted; empty for
	// everyone else, who reach every project.
	Projects []string
	// Joined is when the membership started.
	Joined time.Time
	// SeatSince is when the member's current paid seat started: zero unless
	// Role.Seat. Seat periods, and so pro-rata credits, are anchored at it.
	SeatSince time.Time
}

// OnProject reports whether the member was granted project.
func (m *Member) OnProject(project string) bool {
	for _, p := range m.Projects {
		if p == project {
			return true
		}
	}
	return false
}

// Workspace is the aggregate the policy checks against.
type Workspace struct {
	// ID identifies the workspace.
	ID string
	// Name is the display name.
	Name string
	// Kind is personal or shared.
	Kind Kind
	// partial is set by Partial: members holds only some of the members
	// (see edge). checkOnly is set by NewSnapshot and Snapshot: members is
	// nil, roles holds every member and guests each guest's projects, and
	// tally is nil but in a snapshot of a partial workspace. (They sit by
	// Kind, in its padding.)
	partial, checkOnly bool
	// Plan is the workspace's own plan.
	Plan *plan.Plan
	// Owner is the user who owns the workspace: the holder of the owner role
	// where the workspace has an owner (Owned); in a personal workspace
	// without one, the user whose personal workspace it is (an admin); empty
	// in a shared workspace without an owner.
	Owner string
	// BillingContact is the user whose payment details pay for the plan.
	// With an owner: the creator, until ownership is transferred (the new
	// owner becomes it) or the contact leaves the admins (the owner becomes
	// it). Without one: the first admin (FirstAdmin), kept so by every
	// mutation.
	BillingContact string
	// members maps user ID to membership, guests included; roles maps
	// the same users to their roles alone. roles is what every check
	// reads: a map whose values are one pointer costs a check about what
	// a hand-written map of role indices does, where a map of Member
	// values (96 bytes each) costs twice that on a large workspace. The
	// two change together, through set and remove, and only there.
	members map[string]Member
	roles   map[string]*role.Role
	// tally counts the members holding each role (nil for a role the
	// policy no longer knows), over all of them: in a whole workspace
	// those of members, in a partial one (see Partial) also those it does
	// not hold. set and remove keep it.
	tally map[*role.Role]int
	// edge bounds the admins a partial workspace holds: every admin who
	// joined no later than edge (by Joined, then User) is held; when edge
	// is nil, every admin is.
	edge *Member
	// guests are a check-only snapshot's guests' projects.
	guests map[string][]string
	// Settings are the workspace-wide settings the policy reads.
	Settings Settings
	// Logo is the URL of the workspace's logo (absolute, http or https),
	// or "" for none. charter keeps it for the application and reads
	// nothing from it.
	Logo string
	// Preferences are the application's own settings of the workspace,
	// small string values by key (the charter Service's SetPreferences
	// says the limits), nil when there are none. charter keeps them and
	// reads nothing from them: they never change a decision, unlike
	// Settings.
	Preferences map[string]string
	// Created is when the workspace was created.
	Created time.Time
	// Anchor is when the current subscription started; credit periods and
	// seat periods are counted from it.
	Anchor time.Time
	// Version increases with every saved change; storage uses it to refuse
	// lost updates.
	Version int64
}

// Errors returned by the mutations. Each names the invariant it protects.
var (
	ErrMember       = errors.New("workspace: already a member")
	ErrNotMember    = errors.New("workspace: not a member")
	ErrOwner        = errors.New("workspace: the owner's membership and role change only by ownership transfer")
	ErrOwnerRole    = errors.New("workspace: the owner role is held only by the owner")
	ErrNotAdmin     = errors.New("workspace: ownership moves only to an admin")
	ErrNotOffered   = errors.New("workspace: role not offered by the plan")
	ErrNotGuest     = errors.New("workspace: only guests hold project grants")
	ErrNoProjects   = errors.New("workspace: a guest needs at least one project")
	ErrInvalid      = errors.New("workspace: invalid")
	ErrGuestsClosed = errors.New("workspace: guests are disabled")
	ErrOwnRole      = errors.New("workspace: members cannot change their own role")
	ErrToGuest      = errors.New("workspace: a member becomes a guest only by removal and a guest invitation")
	// ErrLastAdmin protects the invariant of a workspace without an owner:
	// at least one admin.
	ErrLastAdmin = errors.New("workspace: a workspace without an owner keeps at least one admin: the last admin cannot leave, be removed or be demoted")
)

// New returns a workspace with one member, its creator, holding r: the
// owner role, which makes the creator the owner, or another admin role, which
// makes the workspace one without an owner (whose Owner is the creator in a
// personal workspace, empty in a shared one).
func New(id string, kind Kind, p *plan.Plan, creator string, r *role.Role, now time.Time) (*Workspace, error) {
	return NewWithRoom(id, kind, p, creator, r, now, 0)
}

// NewWithRoom is New with room for about n members: a hint, like make's
// capacity, for a caller that knows how many it will add, so that adding
// them does not grow the workspace's maps step by step.
func NewWithRoom(id string, kind Kind, p *plan.Plan, creator string, r *role.Role, now time.Time, n int) (*Workspace, error) {
	if id == "" || creator == "" || p == nil || r == nil || !r.Admin || r.Guest || (kind != Personal && kind != Shared) {
		return nil, fmt.Errorf("%w: new workspace needs an id, a kind, a plan, a creator and an admin role", ErrInvalid)
	}
	if !p.Offers(r) {
		return nil, fmt.Errorf("%w: plan %s does not offer %s", ErrNotOffered, p.Name, r.Name)
	}
	now = now.UTC()
	m := Member{User: creator, Role: r, Joined: now}
	if r.Seat {
		m.SeatSince = now
	}
	w := &Workspace{
		ID: id, Kind: kind, Plan: p, BillingContact: creator,
		Created: now, Anchor: now,
	}
	if r.Owner || kind == Personal {
		w.Owner = creator
	}
	if n > 8 { // small maps start with room for 8
		w.members, w.roles = make(map[string]Member, n), make(map[string]*role.Role, n)
	}
	w.set(m)
	return w, nil
}

// Owned reports whether the workspace has an owner: Owner is a member
// holding the owner role. A workspace without one keeps at least one admin
// instead.
func (w *Workspace) Owned() bool {
	r := w.roles[w.Owner]
	return r != nil && r.Owner
}

// FirstAdmin returns the earliest member to join who holds an admin role
// (guests never do), ties broken by user ID; "" when there is none, or when
// a partial workspace no longer holds it (every admin it held as the
// earliest is gone: see Partial), and of a check-only snapshot, which
// holds no join times. It is the billing contact of a workspace without an
// owner.
func (w *Workspace) FirstAdmin() string {
	var first *Member
	for u, m := range w.members {
		if m.Role == nil || !m.Role.Admin || m.Role.Guest {
			continue
		}
		if first == nil || m.Joined.Before(first.Joined) || (m.Joined.Equal(first.Joined) && u < first.User) {
			first = &m
		}
	}
	if first == nil || (w.edge != nil && earlier(*w.edge, *first)) {
		return ""
	}
	return first.User
}

// admins returns the number of members holding an admin role.
func (w *Workspace) admins() int {
	n := 0
	for r, k := range w.tally {
		if r != nil && r.Admin && !r.Guest {
			n += k
		}
	}
	return n
}

// lastAdmin reports whether taking user's admin role away (demoting or
// removing them) would leave a workspace without an owner with no admin.
func (w *Workspace) lastAdmin(user string, next *role.Role) bool {
	r := w.roles[user]
	if w.Owned() || r == nil || !r.Admin || r.Guest || (next != nil && next.Admin && !next.Guest) {
		return false
	}
	return w.admins() <= 1
}

// rebill keeps the billing contact of a workspace without an owner on the
// first admin.
func (w *Workspace) rebill() {
	if !w.Owned() {
		w.BillingContact = w.FirstAdmin()
	}
}

// Member returns the membership of user (of a check-only snapshot, with
// zero Joined and SeatSince).
func (w *Workspace) Member(user string) (Member, bool) {
	if w.checkOnly {
		r, ok := w.roles[user]
		return Member{User: user, Role: r, Projects: w.guests[user]}, ok
	}
	m, ok := w.members[user]
	return m, ok
}

// Role returns the role user holds, or nil when user is not a member: the
// one map access every check makes.
func (w *Workspace) Role(user string) *role.Role {
	return w.roles[user]
}

// Len returns the number of members, guests included (of a partial
// workspace, those it does not hold too).
func (w *Workspace) Len() int {
	if w.checkOnly && w.tally == nil {
		return len(w.roles)
	}
	n := 0
	for _, k := range w.tally {
		n += k
	}
	return n
}

// Members returns an iterator over the memberships (of a partial
// workspace, those it holds), by user ID, in no particular order. The
// workspace must not change during the iteration.
func (w *Workspace) Members() iter.Seq2[string, Member] {
	return func(yield func(string, Member) bool) {
		if w.checkOnly {
			for u, r := range w.roles {
				if !yield(u, Member{User: u, Role: r, Projects: w.guests[u]}) {
					return
				}
			}
			return
		}
		for u, m := range w.members {
			if !yield(u, m) {
				return
			}
		}
	}
}

// Users returns the members' user IDs (of a partial workspace, those it
// holds), sorted.
func (w *Workspace) Users() []string {
	if w.checkOnly {
		return sortedKeys(w.roles)
	}
	return sortedKeys(w.members)
}

// sortedKeys returns m's keys in order, in a slice of their number.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Put sets m as the membership of m.User, replacing any, without the checks
// of Add, SetRole and Grant. It is how storage rebuilds a workspace it
// loaded, and how tests build broken ones: Check reports what Put let in.
// The projects are copied. Into a check-only snapshot it puts m's role and
// projects alone.
func (w *Workspace) Put(m Member) {
	if w.checkOnly {
		if w.roles == nil {
			w.roles = make(map[string]*role.Role)
		}
		if w.tally != nil { // a snapshot of a partial workspace counts all
			if old, ok := w.roles[m.User]; ok {
				w.untally(old)
			}
			w.tally[m.Role]++
		}
		w.roles[m.User] = m.Role
		w.putGuest(m.User, m.Projects)
		return
	}
	m.Projects = slices.Clone(m.Projects)
	w.set(m)
}

// set records m, keeping members and roles in step.
func (w *Workspace) set(m Member) {
	if w.members == nil {
		w.members = make(map[string]Member)
	}
	if w.roles == nil {
		w.roles = make(map[string]*role.Role)
	}
	if w.tally == nil {
		w.tally = make(map[*role.Role]int)
	}
	if old, ok := w.members[m.User]; ok {
		w.untally(old.Role)
	}
	w.tally[m.Role]++
	w.members[m.User], w.roles[m.User] = m, m.Role
}

// remove deletes user's membership from both maps.
func (w *Workspace) remove(user string) {
	if old, ok := w.members[user]; ok {
		w.untally(old.Role)
	}
	delete(w.members, user)
	delete(w.roles, user)
}

// untally takes one holder of r from the tally.
func (w *Workspace) untally(r *role.Role) {
	if w.tally[r]--; w.tally[r] <= 0 {
		delete(w.tally, r)
	}
}

// Clone returns a deep copy of w, so a failed mutation can be discarded.
func (w *Workspace) Clone() *Workspace {
	c := *w
	c.tally, c.roles = maps.Clone(w.tally), maps.Clone(w.roles)
	c.Preferences = maps.Clone(w.Preferences)
	if w.checkOnly {
		c.guests = make(map[string][]string, len(w.guests))
		for u, ps := range w.guests {
			c.guests[u] = slices.Clone(ps)
		}
		return &c
	}
	c.members = make(map[string]Member, len(w.members))
	for u, m := range w.members {
		m.Projects = slices.Clone(m.Projects)
		c.members[u] = m
	}
	return &c
}
