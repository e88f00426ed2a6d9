package policy_test

// The five seed pages in shared/seeds are the domain charter was designed from.
// Each has a policy file in testdata/policies; the tests here check that the
// compiled policy reproduces the page's published table cell by cell, and the
// rules of the page's prose that no table shows.
//
// The expected tables are written by hand from the pages' text, independently
// of the YAML: rows are found by their label (the action's description, which
// must be the page's wording) and columns by the page's role names. The
// Can/CanProject answers are then compared cell by cell.

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/workspace"
)

// seedTime is the fixed clock of every seed workspace.
var seedTime = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// seedProject is the project granted to guests of seed workspaces.
const seedProject = "p1"

// loadSeed loads testdata/policies/<name>.yaml at the module root.
func loadSeed(tb testing.TB, name string) *policy.Policy {
	tb.Helper()
	p, err := policy.LoadFile(filepath.Join("..", "testdata", "policies", name+".yaml"))
	if err != nil {
		tb.Fatalf("LoadFile(%s): %v", name, err)
	}
	return p
}

// seedMember is a member to add to a seed workspace. Guests get seedProject.
type seedMember struct {
	user, role string
}

// newSeedWorkspace returns a workspace of p on plan planName owned by owner,
// with members added.
func newSeedWorkspace(tb testing.TB, p *policy.Policy, id string, kind workspace.Kind, planName, owner string, members ...seedMember) *workspace.Workspace {
	tb.Helper()
	pl := p.Plan(planName)
	if pl == nil {
		tb.Fatalf("%s: no plan %q", p.Name(), planName)
	}
	r := p.CreatorRole(kind)
	if p.Ownership() == policy.OwnerPersonal {
		// The tables show the Owner: the workspace is the owner's original
		// one (shared by inviting into it, where kind is shared).
		r = p.OwnerRole()
	}
	ws, err := workspace.New(id, kind, pl, owner, r, seedTime)
	if err != nil {
		tb.Fatalf("workspace.New(%s, %s): %v", id, planName, err)
	}
	for _, m := range members {
		r := p.Role(m.role)
		if r == nil {
			tb.Fatalf("%s: no role %q", p.Name(), m.role)
		}
		var projects []string
		if r.Guest {
			projects = []string{seedProject}
		}
		if err := ws.Add(m.user, r, projects, seedTime); err != nil {
			tb.Fatalf("Add(%s, %s): %v", m.user, m.role, err)
		}
	}
	return ws
}

// actionByLabel returns the action of p whose description is label, a row
// label copied from a seed page.
func actionByLabel(tb testing.TB, p *policy.Policy, label string) *policy.Action {
	tb.Helper()
	for _, a := range p.Actions() {
		if a.Description == label {
			return a
		}
	}
	tb.Fatalf("%s: no action described %q", p.Name(), label)
	return nil
}

// seedTable is a permission table as a seed page publishes it: role columns
// and one row per capability, each cell a tick ("✅", "Yes") or not ("", "No").
type seedTable struct {
	columns []string // the page's role names, e.g. "Viewer"
	rows    []seedRow
	// complete means the page's table lists every action of the policy.
	complete bool
}

type seedRow struct {
	label string
	cells []string
}

// ticked reports whether a seed table cell grants the capability.
func ticked(cell string) bool {
	switch cell {
	case "✅", "Yes":
		return true
	case "", "❌", "No":
		return false
	}
	panic("unknown seed table cell " + cell)
}

// userOf names the member holding a seed column's role in seed workspaces:
// the role's name, lower-cased, which is also the user ID.
func userOf(column string) string { return strings.ToLower(column) }

// checkSeedTable checks every cell of tab against p on ws, in which each
// column's role is held by the user userOf(column). Project-scoped actions
// are checked on seedProject, the project guests were granted.
func checkSeedTable(t *testing.T, p *policy.Policy, ws *workspace.Workspace, tab seedTable) {
	t.Helper()
	for _, col := range tab.columns {
		m, ok := ws.Member(userOf(col))
		if !ok || m.Role != p.Role(userOf(col)) {
			t.Fatalf("seed workspace: %s does not hold role %s", userOf(col), userOf(col))
		}
	}
	if tab.complete && len(p.Actions()) != len(tab.rows) {
		t.Errorf("%s has %d actions, the page's table %d rows", p.Name(), len(p.Actions()), len(tab.rows))
	}
	for i, row := range tab.rows {
		t.Run(row.label, func(t *testing.T) {
			if len(row.cells) != len(tab.columns) {
				t.Fatalf("row %q has %d cells, want %d", row.label, len(row.cells), len(tab.columns))
			}
			a := actionByLabel(t, p, row.label)
			if tab.complete && a.Index != i {
				t.Errorf("action %s is row %d, the page has it at row %d", a.Name, a.Index, i)
			}
			for j, col := range tab.columns {
				user, want := userOf(col), ticked(row.cells[j])
				if a.Scope == policy.ScopeProject {
					if got := p.CanProject(user, a.Name, ws, seedProject); got != want {
						t.Errorf("CanProject(%q, %q, %q) = %t, want %t", user, a.Name, seedProject, got, want)
					}
					continue
				}
				if got := p.Can(user, a.Name, ws); got != want {
					t.Errorf("Can(%q, %q) = %t, want %t", user, a.Name, got, want)
				}
			}
		})
	}
}

// actionName returns a's name, or "<nil>".
func actionName(a *policy.Action) string {
	if a == nil {
		return "<nil>"
	}
	return a.Name
}

// roleNames returns the names of the roles of p, in order.
func roleNames(p *policy.Policy) []string {
	var names []string
	for _, r := range p.Roles() {
		names = append(names, r.Name)
	}
	return names
}

