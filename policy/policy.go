package policy

import (
	"strconv"
	"strings"

	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/role"
	"github.com/charterhq/charter/workspace"
)

// Policy is a compiled policy file. It is immutable after Load and safe for
// concurrent use; the *role.Role, *plan.Plan, *Action and *Currency values it
// hands out are shared and must not be modified.
type Policy struct {
	// roles and plans come first: the check reads them on every call.

	// roles[i].Index == i for every i; 1 <= len(roles) <= role.Max.
	// At most one role is Owner; it is Admin and has the strictly highest
	// Rank. No role is both Guest and (Owner or Admin). Assigns never holds
	// the owner role nor a role of higher Rank than its holder's.
	// A *role.Role belongs to this policy iff roles[r.Index] == r.
	roles     []*role.Role
	roleMeta  []roleMeta // parallel to roles
	roleIndex map[string]*role.Role
	owner     *role.Role // == the single Owner role of roles; nil when none
	// creator is the admin role, not the owner role, that the creator of a
	// workspace without an owner holds; nil when ownership is OwnerEvery.
	creator   *role.Role
	ownership Ownership // OwnerNone iff owner == nil

	// plans[i].Index == i; len(plans) >= 1. Every plan offers owner and
	// creator, when set;
	// InviteRole and LinkRole, when set, are offered and not the owner role.
	// Features only holds bits below len(features). A *plan.Plan belongs to
	// this policy iff plans[p.Index] == p.
	plans     []*plan.Plan
	planMeta  []planMeta // parallel to plans
	planIndex map[string]*plan.Plan
	defPlan   *plan.Plan // one of plans, never nil

	name    string
	file    string
	sharing Sharing
	// sharingPos is where sharing is set; the root of the file when the
	// policy takes the default.
	sharingPos Pos

	// features[i] names feature bit i; len(features) <= plan.MaxFeatures.
	features     []string
	featureIndex map[string]int

	// currencies in declaration order; every Cost and Grant names one.
	currencies    []*Currency
	currencyIndex map[string]*Currency
	currencyPos   map[string]Pos // of each currency's declaration

	// actions[i].Index == i and actions[i].hot.policy == p. No billing action
	// allows a non-admin role; no workspace-scoped action allows a guest
	// role; Allowed only holds bits below len(roles).
	actions     []*Action
	actionIndex map[string]*Action
	tables      nameTables // the indexes, faster; see nametable.go

	// ops[op] is the action authorizing op, nil when unmapped; ops[0] is
	// always nil.
	ops [numOps]*Action
}

type roleMeta struct {
	desc     string
	pos      Pos // the role's key under roles:
	guestPos Pos // its guest: value, or pos
}

type planMeta struct {
	desc     string
	pos      Pos // the plan's key under plans:
	rolesPos Pos // its roles: value, or pos when it offers every role
}

// Sharing says what inviting someone into a personal workspace does.
type Sharing uint8

// The sharing modes.
const (
	SharingDeny    Sharing = iota // the invitation is refused (the default)
	SharingConvert                // the workspace becomes a shared one
)

// String returns "deny" or "convert", the YAML spelling.
func (s Sharing) String() string {
	switch s {
	case SharingDeny:
		return "deny"
	case SharingConvert:
		return "convert"
	}
	return "Sharing(" + strconv.Itoa(int(s)) + ")"
}

// Ownership says in which workspaces the policy's owner role exists.
type Ownership uint8

// The ownership modes.
const (
	OwnerEvery    Ownership = iota // the creator of every workspace owns it (the default)
	OwnerPersonal                  // the owner exists only in a user's personal workspace
	OwnerNone                      // the policy has no owner role
)

// String returns "every", "personal" or "none"; the first two are the YAML
// spelling, the third is what a policy without an owner role has.
func (o Ownership) String() string {
	switch o {
	case OwnerEvery:
		return "every"
	case OwnerPersonal:
		return "personal"
	case OwnerNone:
		return "none"
	}
	return "Ownership(" + strconv.Itoa(int(o)) + ")"
}

// Scope says where an action applies.
type Scope uint8

// The scopes of an action.
const (
	ScopeWorkspace Scope = iota // the whole workspace (the default)
	ScopeProject                // one project of the workspace
)

// String returns "workspace" or "project", the YAML spelling.
func (s Scope) String() string {
	switch s {
	case ScopeWorkspace:
		return "workspace"
	case ScopeProject:
		return "project"
	}
	return "Scope(" + strconv.Itoa(int(s)) + ")"
}

// KindSet is a set of workspace kinds, one bit per workspace.Kind. The
// invalid kind 0 is never in a KindSet.
type KindSet uint8

// AllKinds holds every valid workspace kind.
const AllKinds = KindSet(1<<workspace.Personal | 1<<workspace.Shared)

// Has reports whether k is in s.
func (s KindSet) Has(k workspace.Kind) bool { return k != 0 && s&(1<<k) != 0 }

