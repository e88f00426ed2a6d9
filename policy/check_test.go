package policy

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charterhq/charter/workspace"
)

// docExample returns the example policy of the package documentation, so
// that the documentation cannot drift from what Load accepts.
func docExample(tb testing.TB) []byte {
	tb.Helper()
	src, err := os.ReadFile("doc.go")
	if err != nil {
		tb.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(src), "// # Example\n")
	rest, _, ok2 := strings.Cut(rest, "// # The check\n")
	if !ok || !ok2 {
		tb.Fatal("doc.go: no # Example section")
	}
	var b strings.Builder
	for _, line := range strings.Split(rest, "\n") {
		if y, ok := strings.CutPrefix(line, "//\t"); ok {
			b.WriteString(y + "\n")
		}
	}
	return []byte(b.String())
}

func loadDocExample(tb testing.TB) *Policy {
	tb.Helper()
	p, err := Load("studio.yaml", docExample(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// studioWorkspace is a shared workspace of the doc example on planName with
// an owner, an admin, an editor and a guest on project p1.
func studioWorkspace(tb testing.TB, p *Policy, planName string) *workspace.Workspace {
	tb.Helper()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ws, err := workspace.New("w1", workspace.Shared, p.Plan(planName), "own", p.OwnerRole(), now)
	if err != nil {
		tb.Fatal(err)
	}
	add := func(user, roleName string, projects ...string) {
		r := p.Role(roleName)
		if !p.Plan(planName).Offers(r) {
			// Members of roles the plan does not offer are written
			// directly: the check must deny them anyway.
			ws.Put(workspace.Member{User: user, Role: r, Projects: projects, Joined: now})
			return
		}
		if err := ws.Add(user, r, projects, now); err != nil {
			tb.Fatal(err)
		}
	}
	add("adm", "admin")
	add("ed", "editor")
	add("gu", "guest", "p1")
	return ws
}

func TestDocExample(t *testing.T) {
	p := loadDocExample(t)
	if got, want := p.Name(), "studio"; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
	// The error quoted in the documentation is the one Load gives when an
	// editor is granted change_billing.
	// So is the misspelt rank.
	doc, _ := os.ReadFile("doc.go")
	for _, oldNew := range [][2]string{
		{"change_billing: [owner]", "change_billing: [owner, editor]"},
		{"    rank: 90\n", "    rnak: 90\n"},
	} {
		src := strings.Replace(string(docExample(t)), oldNew[0], oldNew[1], 1)
		_, err := Load("studio.yaml", []byte(src))
		list, _ := err.(ErrorList)
		if len(list) != 1 || !strings.Contains(string(doc), "//\t"+list.Text()+"\n") {
			t.Errorf("doc.go does not quote the error %v", err)
		}
	}
}

func TestDecide(t *testing.T) {
	p := loadDocExample(t)
	free, pro := studioWorkspace(t, p, "free"), studioWorkspace(t, p, "pro")
	personal := studioWorkspace(t, p, "pro")
	personal.Kind = workspace.Personal
	off := studioWorkspace(t, p, "pro")
	off.Settings.GuestsDisabled = true
	tests := []struct {
		ws                     *workspace.Workspace
		actor, action, project string
		want                   string
		reason                 Reason
	}{
		{pro, "ed", "generate_video", "", "allowed: editor may generate_video (studio.yaml:59:3)", Allowed},
		{free, "ed", "generate_video", "", "denied: plan free lacks feature pro_tools required by generate_video (studio.yaml:33:14)", PlanLacksFeature},
		{pro, "ed", "change_billing", "", "denied: editor may not change_billing (studio.yaml:61:3)", RoleLacksAction},
		{free, "adm", "invite_members", "", "denied: plan free does not offer role admin (studio.yaml:46:12)", RoleNotOffered},
		{pro, "gu", "view_project", "p1", "allowed: guest may view_project (studio.yaml:58:3)", Allowed},
		{pro, "gu", "view_project", "p2", `denied: guest role guest may view_project only on granted projects, not "p2" (studio.yaml:25:12)`, GuestNotOnProject},
		{pro, "gu", "view_project", "", "denied: guest role guest may view_project only on a granted project, and none was named (studio.yaml:25:12)", GuestNotOnProject},
		{pro, "ed", "view_project", "p2", "allowed: editor may view_project (studio.yaml:58:3)", Allowed},
		{off, "gu", "view_project", "p1", "denied: guests are disabled in this workspace (studio.yaml:25:12)", GuestsDisabled},
		{pro, "gu", "invite_members", "", "denied: guest may not invite_members (studio.yaml:60:3)", RoleLacksAction},
		{pro, "eve", "view_project", "p1", `denied: "eve" is not a member of the workspace`, NotMember},
		{pro, "own", "fly", "", `denied: unknown action "fly"`, UnknownAction},
		{nil, "own", "view_project", "", "denied: no workspace", NoWorkspace},
		{personal, "own", "change_billing", "", "allowed: owner may change_billing (studio.yaml:61:3)", Allowed},
	}
	for _, tt := range tests {
		d := p.Decide(tt.actor, tt.action, tt.ws, tt.project)
		if got := d.String(); got != tt.want || d.Reason != tt.reason {
			t.Errorf("Decide(%q, %q, %q) = %q (%v), want %q (%v)", tt.actor, tt.action, tt.project, got, d.Reason, tt.want, tt.reason)
		}
		if got := p.CanProject(tt.actor, tt.action, tt.ws, tt.project); got != (tt.reason == Allowed) {
			t.Errorf("CanProject(%q, %q, %q) = %t, want %t", tt.actor, tt.action, tt.project, got, tt.reason == Allowed)
		}
	}
}

func TestDecideWrongKindAndForeign(t *testing.T) {
	p, err := Load("k.yaml", []byte(edit(t, base, "  edit: {}\n", "  edit: {kinds: [shared]}\n")))
	if err != nil {
		t.Fatal(err)
	}
	q, err := Load("k.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(0, 0)
	ws, err := workspace.New("w", workspace.Personal, p.Plan("pro"), "o", p.OwnerRole(), now)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Decide("o", "edit", ws, "").String(), "denied: edit does not apply in personal workspaces (k.yaml:24:17)"; got != want {
		t.Errorf("Decide = %q, want %q", got, want)
	}
	ws.Kind = 0
	if got, want := p.Decide("o", "edit", ws, "").String(), "denied: edit does not apply in invalid workspaces (k.yaml:24:17)"; got != want {
		t.Errorf("Decide = %q, want %q", got, want)
	}
	ws.Kind = workspace.Shared
	// A role or plan of another policy, even an identical one, is denied.
	foreign := ws.Clone()
	foreign.Put(workspace.Member{User: "o", Role: q.OwnerRole()})
	if d := p.Decide("o", "edit", foreign, ""); d.Reason != UnknownRole || d.String() != `denied: role "owner" is not a role of this policy` {
		t.Errorf("foreign role: %v", d)
	}
	foreign = ws.Clone()
	foreign.Plan = q.Plan("pro")
	if d := p.Decide("o", "edit", foreign, ""); d.Reason != UnknownPlan || d.String() != `denied: plan "pro" is not a plan of this policy` {
		t.Errorf("foreign plan: %v", d)
	}
	var nilAction *Action
	if nilAction.Can("o", ws) || nilAction.CanProject("o", ws, "p") || nilAction.Decide("o", ws, "").Reason != UnknownAction {
		t.Error("a nil *Action allows")
	}
	if d := (Decision{}); d.Allowed {
		t.Error("the zero Decision allows")
	}
}

func TestAccessors(t *testing.T) {
	p := loadDocExample(t)
	if p.Role("nobody") != nil || p.Plan("nobody") != nil || p.Action("nobody") != nil || p.Currency("nobody") != nil {
		t.Error("unknown names found")
	}
	if got := p.OwnerRole().Name; got != "owner" {
		t.Errorf("OwnerRole = %q", got)
	}
	if got := p.DefaultPlan().Name; got != "free" {
		t.Errorf("DefaultPlan = %q", got)
	}
	if f, ok := p.Feature("pro_tools"); !ok || f != 1 {
		t.Errorf("Feature(pro_tools) = %v, %t", f, ok)
	}
	if got := p.Operation(OpInvite); got == nil || got.Name != "invite_members" {
		t.Errorf("Operation(OpInvite) = %v", got)
	}
	if p.Operation(OpRemove) != nil || p.Operation(0) != nil || p.Operation(200) != nil {
		t.Error("unmapped operation mapped")
	}
	if got := p.Plan("pro").Limits.Members; got != -1 {
		t.Errorf("default limit = %d, want unlimited", got)
	}
	if got := p.Plan("free").Limits.Members; got != 3 {
		t.Errorf("free members limit = %d, want 3", got)
	}
	g, ok := p.Plan("pro").Grant("ai_credits")
	if !ok || g.Amount != 1000 || g.Rollover.Cap != 500 || g.Every.String() != "1 month" {
		t.Errorf("pro grant = %+v", g)
	}
	if a := p.Action("generate_video"); a.Cost != (Cost{Currency: "ai_credits", Amount: 1}) || a.Title() != "Generate video" {
		t.Errorf("generate_video = %+v", a)
	}
	if r := p.Role("admin"); !r.MayAssign(p.Role("editor")) || r.MayAssign(p.OwnerRole()) {
		t.Errorf("admin assigns %b", r.Assigns)
	}
	for op := Op(1); op < numOps; op++ {
		if back, ok := ParseOp(op.String()); !ok || back != op {
			t.Errorf("ParseOp(%q) = %v, %t", op, back, ok)
		}
	}
	for r := Reason(0); r < numReasons; r++ {
		if reasonNames[r] == "" {
			t.Errorf("Reason %d has no name", r)
		}
	}
	if got := AllKinds.String(); got != "personal, shared" {
		t.Errorf("AllKinds = %q", got)
	}
	if AllKinds.Has(0) || AllKinds.Has(3) || !AllKinds.Has(workspace.Shared) {
		t.Error("KindSet.Has")
	}
}

func TestLoadFile(t *testing.T) {
	if _, err := LoadFile("../testdata/policies/spaces.yaml"); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFile("testdata/does-not-exist.yaml")
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadFile(missing) = %v, want os.ErrNotExist", err)
	}
	path := t.TempDir() + "/big.yaml"
	if err := os.WriteFile(path, []byte(base+strings.Repeat("# padding\n", 200)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadFile(path, MaxSize(len(base)))
	var e *Error
	if !errors.As(err, &e) || e.Msg != "policy is larger than the size limit of "+strconv.Itoa(len(base))+" bytes, which it passes here" || e.Pos.Line != 43 || e.Pos.Col != 1 {
		t.Errorf("LoadFile(big) = %v", err)
	}
	if _, err := LoadFile(path, MaxSize(0)); err != nil {
		t.Errorf("MaxSize(0) does not mean the default: %v", err)
	}
}

// TestZeroActionDenies: an Action the policy did not compile (the zero
// value) denies, like an unknown one, instead of panicking.
func TestZeroActionDenies(t *testing.T) {
	p := loadDocExample(t)
	ws := studioWorkspace(t, p, "pro")
	var a Action
	if a.Can("ed", ws) || a.CanProject("gu", ws, "p1") || a.Decide("ed", ws, "").Allowed {
		t.Error("the zero Action allows")
	}
}