// --- Seed 000: Photoroom Spaces -------------------------------------------------

// TestSeedSpacesTable checks the page's bullet lists: "In a shared Space, team
// members can: ..." and "Admins are responsible for: ...", with the Space's
// creator ("The person who created the Space is an Admin") an Admin, and the
// Pro features on a Pro Space.
func TestSeedSpacesTable(t *testing.T) {
	p := loadSeed(t, "spaces")
	ws := newSeedWorkspace(t, p, "space-b", workspace.Shared, "pro", "admin",
		seedMember{"member", "member"})
	checkSeedTable(t, p, ws, seedTable{
		columns: []string{"Admin", "Member"},
		rows: []seedRow{
			{"Design together", []string{"✅", "✅"}},
			{"Add comments and useful feedback", []string{"✅", "✅"}},
			{"Make reusable assets", []string{"✅", "✅"}},
			{"Use free features", []string{"✅", "✅"}},
			{"Use Pro features", []string{"✅", "✅"}},
			{"Use AI features", []string{"✅", "✅"}},
			{"Invite people to join the Space", []string{"✅", ""}},
			{"Remove people from the Space", []string{"✅", ""}},
			{"Make other users Admins", []string{"✅", ""}},
			{"Upgrade the Space", []string{"✅", ""}},
			{"Manage payments", []string{"✅", ""}},
		},
		complete: true,
	})
}

// TestSeedSpacesOlivia is the page's example: "let's say we have a user
// 'Olivia', and she is a member of two spaces: Space A, which is a free Space;
// Space B, which is a Pro Space."
func TestSeedSpacesOlivia(t *testing.T) {
	p := loadSeed(t, "spaces")
	spaceA := newSeedWorkspace(t, p, "space-a", workspace.Shared, "free", "ana", seedMember{"olivia", "member"})
	spaceB := newSeedWorkspace(t, p, "space-b", workspace.Shared, "pro", "ben", seedMember{"olivia", "member"})
	pro := actionByLabel(t, p, "Use Pro features")
	free := actionByLabel(t, p, "Use free features")

	tests := []struct {
		name   string
		ws     *workspace.Workspace
		action string
		want   bool
		reason policy.Reason
	}{
		// "When Olivia works in Space A, she can only use the free features."
		{"space A free features", spaceA, free.Name, true, policy.Allowed},
		{"space A pro features", spaceA, pro.Name, false, policy.PlanLacksFeature},
		// "When Olivia switches to Space B, she has access to Pro features"
		{"space B free features", spaceB, free.Name, true, policy.Allowed},
		{"space B pro features", spaceB, pro.Name, true, policy.Allowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Can("olivia", tt.action, tt.ws); got != tt.want {
				t.Errorf("Can(%q, %q) = %t, want %t", "olivia", tt.action, got, tt.want)
			}
			d := p.Decide("olivia", tt.action, tt.ws, "")
			if d.Allowed != tt.want || d.Reason != tt.reason {
				t.Errorf("Decide(%q, %q) = %v (%v), want %t (%v)", "olivia", tt.action, d.Allowed, d.Reason, tt.want, tt.reason)
			}
		})
	}

	// "She is also limited to the low amount of AI credits that are provided to
	// free Spaces." vs "she has access to Pro features, with Pro AI credits."
	freeGrant, okFree := p.Plan("free").Grant("ai_credits")
	proGrant, okPro := p.Plan("pro").Grant("ai_credits")
	if !okFree || !okPro {
		t.Fatalf("free and pro grant ai_credits: free %t, pro %t", okFree, okPro)
	}
	if freeGrant.Amount >= proGrant.Amount {
		t.Errorf("free grants %d ai_credits, pro %d: want pro > free", freeGrant.Amount, proGrant.Amount)
	}
	// "If the Space runs out of credits, the AI features will be unavailable
	// to use. The Admin can upgrade the plan ... or wait until the AI credits
	// reset." A reset each period: nothing carries over.
	for _, g := range []plan.Grant{freeGrant, proGrant} {
		if g.Every.IsZero() || g.Rollover.Kind != plan.RolloverNone {
			t.Errorf("ai_credits grant every %v rollover %v, want a periodic reset", g.Every, g.Rollover)
		}
	}
}

