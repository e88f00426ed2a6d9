package backendtest_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/charterhq/charter/policy"
)

// The model's copies of the policies the membership state machine drives,
// written by hand: it predicts from these tables, never from package
// policy.

type mRole struct {
	rank         int
	admin, seat  bool
	guest, owner bool
	assigns      []string
}

type mAction struct {
	roles   []string
	project bool
	feature string
	billing bool
	cost    bool // a costed action: Can depends on credits, which the machine does not model
}

type mPlan struct {
	roles                  []string
	features               []string
	inviteRole, linkRole   string
	members, seats, guests int // 0: unlimited
	shared                 int // shared workspaces its holder may own; 0: unlimited
	price                  int64
}

// mPolicy is one policy as the model knows it.
type mPolicy struct {
	roles   map[string]mRole
	actions map[string]mAction
	plans   map[string]mPlan
	// ops maps each operation the policy maps to its action; an operation
	// not here is denied to everyone.
	ops map[string]string
	// ownership is where the owner role exists: "every" workspace, only
	// "personal" ones, or "none".
	ownership string
	// creator is the role of a creator who does not own the workspace.
	creator string
	defPlan string
	convert bool // inviting into a personal workspace shares it
}

// roleNames returns the policy's role names, sorted.
func (p *mPolicy) roleNames() []string { return slices.Sorted(maps.Keys(p.roles)) }

// creatorRole returns the role the creator of a workspace starts with.
func (p *mPolicy) creatorRole(personal bool) string {
	if p.ownership == "every" || p.ownership == "personal" && personal {
		return "owner"
	}
	return p.creator
}

// guestRole returns the guest role plan offers, or "".
func (p *mPolicy) guestRole(plan string) string {
	for _, n := range p.roleNames() {
		if p.roles[n].guest && slices.Contains(p.plans[plan].roles, n) {
			return n
		}
	}
	return ""
}

// The copy of testdata/machine.yaml. Small limits make the limit paths
// common; two plans with different roles, features and seat prices make
// plan changes interesting.
var machineRoles = map[string]mRole{
	"owner":  {rank: 100, admin: true, owner: true, assigns: []string{"admin", "member", "viewer", "guest"}},
	"admin":  {rank: 50, admin: true, seat: true, assigns: []string{"admin", "member", "viewer", "guest"}},
	"member": {rank: 20, seat: true, assigns: []string{"member", "viewer", "guest"}},
	"viewer": {rank: 10},
	"guest":  {rank: 5, guest: true},
}

func machineModel() *mPolicy {
	return &mPolicy{
		roles: machineRoles,
		actions: map[string]mAction{
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
		},
		plans: map[string]mPlan{
			"basic": {roles: []string{"owner", "admin", "viewer", "guest"}, inviteRole: "admin", linkRole: "admin",
				members: 3, seats: 2, guests: 2, shared: 1, price: 1000},
			"team": {roles: []string{"owner", "admin", "member", "viewer", "guest"}, features: []string{"pro", "guest_control"},
				inviteRole: "member", linkRole: "member", members: 5, seats: 4, guests: 3, shared: 3, price: 2000},
		},
		ops: map[string]string{
			"invite": "invite", "invite_guest": "share_project", "remove": "remove", "change_role": "change_roles",
			"transfer_ownership": "transfer", "delete_workspace": "delete", "change_plan": "billing", "update_settings": "settings",
		},
		ownership: "every",
		defPlan:   "basic",
		convert:   true,
	}
}

// machineVariantModel is the model of machineVariant(variant): the owner
// only in personal workspaces, or none at all (its rows go to admin; with
// "none-members", members may also remove and change roles), the creator of
// the others an admin; no transfer, no shared-workspace limit.
func machineVariantModel(variant string) *mPolicy {
	ownership, _, members := strings.Cut(variant, "-")
	p := machineModel()
	p.ownership, p.creator = ownership, "admin"
	delete(p.ops, "transfer_ownership")
	p.plans = maps.Clone(p.plans)
	for n, pl := range p.plans {
		pl.shared = 0
		if ownership == "none" {
			pl.roles = slices.DeleteFunc(slices.Clone(pl.roles), func(r string) bool { return r == "owner" })
		}
		p.plans[n] = pl
	}
	if ownership == "none" {
		p.roles = maps.Clone(p.roles)
		delete(p.roles, "owner")
		p.actions = maps.Clone(p.actions)
		for n, a := range p.actions {
			if slices.Equal(a.roles, []string{"owner"}) {
				a.roles = []string{"admin"}
			} else {
				a.roles = slices.DeleteFunc(slices.Clone(a.roles), func(r string) bool { return r == "owner" })
			}
			if members && (n == "remove" || n == "change_roles") {
				a.roles = append(a.roles, "member")
			}
			p.actions[n] = a
		}
	}
	return p
}