// With returns s with k added.
func (s KindSet) With(k workspace.Kind) KindSet { return s | 1<<k }

// Kinds returns the kinds in s, in order.
func (s KindSet) Kinds() []workspace.Kind {
	var ks []workspace.Kind
	for k := workspace.Kind(1); k < workspace.NumKinds; k++ {
		if s.Has(k) {
			ks = append(ks, k)
		}
	}
	return ks
}

// String returns the kinds' names joined by ", ", e.g. "personal, shared".
func (s KindSet) String() string {
	var names []string
	for _, k := range s.Kinds() {
		names = append(names, k.String())
	}
	return strings.Join(names, ", ")
}

// kindNames names the kinds without allocating; "" for invalid kinds.
var kindNames = [...]string{workspace.Personal: "personal", workspace.Shared: "shared"}

func kindName(k workspace.Kind) string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return ""
}

// Currency is a kind of credit a policy uses.
type Currency struct {
	// Name is the currency's name, e.g. "ai_credits".
	Name string
	// Description is free text from the policy.
	Description string
	// Kinds are the workspace kinds where the currency exists.
	Kinds KindSet
	// Initial is granted once when a workspace of one of Kinds is created.
	Initial int64
}

// Cost is what one use of an action spends.
type Cost struct {
	// Currency names the currency spent; "" when the action is free.
	Currency string
	// Amount is positive when Currency is set.
	Amount int64
}

// IsZero reports whether c is free.
func (c Cost) IsZero() bool { return c.Currency == "" }

// Action is one compiled action of a policy: the handle to keep for hot
// loops. Its fields must not be modified.
type Action struct {
	// hot holds what the check reads, first so that it shares one cache
	// line: hot.allowed == Allowed, hot.feature == Feature, hot.kinds ==
	// Kinds, hot.project == (Scope == ScopeProject), hot.policy == the
	// policy of the action, and hot.roles and hot.plans hold its roles and
	// plans, so the check tells them from another policy's without
	// reading the Policy.
	hot struct {
		allowed role.Set
		feature plan.Features
		roles   *[64]*role.Role // the policy's roles by Index, nil beyond
		plans   []*plan.Plan    // the policy's plans by Index
		kinds   KindSet
		project bool
		policy  *Policy
	}

	// Name is the action's name in the policy, e.g. "generate_video".
	Name string
	// Description is the action's display text; "" when it has none.
	Description string
	// Index is the action's position in its policy.
	Index int
	// Scope is ScopeWorkspace or ScopeProject.
	Scope Scope
	// Feature holds the plan features the action requires; 0 for none.
	Feature plan.Features
	// Kinds are the workspace kinds where the action applies; never empty.
	Kinds KindSet
	// Billing marks actions only admin roles may be allowed.
	Billing bool
	// Cost is what one use spends; zero when the action is free.
	Cost Cost
	// Allowed is the action's permission row: the roles it is granted to.
	Allowed role.Set

	featureName string // the name of Feature's bit; "" when Feature is 0
	pos         Pos    // the action's key under actions:
	permPos     Pos    // its permissions: row key, or pos when it has none
	featurePos  Pos    // its feature: value, or pos
	kindsPos    Pos    // its kinds: value, or pos
	hasPerm     bool
}

// Op is an operation of the charter Service that a policy maps to the
// action authorizing it.
type Op uint8

// The operations. The zero Op is invalid and never authorized.
const (
	OpInvite Op = iota + 1
	OpInviteGuest
	OpRemove
	OpChangeRole
	OpTransferOwnership
	OpDeleteWorkspace
	OpChangePlan
	OpUpdateSettings
	OpFundCredits
	OpSetAllowance
	OpViewSpend
	OpManageCoins
	OpGuestAccess
	numOps
)

var opNames = [numOps]string{
	OpInvite:            "invite",
	OpInviteGuest:       "invite_guest",
	OpRemove:            "remove",
	OpChangeRole:        "change_role",
	OpTransferOwnership: "transfer_ownership",
	OpDeleteWorkspace:   "delete_workspace",
	OpChangePlan:        "change_plan",
	OpUpdateSettings:    "update_settings",
	OpFundCredits:       "fund_credits",
	OpSetAllowance:      "set_allowance",
	OpViewSpend:         "view_spend",
	OpManageCoins:       "manage_coins",
	OpGuestAccess:       "guest_access",
}

// String returns the operation's key under operations:, e.g. "invite".
func (op Op) String() string {
	if op < numOps && op != 0 {
		return opNames[op]
	}
	return "Op(" + strconv.Itoa(int(op)) + ")"
}

// Ops returns every valid operation, in order.
func Ops() []Op {
	ops := make([]Op, 0, numOps-1)
	for op := Op(1); op < numOps; op++ {
		ops = append(ops, op)
	}
	return ops
}