// TestSeedSpacesProse checks the rest of the page.
func TestSeedSpacesProse(t *testing.T) {
	p := loadSeed(t, "spaces")

	// "If you share your Personal Space, you will no longer have a Space that's
	// private." Inviting into a personal Space converts it.
	if got := p.Sharing(); got != policy.SharingConvert {
		t.Errorf("Sharing() = %v, want %v", got, policy.SharingConvert)
	}
	// "When you first sign up to Photoroom, you get your own Space" — free.
	if got := p.DefaultPlan().Name; got != "free" {
		t.Errorf("DefaultPlan() = %s, want free", got)
	}
	// "Each Space has at least one Admin. The person who created the Space is
	// an Admin for that Space": no owner, the creator an Admin in both kinds.
	if o := p.OwnerRole(); o != nil || p.Ownership() != policy.OwnerNone {
		t.Errorf("OwnerRole() = %v, Ownership() = %v; want none", o, p.Ownership())
	}
	for _, k := range []workspace.Kind{workspace.Personal, workspace.Shared} {
		if r := p.CreatorRole(k); r != p.Role("admin") {
			t.Errorf("CreatorRole(%v) = %v, want admin", k, r)
		}
	}
	// "There is no extra cost to you if people join your Space."
	for _, r := range p.Roles() {
		if r.Seat {
			t.Errorf("role %s takes a paid seat", r.Name)
		}
	}
	for _, pl := range p.Plans() {
		if pl.SeatPrice != (plan.Price{}) {
			t.Errorf("plan %s has seat price %+v", pl.Name, pl.SeatPrice)
		}
	}
	// "Each time any team member uses an AI feature, it costs AI credits."
	if c := actionByLabel(t, p, "Use AI features").Cost; c.Currency != "ai_credits" || c.Amount <= 0 {
		t.Errorf("Use AI features costs %+v, want ai_credits", c)
	}
	for _, r := range p.Roles() {
		if !r.Spends {
			t.Errorf("role %s may not spend AI credits", r.Name)
		}
	}
	// "Admins are responsible for: Inviting people ... Removing people ...
	// Upgrading the Space".
	ops := []struct {
		op    policy.Op
		label string
	}{
		{policy.OpInvite, "Invite people to join the Space"},
		{policy.OpRemove, "Remove people from the Space"},
		{policy.OpChangeRole, "Make other users Admins"},
		{policy.OpChangePlan, "Upgrade the Space"},
	}
	for _, tt := range ops {
		if a := p.Operation(tt.op); a == nil || a.Description != tt.label {
			t.Errorf("Operation(%v) = %s, want the action %q", tt.op, actionName(a), tt.label)
		}
	}
	// Upgrading and "Managing payments" are billing: admins only.
	for _, label := range []string{"Upgrade the Space", "Manage payments"} {
		if !actionByLabel(t, p, label).Billing {
			t.Errorf("%q is not a billing action", label)
		}
	}
}

// --- Seed 001: video studio ------------------------------------------------------

// TestSeedVideoStudioTable checks the page's permission table, read with the
// ticks right-aligned as its prose describes ("Viewers can view and download
// results and assets", "Editors can access, generate results, upload assets",
// "Admins can adjust workspace roles"; the last two rows are the Owner's).
func TestSeedVideoStudioTable(t *testing.T) {
	p := loadSeed(t, "video-studio")
	ws := newSeedWorkspace(t, p, "studio", workspace.Shared, "pro", "owner",
		seedMember{"viewer", "viewer"}, seedMember{"editor", "editor"}, seedMember{"admin", "admin"})
	checkSeedTable(t, p, ws, seedTable{
		columns: []string{"Viewer", "Editor", "Admin", "Owner"},
		rows: []seedRow{
			{"View results and assets", []string{"✅", "✅", "✅", "✅"}},
			{"Download results and assets", []string{"✅", "✅", "✅", "✅"}},
			{"Use AI tools that do not require credits", []string{"✅", "✅", "✅", "✅"}},
			{"Generate Video", []string{"", "✅", "✅", "✅"}},
			{"Generate Audio", []string{"", "✅", "✅", "✅"}},
			{"Create and use Video Projects", []string{"", "✅", "✅", "✅"}},
			{"Export Video Projects", []string{"", "✅", "✅", "✅"}},
			{"Create, share and delete custom elements", []string{"", "✅", "✅", "✅"}},
			{"Add/Remove users to workspace", []string{"", "", "✅", "✅"}},
			{"Change user role", []string{"", "", "✅", "✅"}},
			{"View credit spend table", []string{"", "", "✅", "✅"}},
			{"Change Workspace Name/Logo", []string{"", "", "", "✅"}},
			{"Change billing information", []string{"", "", "", "✅"}},
		},
		complete: true,
	})
	// The matrix's columns are the page's, in its order.
	want := []string{"viewer", "editor", "admin", "owner"}
	if got := roleNames(p); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("roles = %v, want %v", got, want)
	}
}

// TestSeedVideoStudioSeats checks "Invitation charges": "All added admins and
// editors are subject to an additional charge upon invitation. The charge is
// equivalent to the rate paid by the initial workspace owner."
func TestSeedVideoStudioSeats(t *testing.T) {
	p := loadSeed(t, "video-studio")
	seats := []struct {
		role string
		want bool
	}{
		{"admin", true},
		{"editor", true},
		{"viewer", false},
		// The owner pays the plan itself, not an added seat.
		{"owner", false},
	}
	for _, tt := range seats {
		if got := p.Role(tt.role).Seat; got != tt.want {
			t.Errorf("role %s Seat = %t, want %t", tt.role, got, tt.want)
		}
	}
	// "if the owner pays $30 a month for a PRO Plan, any added admins or
	// editors will also be charged $30/month (per added member)".
	want := plan.Price{Amount: 3000, Currency: "USD", Every: plan.Monthly}
	if got := p.Plan("pro").SeatPrice; got != want {
		t.Errorf("pro SeatPrice = %+v, want %+v", got, want)
	}
	ws := newSeedWorkspace(t, p, "studio", workspace.Shared, "pro", "owner",
		seedMember{"v", "viewer"}, seedMember{"e", "editor"}, seedMember{"a", "admin"})
	if got := ws.Counts().Seats; got != 2 {
		t.Errorf("seats with one viewer, one editor, one admin = %d, want 2", got)
	}
}