// teamGuestsModel is the copy of testdata/policies/team-guests.yaml: no
// owner, admins create; no shared-workspace sharing, no limits, no seat
// price.
func teamGuestsModel() *mPolicy {
	all, staff := []string{"admin", "member", "guest"}, []string{"admin", "member"}
	return &mPolicy{
		roles: map[string]mRole{
			"admin":  {rank: 50, admin: true, seat: true, assigns: []string{"admin", "member", "guest"}},
			"member": {rank: 20, seat: true, assigns: []string{"member", "guest"}},
			"guest":  {rank: 10, guest: true},
		},
		actions: map[string]mAction{
			"browse_projects":          {roles: staff},
			"create_projects":          {roles: staff},
			"invite_members":           {roles: staff},
			"remove_members":           {roles: []string{"admin"}},
			"update_roles":             {roles: []string{"admin"}},
			"update_settings":          {roles: []string{"admin"}},
			"delete_workspace":         {roles: []string{"admin"}},
			"control_billing":          {roles: []string{"admin"}, billing: true},
			"own_data":                 {roles: []string{"admin"}},
			"view_project":             {roles: all, project: true},
			"collaborate_on_project":   {roles: all, project: true},
			"share_project_with_guest": {roles: staff, project: true},
			"toggle_guest_access":      {roles: []string{"admin"}, feature: "guest_control"},
		},
		plans: map[string]mPlan{
			"starter":  {roles: []string{"admin", "guest"}, inviteRole: "admin", linkRole: "admin"},
			"business": {roles: all, features: []string{"guest_control"}, linkRole: "member"},
		},
		ops: map[string]string{
			"invite": "invite_members", "invite_guest": "share_project_with_guest", "remove": "remove_members",
			"change_role": "update_roles", "delete_workspace": "delete_workspace", "change_plan": "control_billing",
			"update_settings": "toggle_guest_access",
		},
		ownership: "none",
		creator:   "admin",
		defPlan:   "starter",
	}
}

// videoStudioModel is the copy of testdata/policies/video-studio.yaml: the
// owner only in the personal (original) workspace, admins create the
// others; one plan with a seat price, no guests, no links, no default
// invitation role.
func videoStudioModel() *mPolicy {
	all, makers, managers := []string{"viewer", "editor", "admin", "owner"}, []string{"editor", "admin", "owner"}, []string{"admin", "owner"}
	return &mPolicy{
		roles: map[string]mRole{
			"viewer": {rank: 10},
			"editor": {rank: 20, seat: true},
			"admin":  {rank: 30, admin: true, seat: true, assigns: []string{"viewer", "editor", "admin"}},
			"owner":  {rank: 100, admin: true, owner: true, assigns: []string{"viewer", "editor", "admin"}},
		},
		actions: map[string]mAction{
			"view_results":          {roles: all},
			"download_results":      {roles: all},
			"use_free_ai_tools":     {roles: all},
			"generate_video":        {roles: makers, cost: true},
			"generate_audio":        {roles: makers, cost: true},
			"video_projects":        {roles: makers},
			"export_video_projects": {roles: makers},
			"custom_elements":       {roles: makers},
			"add_remove_users":      {roles: managers},
			"change_user_role":      {roles: managers},
			"view_credit_spend":     {roles: managers},
			"change_name_logo":      {roles: []string{"owner"}},
			"change_billing":        {roles: []string{"owner"}, billing: true},
		},
		plans: map[string]mPlan{
			"pro": {roles: all, price: 3000},
		},
		ops: map[string]string{
			"invite": "add_remove_users", "remove": "add_remove_users", "change_role": "change_user_role",
			"view_spend": "view_credit_spend", "update_settings": "change_name_logo", "change_plan": "change_billing",
			"fund_credits": "change_billing",
		},
		ownership: "personal",
		creator:   "admin",
		defPlan:   "pro",
		convert:   true,
	}
}

// machinePolicy is a policy the machine runs on with its model.
type machinePolicy struct {
	name string
	p    *policy.Policy
	m    *mPolicy
}

// machinePolicies returns every policy the membership machine runs on: an
// owner in every workspace, only in personal ones, and none.
func machinePolicies(tb testing.TB) []machinePolicy {
	tb.Helper()
	return []machinePolicy{
		{"machine", loadMachinePolicy(tb), machineModel()},
		{"machine-personal", machineVariant(tb, "personal"), machineVariantModel("personal")},
		{"machine-none", machineVariant(tb, "none"), machineVariantModel("none")},
		{"machine-none-members", machineVariant(tb, "none-members"), machineVariantModel("none-members")},
		{"team-guests", loadPolicy(tb, "team-guests"), teamGuestsModel()},
		{"video-studio", loadPolicy(tb, "video-studio"), videoStudioModel()},
	}
}