// ParseOp returns the operation whose YAML key is s.
func ParseOp(s string) (Op, bool) {
	for op := Op(1); op < numOps; op++ {
		if opNames[op] == s {
			return op, true
		}
	}
	return 0, false
}

// Name returns the policy's name.
func (p *Policy) Name() string { return p.name }

// File returns the file name the policy was loaded from.
func (p *Policy) File() string { return p.file }

// Sharing returns what inviting someone into a personal workspace does.
func (p *Policy) Sharing() Sharing { return p.sharing }

// Roles returns the roles in declaration order, which is Index order. The
// caller must not modify the slice.
func (p *Policy) Roles() []*role.Role { return p.roles }

// Role returns the role called name, or nil.
func (p *Policy) Role(name string) *role.Role {
	if r, ok := p.tables.roles.find(name); ok {
		return r
	}
	return p.roleIndex[name]
}

// RoleDescription returns the description of the role called name.
func (p *Policy) RoleDescription(name string) string {
	if r := p.roleIndex[name]; r != nil {
		return p.roleMeta[r.Index].desc
	}
	return ""
}

// OwnerRole returns the policy's single owner role, or nil when the policy
// has none (Ownership is OwnerNone).
func (p *Policy) OwnerRole() *role.Role { return p.owner }

// Ownership says in which workspaces the owner role exists.
func (p *Policy) Ownership() Ownership { return p.ownership }

// CreatorRole returns the role the creator of a new workspace of kind
// starts with: the owner role where the owner exists in such a workspace,
// else the policy's creator_role, an admin role. Workspaces whose creator
// holds a role that is not the owner role have no owner and keep at least
// one admin instead (workspace.ErrLastAdmin).
func (p *Policy) CreatorRole(kind workspace.Kind) *role.Role {
	switch {
	case p.ownership == OwnerEvery, p.ownership == OwnerPersonal && kind == workspace.Personal:
		return p.owner
	}
	return p.creator
}

// Plans returns the plans in declaration order. The caller must not modify
// the slice.
func (p *Policy) Plans() []*plan.Plan { return p.plans }

// Plan returns the plan called name, or nil.
func (p *Policy) Plan(name string) *plan.Plan {
	if pl, ok := p.tables.plans.find(name); ok {
		return pl
	}
	return p.planIndex[name]
}

// PlanDescription returns the description of the plan called name.
func (p *Policy) PlanDescription(name string) string {
	if pl := p.planIndex[name]; pl != nil {
		return p.planMeta[pl.Index].desc
	}
	return ""
}

// DefaultPlan returns the plan of new personal workspaces.
func (p *Policy) DefaultPlan() *plan.Plan { return p.defPlan }

// Features returns the feature names by bit index. The caller must not
// modify the slice.
func (p *Policy) Features() []string { return p.features }

// Feature returns the bit of the feature called name.
func (p *Policy) Feature(name string) (plan.Features, bool) {
	i, ok := p.featureIndex[name]
	if !ok {
		return 0, false
	}
	return 1 << uint(i), true
}

// FeatureNames returns the names of the features in f, by bit index.
func (p *Policy) FeatureNames(f plan.Features) []string {
	var names []string
	for i, n := range p.features {
		if f&(1<<uint(i)) != 0 {
			names = append(names, n)
		}
	}
	return names
}

// Currencies returns the currencies in declaration order. The caller must
// not modify the slice.
func (p *Policy) Currencies() []*Currency { return p.currencies }

// Currency returns the currency called name, or nil.
func (p *Policy) Currency(name string) *Currency {
	if c, ok := p.tables.currencies.find(name); ok {
		return c
	}
	return p.currencyIndex[name]
}

// Actions returns the actions in declaration order, which is Index order.
// The caller must not modify the slice.
func (p *Policy) Actions() []*Action { return p.actions }

// Action returns the action called name, or nil. Keep the result to check
// the same action many times.
func (p *Policy) Action(name string) *Action {
	if a, ok := p.tables.actions.find(name); ok {
		return a
	}
	return p.actionIndex[name]
}

// Operation returns the action that authorizes op, or nil when the policy
// maps none, which denies op to everyone. An unmapped guest_access is
// update_settings' action: the guest switch is a workspace setting unless
// the policy gates it apart.
func (p *Policy) Operation(op Op) *Action {
	switch {
	case op == OpGuestAccess && p.ops[op] == nil:
		return p.ops[OpUpdateSettings]
	case op < numOps:
		return p.ops[op]
	}
	return nil
}

// Policy returns the policy a belongs to.
func (a *Action) Policy() *Policy { return a.hot.policy }

// Pos returns the position of the action's declaration.
func (a *Action) Pos() Pos { return a.pos }

// Title returns the action's description, or its name when it has none.
func (a *Action) Title() string {
	if a.Description != "" {
		return a.Description
	}
	return a.Name
}

func quote(s string) string { return strconv.Quote(s) }