// TestSeedVideoStudioOwner checks "Owner is only assigned to you in your
// original, default workspace. Owners cannot be removed from their workspace.
// This role cannot be assigned".
func TestSeedVideoStudioOwner(t *testing.T) {
	p := loadSeed(t, "video-studio")
	owner := p.OwnerRole()
	if owner.Name != "owner" {
		t.Fatalf("OwnerRole() = %s, want owner", owner.Name)
	}
	// "Owner is only assigned to you in your original, default workspace":
	// the creator of a personal workspace owns it, of any other is an Admin.
	if p.Ownership() != policy.OwnerPersonal || p.CreatorRole(workspace.Personal) != owner || p.CreatorRole(workspace.Shared) != p.Role("admin") {
		t.Errorf("Ownership() = %v, creators %v (personal), %v (shared); want personal, owner, admin",
			p.Ownership(), p.CreatorRole(workspace.Personal), p.CreatorRole(workspace.Shared))
	}
	for _, r := range p.Roles() {
		if r.MayAssign(owner) {
			t.Errorf("%s.MayAssign(owner) = true, want false", r.Name)
		}
	}
	// "Admins can adjust workspace roles".
	admin := p.Role("admin")
	for _, to := range []string{"viewer", "editor", "admin"} {
		if !admin.MayAssign(p.Role(to)) {
			t.Errorf("admin.MayAssign(%s) = false, want true", to)
		}
	}
	for _, from := range []string{"viewer", "editor"} {
		for _, to := range []string{"viewer", "editor", "admin"} {
			if p.Role(from).MayAssign(p.Role(to)) {
				t.Errorf("%s.MayAssign(%s) = true, want false", from, to)
			}
		}
	}
	// No transfer on this page: the operation is unmapped, denied to all.
	if a := p.Operation(policy.OpTransferOwnership); a != nil {
		t.Errorf("Operation(transfer_ownership) = %s, want unmapped", a.Name)
	}
	ws := newSeedWorkspace(t, p, "studio", workspace.Shared, "pro", "owner", seedMember{"a", "admin"})
	if _, err := ws.Remove("owner"); err == nil {
		t.Errorf("Remove(owner) succeeded: owners cannot be removed")
	}
	// Viewers only "Use AI tools that do not require credits".
	if p.Role("viewer").Spends {
		t.Errorf("viewer Spends = true, want false")
	}
	for _, label := range []string{"Generate Video", "Generate Audio"} {
		if c := actionByLabel(t, p, label).Cost; c.IsZero() {
			t.Errorf("%q is free, want a credit cost", label)
		}
	}
	if c := actionByLabel(t, p, "Use AI tools that do not require credits").Cost; !c.IsZero() {
		t.Errorf("free AI tools cost %+v", c)
	}
}

// --- Seed 002: coins ---------------------------------------------------------------

// TestSeedCoinsTable checks the "Workspace Members & Roles" table, Role |
// Permissions, turned into one row per permission the page names:
//
//	Owner        Full control: manage workspace, members, assets, transactions,
//	             and delete the workspace.
//	Admin        Manage workspace, members, and transactions. Cannot delete the
//	             workspace.
//	Collaborator Can create and access workspace files. Cannot manage
//	             workspace, members, or transactions.
//
// Assets: the Admin manages the workspace, which is where "users manage
// graphics files, assets, and coin transactions".
func TestSeedCoinsTable(t *testing.T) {
	p := loadSeed(t, "coins")
	ws := newSeedWorkspace(t, p, "shared", workspace.Shared, "enterprise", "owner",
		seedMember{"admin", "admin"}, seedMember{"collaborator", "collaborator"})
	checkSeedTable(t, p, ws, seedTable{
		columns: []string{"Owner", "Admin", "Collaborator"},
		rows: []seedRow{
			{"Create workspace files", []string{"✅", "✅", "✅"}},
			{"Access workspace files", []string{"✅", "✅", "✅"}},
			{"Manage assets", []string{"✅", "✅", ""}},
			{"Manage workspace", []string{"✅", "✅", ""}},
			{"Manage members", []string{"✅", "✅", ""}},
			{"Manage transactions", []string{"✅", "✅", ""}},
			{"Delete the workspace", []string{"✅", "", ""}},
		},
		complete: true,
	})
}

// TestSeedCoinsTransactions checks "Coins and Transactions": "They can be
// earned, or spent in shared workspaces (but not in Personal workspace). New
// shared workspaces start with 5 coins. ... Workspace Owners and Admins can
// manage coin transactions."
func TestSeedCoinsTransactions(t *testing.T) {
	p := loadSeed(t, "coins")
	coins := p.Operation(policy.OpManageCoins)
	if coins == nil {
		t.Fatal("Operation(manage_coins) is unmapped")
	}
	personal := newSeedWorkspace(t, p, "personal", workspace.Personal, "enterprise", "owner")
	shared := newSeedWorkspace(t, p, "shared", workspace.Shared, "enterprise", "owner",
		seedMember{"admin", "admin"}, seedMember{"collaborator", "collaborator"})

	tests := []struct {
		name   string
		user   string
		ws     *workspace.Workspace
		want   bool
		reason policy.Reason
	}{
		{"owner in personal", "owner", personal, false, policy.WrongKind},
		{"owner in shared", "owner", shared, true, policy.Allowed},
		{"admin in shared", "admin", shared, true, policy.Allowed},
		{"collaborator in shared", "collaborator", shared, false, policy.RoleLacksAction},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := coins.Can(tt.user, tt.ws); got != tt.want {
				t.Errorf("Can(%q, %q) = %t, want %t", tt.user, coins.Name, got, tt.want)
			}
			if d := coins.Decide(tt.user, tt.ws, ""); d.Reason != tt.reason {
				t.Errorf("Decide(%q, %q).Reason = %v, want %v", tt.user, coins.Name, d.Reason, tt.reason)
			}
		})
	}
	// Every action about coins exists only in shared workspaces.
	if coins.Kinds.Has(workspace.Personal) || !coins.Kinds.Has(workspace.Shared) {
		t.Errorf("%s kinds = %v, want shared only", coins.Name, coins.Kinds)
	}

	c := p.Currency("coins")
	if c == nil {
		t.Fatal("no currency coins")
	}
	if c.Initial != 5 {
		t.Errorf("coins Initial = %d, want 5", c.Initial)
	}
	if c.Kinds.Has(workspace.Personal) || !c.Kinds.Has(workspace.Shared) {
		t.Errorf("coins Kinds = %v, want shared only", c.Kinds)
	}
	// The Collaborator cannot "access transactions"; Owners and Admins trade.
	for _, tt := range []struct {
		role string
		want bool
	}{{"owner", true}, {"admin", true}, {"collaborator", false}} {
		if got := p.Role(tt.role).Spends; got != tt.want {
			t.Errorf("role %s Spends = %t, want %t", tt.role, got, tt.want)
		}
	}
}

// TestSeedCoinsLicences checks the "License Type | Workspaces Available" table
// and "Adding Members Based on License".
func TestSeedCoinsLicences(t *testing.T) {
	p := loadSeed(t, "coins")
	tests := []struct {
		licence          string
		sharedWorkspaces plan.Limit
		members          plan.Limit
	}{
		// "Free License | 1 Personal Workspace"
		{"free", 0, 1},
		// "Individual License | 1 Personal Workspace + 1 Shared Workspace"
		{"individual", 1, 1},
		// "Business License | ... + 1 Shared Workspace (with 1 additional member)"
		{"business", 1, 2},
		// "Enterprise License | ... + Unlimited Shared Workspaces" and
		// "Can add unlimited members to each shared workspace."
		{"enterprise", plan.Unlimited, plan.Unlimited},
	}
	for _, tt := range tests {
		t.Run(tt.licence, func(t *testing.T) {
			pl := p.Plan(tt.licence)
			if pl == nil {
				t.Fatalf("no plan %q", tt.licence)
			}
			if got := pl.Limits.SharedWorkspaces; got != tt.sharedWorkspaces {
				t.Errorf("%s SharedWorkspaces = %d, want %d", tt.licence, got, tt.sharedWorkspaces)
			}
			if got := pl.Limits.Members; got != tt.members {
				t.Errorf("%s Members = %d, want %d", tt.licence, got, tt.members)
			}
		})
	}
	if got := p.DefaultPlan().Name; got != "free" {
		t.Errorf("DefaultPlan() = %s, want free", got)
	}
	// "Private Workspaces are individual-only".
	if got := p.Sharing(); got != policy.SharingDeny {
		t.Errorf("Sharing() = %v, want %v", got, policy.SharingDeny)
	}
	// "The Admin cannot delete the workspace": the owner alone.
	if a := p.Operation(policy.OpDeleteWorkspace); a == nil || a.Allowed != p.OwnerRole().Bit() {
		t.Errorf("Operation(delete_workspace) = %s, want an action allowed to the owner alone", actionName(a))
	}
}

// --- Seed 003: team workspaces with guests --------------------------------------------

// TestSeedTeamGuestsTable checks the three role lists of the page ("✅" / "❌"
// bullets for Admin, Member, Guest), on a Business workspace, where all three
// roles exist. The Invite bullet is split in two: Members "Invite (but not
// remove) members".
func TestSeedTeamGuestsTable(t *testing.T) {
	p := loadSeed(t, "team-guests")
	ws := newSeedWorkspace(t, p, "team", workspace.Shared, "business", "creator",
		seedMember{"admin", "admin"}, seedMember{"member", "member"}, seedMember{"guest", "guest"})
	checkSeedTable(t, p, ws, seedTable{
		columns: []string{"Admin", "Member", "Guest"},
		rows: []seedRow{
			{"Browse, preview, and join any visible projects in the workspace", []string{"✅", "✅", "❌"}},
			{"Create new projects in the workspace", []string{"✅", "✅", "❌"}},
			{"Invite members to the workspace", []string{"✅", "✅", "❌"}},
			{"Remove members from the workspace", []string{"✅", "❌", "❌"}},
			{"Update roles for other members in the workspace", []string{"✅", "❌", "❌"}},
			{"Update the workspace-wide settings", []string{"✅", "❌", "❌"}},
			{"Delete the workspace permanently", []string{"✅", "❌", "❌"}},
			{"Control workspace billing", []string{"✅", "❌", "❌"}},
			{"Have ownership over the data added in the workspace", []string{"✅", "❌", "❌"}},
			// From the prose: guests "need to be invited to projects explicitly to
			// be given access" and are "added as a collaborator of the project".
			{"Open a project", []string{"✅", "✅", "✅"}},
			{"Collaborate on a project", []string{"✅", "✅", "✅"}},
			// "Select a project that you want to share with a guest".
			{"Share a project with a guest", []string{"✅", "✅", "❌"}},
		},
	})
}

// TestSeedTeamGuestsOwner checks "A team workspace may have multiple admins.
// A person who creates a team workspace is automatically set as admin": no
// owner role, nothing to transfer, and the creator an admin.
func TestSeedTeamGuestsOwner(t *testing.T) {
	p := loadSeed(t, "team-guests")
	if o := p.OwnerRole(); o != nil || p.Ownership() != policy.OwnerNone {
		t.Errorf("OwnerRole() = %v, Ownership() = %v; want none", o, p.Ownership())
	}
	if r := p.CreatorRole(workspace.Shared); r != p.Role("admin") {
		t.Errorf("CreatorRole(shared) = %v, want admin", r)
	}
	if a := p.Operation(policy.OpTransferOwnership); a != nil {
		t.Errorf("transfer_ownership mapped to %s; the page has no owner", a.Name)
	}
}

// TestSeedTeamGuestsPlans checks "Member (Business plan only)", "On the Starter
// plan, everyone invited to a workspace is set as admin" and the invite link:
// "They will be added as a Member (on the Business plan) or as an Admin (on the
// Starter plan)."
func TestSeedTeamGuestsPlans(t *testing.T) {
	p := loadSeed(t, "team-guests")
	starter, business := p.Plan("starter"), p.Plan("business")
	member, admin, guest := p.Role("member"), p.Role("admin"), p.Role("guest")

	offers := []struct {
		plan string
		role string
		want bool
	}{
		{"starter", "member", false},
		{"starter", "admin", true},
		{"starter", "guest", true},
		{"business", "member", true},
		{"business", "admin", true},
		{"business", "guest", true},
	}
	for _, tt := range offers {
		if got := p.Plan(tt.plan).Offers(p.Role(tt.role)); got != tt.want {
			t.Errorf("Plan(%q).Offers(%s) = %t, want %t", tt.plan, tt.role, got, tt.want)
		}
	}
	if starter.InviteRole != admin {
		t.Errorf("starter InviteRole = %v, want admin", starter.InviteRole)
	}
	if starter.LinkRole != admin {
		t.Errorf("starter LinkRole = %v, want admin", starter.LinkRole)
	}
	if business.LinkRole != member {
		t.Errorf("business LinkRole = %v, want member", business.LinkRole)
	}
	// "Enter the person(s) email address and select the role (Admin or Member)".
	if business.InviteRole != nil {
		t.Errorf("business InviteRole = %v, want none (the inviter selects)", business.InviteRole)
	}
	// A Starter workspace refuses a Member.
	ws := newSeedWorkspace(t, p, "starter", workspace.Shared, "starter", "creator")
	if err := ws.Add("m", member, nil, seedTime); err == nil {
		t.Errorf("Add(member) on starter succeeded, want an error")
	}

	// "Guests are free of charge and won't appear on your invoice."
	if guest.Seat {
		t.Errorf("guest Seat = true, want false")
	}
	for _, r := range []string{"admin", "member"} {
		if !p.Role(r).Seat {
			t.Errorf("%s Seat = false, want true", r)
		}
	}

	// "Members may invite but not remove"; "Only Admins can remove members";
	// "Only Admins can change roles."
	bws := newSeedWorkspace(t, p, "business", workspace.Shared, "business", "creator",
		seedMember{"admin", "admin"}, seedMember{"member", "member"}, seedMember{"guest", "guest"})
	ops := []struct {
		op   policy.Op
		user string
		want bool
	}{
		{policy.OpInvite, "admin", true},
		{policy.OpInvite, "member", true},
		{policy.OpInvite, "guest", false},
		{policy.OpRemove, "admin", true},
		{policy.OpRemove, "member", false},
		{policy.OpChangeRole, "admin", true},
		{policy.OpChangeRole, "member", false},
		{policy.OpDeleteWorkspace, "admin", true},
		{policy.OpDeleteWorkspace, "member", false},
	}
	for _, tt := range ops {
		a := p.Operation(tt.op)
		if got := a.Can(tt.user, bws); got != tt.want {
			t.Errorf("Can(%q, %q) [%v] = %t, want %t", tt.user, actionName(a), tt.op, got, tt.want)
		}
	}
	if got := p.Operation(policy.OpInviteGuest).CanProject("member", bws, seedProject); !got {
		t.Errorf("member may not share a project with a guest")
	}
	// A member may invite members and guests, never admins.
	if member.MayAssign(admin) || !member.MayAssign(member) || !member.MayAssign(guest) {
		t.Errorf("member assigns admin %t, member %t, guest %t; want false, true, true",
			member.MayAssign(admin), member.MayAssign(member), member.MayAssign(guest))
	}
	// "Guests can be promoted to full members of the workspace by admins."
	if !admin.MayAssign(member) || !admin.MayManage(guest) {
		t.Errorf("admin cannot promote a guest to member")
	}
}

// TestSeedTeamGuestsGuest checks "A Guest is a person outside the workspace
// who's invited to specific project(s) in the workspace. They do not have
// access to a workspace as a whole" and "How to disable guest access".
func TestSeedTeamGuestsGuest(t *testing.T) {
	p := loadSeed(t, "team-guests")
	for _, planName := range []string{"starter", "business"} {
		t.Run(planName, func(t *testing.T) {
			ws := newSeedWorkspace(t, p, "team", workspace.Shared, planName, "creator",
				seedMember{"admin", "admin"}, seedMember{"guest", "guest"})
			view := actionByLabel(t, p, "Open a project")
			collab := actionByLabel(t, p, "Collaborate on a project")
			for _, a := range []*policy.Action{view, collab} {
				projects := []struct {
					project string
					want    bool
					reason  policy.Reason
				}{
					{seedProject, true, policy.Allowed},
					{"p2", false, policy.GuestNotOnProject},
					{"", false, policy.GuestNotOnProject},
				}
				for _, tt := range projects {
					if got := p.CanProject("guest", a.Name, ws, tt.project); got != tt.want {
						t.Errorf("CanProject(%q, %q, %q) = %t, want %t", "guest", a.Name, tt.project, got, tt.want)
					}
					if d := p.Decide("guest", a.Name, ws, tt.project); d.Reason != tt.reason {
						t.Errorf("Decide(%q, %q, %q).Reason = %v, want %v", "guest", a.Name, tt.project, d.Reason, tt.reason)
					}
				}
				// Can without a project: guests are denied.
				if got := p.Can("guest", a.Name, ws); got {
					t.Errorf("Can(%q, %q) = %t, want %t", "guest", a.Name, got, false)
				}
				// Admins reach every project.
				if got := p.CanProject("admin", a.Name, ws, "p2"); !got {
					t.Errorf("CanProject(%q, %q, %q) = %t, want %t", "admin", a.Name, "p2", got, true)
				}
			}
			// A guest is denied every workspace-level row.
			for _, a := range p.Actions() {
				if a.Scope != policy.ScopeWorkspace {
					continue
				}
				if got := p.Can("guest", a.Name, ws); got {
					t.Errorf("Can(%q, %q) = %t, want %t", "guest", a.Name, got, false)
				}
				if got := p.CanProject("guest", a.Name, ws, seedProject); got {
					t.Errorf("CanProject(%q, %q, %q) = %t, want %t", "guest", a.Name, seedProject, got, false)
				}
			}
			// "Guest access ... can be disabled": a disabled workspace denies
			// the guest even on its project.
			ws.Settings.GuestsDisabled = true
			for _, a := range []*policy.Action{view, collab} {
				if got := p.CanProject("guest", a.Name, ws, seedProject); got {
					t.Errorf("GuestsDisabled: CanProject(%q, %q, %q) = %t, want %t", "guest", a.Name, seedProject, got, false)
				}
				if d := p.Decide("guest", a.Name, ws, seedProject); d.Reason != policy.GuestsDisabled {
					t.Errorf("GuestsDisabled: Decide(%q, %q).Reason = %v, want %v", "guest", a.Name, d.Reason, policy.GuestsDisabled)
				}
				if got := p.CanProject("admin", a.Name, ws, seedProject); !got {
					t.Errorf("GuestsDisabled: CanProject(%q, %q, %q) = %t, want %t", "admin", a.Name, seedProject, got, true)
				}
			}
		})
	}
}

// TestSeedTeamGuestsToggle checks "Guest access is enabled by default, but can
// be disabled on the Business plan by workspace admins".
func TestSeedTeamGuestsToggle(t *testing.T) {
	p := loadSeed(t, "team-guests")
	toggle := p.Operation(policy.OpGuestAccess)
	if toggle == nil || toggle.Description != "Disable guests" {
		t.Fatalf("Operation(guest_access) = %s, want the Disable guests action", actionName(toggle))
	}
	// "Update the workspace-wide settings" is every admin's, on any plan.
	if a := p.Operation(policy.OpUpdateSettings); a == nil || a.Name != "update_settings" || a.Feature != 0 {
		t.Fatalf("Operation(update_settings) = %s, want the plan-free update_settings action", actionName(a))
	}
	starter := newSeedWorkspace(t, p, "starter", workspace.Shared, "starter", "creator", seedMember{"admin", "admin"})
	business := newSeedWorkspace(t, p, "business", workspace.Shared, "business", "creator",
		seedMember{"admin", "admin"}, seedMember{"member", "member"})
	if starter.Settings.GuestsDisabled || business.Settings.GuestsDisabled {
		t.Errorf("guest access is disabled in a new workspace, want enabled by default")
	}
	tests := []struct {
		name   string
		user   string
		ws     *workspace.Workspace
		want   bool
		reason policy.Reason
	}{
		{"starter admin", "admin", starter, false, policy.PlanLacksFeature},
		{"starter creator", "creator", starter, false, policy.PlanLacksFeature},
		{"business admin", "admin", business, true, policy.Allowed},
		{"business creator", "creator", business, true, policy.Allowed},
		{"business member", "member", business, false, policy.RoleLacksAction},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := toggle.Can(tt.user, tt.ws); got != tt.want {
				t.Errorf("Can(%q, %q) = %t, want %t", tt.user, toggle.Name, got, tt.want)
			}
			if d := toggle.Decide(tt.user, tt.ws, ""); d.Reason != tt.reason {
				t.Errorf("Decide(%q, %q).Reason = %v, want %v", tt.user, toggle.Name, d.Reason, tt.reason)
			}
		})
	}
}

// --- Seed 004: credit pool -----------------------------------------------------------

// TestSeedCreditPoolTable checks the page's 13-row "The Four Roles" table.
func TestSeedCreditPoolTable(t *testing.T) {
	p := loadSeed(t, "credit-pool")
	ws := newSeedWorkspace(t, p, "team", workspace.Shared, "team", "owner",
		seedMember{"admin", "admin"}, seedMember{"editor", "editor"}, seedMember{"reviewer", "reviewer"})
	checkSeedTable(t, p, ws, seedTable{
		columns: []string{"Owner", "Admin", "Editor", "Reviewer"},
		rows: []seedRow{
			{"Create visuals", []string{"Yes", "Yes", "Yes", "No"}},
			{"Use shared brands & styles", []string{"Yes", "Yes", "Yes", "No"}},
			{"View all workspace visuals", []string{"Yes", "Yes", "Yes", "Yes"}},
			{"Download visuals", []string{"Yes", "Yes", "Yes", "Yes"}},
			{"Edit images", []string{"Yes", "Yes", "Yes", "No"}},
			{"Invite & remove members", []string{"Yes", "Yes", "No", "No"}},
			{"Manage credit pool", []string{"Yes", "Yes", "No", "No"}},
			{"Set member allowances", []string{"Yes", "Yes", "No", "No"}},
			{"Create & manage projects", []string{"Yes", "Yes", "No", "No"}},
			{"Change member roles", []string{"Yes", "Yes", "No", "No"}},
			{"Edit workspace settings", []string{"Yes", "Yes", "No", "No"}},
			{"Transfer ownership", []string{"Yes", "No", "No", "No"}},
			{"Delete workspace", []string{"Yes", "No", "No", "No"}},
		},
		complete: true,
	})
}

// TestSeedCreditPoolCredits checks "Reviewers ... don't get credit allowances
// because they can't generate", "Editors ... work within their credit
// allowance" and "Admins ... fund the credit pool, set credit allowances".
func TestSeedCreditPoolCredits(t *testing.T) {
	p := loadSeed(t, "credit-pool")
	reviewer := p.Role("reviewer")
	if reviewer.Spends {
		t.Errorf("reviewer Spends = true, want false")
	}
	for _, r := range []string{"owner", "admin", "editor"} {
		if !p.Role(r).Spends {
			t.Errorf("%s Spends = false, want true", r)
		}
	}
	for _, a := range p.Actions() {
		if !a.Cost.IsZero() && a.Allowed.Has(reviewer) {
			t.Errorf("reviewer is allowed %s, which costs %+v", a.Name, a.Cost)
		}
	}
	for _, op := range []policy.Op{policy.OpFundCredits, policy.OpSetAllowance, policy.OpViewSpend} {
		a := p.Operation(op)
		if a == nil {
			t.Errorf("Operation(%v) is unmapped", op)
			continue
		}
		if a.Allowed.Has(reviewer) {
			t.Errorf("Operation(%v) = %s allows reviewer", op, a.Name)
		}
		if a.Allowed.Has(p.Role("editor")) {
			t.Errorf("Operation(%v) = %s allows editor: editors can't manage credits", op, a.Name)
		}
	}
	if a := actionByLabel(t, p, "Create visuals"); a.Cost.Currency != "credits" || a.Cost.Amount <= 0 {
		t.Errorf("Create visuals costs %+v, want credits", a.Cost)
	}
	g, ok := p.DefaultPlan().Grant("credits")
	if !ok {
		t.Fatal("default plan has no credits")
	}
	if !g.RequireAllowance {
		t.Errorf("credits RequireAllowance = false, want true")
	}
}

// TestSeedCreditPoolOwnership checks "Only the current owner can do this, and
// the target must already be an admin", "The only things an admin can't do are
// transfer ownership and delete the workspace" and "The previous owner becomes
// an admin".
func TestSeedCreditPoolOwnership(t *testing.T) {
	p := loadSeed(t, "credit-pool")
	owner := p.OwnerRole()
	for _, op := range []policy.Op{policy.OpTransferOwnership, policy.OpDeleteWorkspace} {
		a := p.Operation(op)
		if a == nil {
			t.Errorf("Operation(%v) is unmapped", op)
			continue
		}
		if a.Allowed != owner.Bit() {
			t.Errorf("Operation(%v) = %s allowed to %v, want owner only", op, a.Name, a.Allowed.Names(p.Roles()))
		}
	}
	ws := newSeedWorkspace(t, p, "team", workspace.Shared, "team", "olga",
		seedMember{"adam", "admin"}, seedMember{"eve", "editor"})
	transfer := p.Operation(policy.OpTransferOwnership)
	if transfer == nil {
		t.Fatal("Operation(transfer_ownership) is unmapped")
	}
	for _, tt := range []struct {
		user string
		want bool
	}{{"olga", true}, {"adam", false}, {"eve", false}} {
		if got := transfer.Can(tt.user, ws); got != tt.want {
			t.Errorf("Can(%q, %q) = %t, want %t", tt.user, transfer.Name, got, tt.want)
		}
	}
	if err := ws.Transfer("eve", seedTime); err == nil {
		t.Errorf("Transfer(editor) succeeded: the target must already be an admin")
	}
	if err := ws.Transfer("adam", seedTime); err != nil {
		t.Fatalf("Transfer(admin): %v", err)
	}
	if m, _ := ws.Member("olga"); m.Role != p.Role("admin") {
		t.Errorf("previous owner holds %v, want admin", m.Role)
	}
	if got := transfer.Can("adam", ws); !got {
		t.Errorf("Can(%q, %q) = %t, want %t", "adam", transfer.Name, got, true)
	}
	if got := transfer.Can("olga", ws); got {
		t.Errorf("Can(%q, %q) = %t, want %t", "olga", transfer.Name, got, false)
	}
}

// TestSeedCreditPoolAssign checks "Changing Roles": "Owners and admins can
// change any member's role" and "You can't change the owner's role directly".
func TestSeedCreditPoolAssign(t *testing.T) {
	p := loadSeed(t, "credit-pool")
	tests := []struct {
		from, to string
		want     bool
	}{
		{"owner", "admin", true},
		{"owner", "editor", true},
		{"owner", "reviewer", true},
		{"owner", "owner", false},
		{"admin", "admin", true},
		{"admin", "editor", true},
		{"admin", "reviewer", true},
		{"admin", "owner", false},
		{"editor", "editor", false},
		{"editor", "reviewer", false},
		{"reviewer", "reviewer", false},
	}
	for _, tt := range tests {
		if got := p.Role(tt.from).MayAssign(p.Role(tt.to)); got != tt.want {
			t.Errorf("%s.MayAssign(%s) = %t, want %t", tt.from, tt.to, got, tt.want)
		}
	}
	// Nobody manages the owner's membership.
	for _, r := range p.Roles() {
		if r.MayManage(p.OwnerRole()) {
			t.Errorf("%s.MayManage(owner) = true, want false", r.Name)
		}
	}
	// "Admins fund the credit pool" — a billing action, owner and admin only.
	if a := actionByLabel(t, p, "Manage credit pool"); !a.Billing {
		t.Errorf("Manage credit pool is not a billing action")
	}
}
