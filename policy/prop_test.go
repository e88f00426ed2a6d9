package policy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gopkg.in/yaml.v3"
	"pgregory.net/rapid"

	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/role"
	"github.com/charterhq/charter/workspace"
)

// The property tests generate random valid policies as YAML text, written
// here independently of Policy.YAML, in randomly chosen styles, and check
// that the compiled check agrees with refDecide, a naive interpreter of the
// same text decoded by yaml.Unmarshal into maps.

type gRole struct {
	name                              string
	owner, admin, guest, seat, spends bool
	rank                              int
	assigns                           []string
}

type gAction struct {
	name, desc, scope, feature string
	kinds                      []string
	billing                    bool
	costCur                    string
	cost                       int
}

type gPlan struct {
	name, desc      string
	def             bool
	features, roles []string
	rolesSet        bool
	invite, link    string
	limits          map[string]int // -1 = "unlimited"
}

type gCurrency struct {
	name    string
	kinds   []string
	initial int
}

type gPolicy struct {
	name       string
	sharing    string
	features   []string
	currencies []gCurrency
	roles      []gRole
	actions    []gAction
	plans      []gPlan
	perms      map[string][]string // action -> roles; missing = no row
	ops        map[string]string
}

func drawKinds(t *rapid.T, label string) []string {
	switch rapid.IntRange(0, 2).Draw(t, label) {
	case 0:
		return []string{"personal"}
	case 1:
		return []string{"shared"}
	}
	return []string{"personal", "shared"}
}

func subset[T any](t *rapid.T, label string, from []T) []T {
	var out []T
	for _, x := range from {
		if rapid.Bool().Draw(t, label) {
			out = append(out, x)
		}
	}
	return out
}

func genPolicy(t *rapid.T) gPolicy {
	g := gPolicy{name: "p", perms: map[string][]string{}, ops: map[string]string{}}
	g.sharing = rapid.SampledFrom([]string{"", "deny", "convert"}).Draw(t, "sharing")
	for i := range rapid.IntRange(0, 5).Draw(t, "features") {
		g.features = append(g.features, fmt.Sprintf("f%d", i))
	}
	for i := range rapid.IntRange(0, 3).Draw(t, "currencies") {
		c := gCurrency{name: fmt.Sprintf("c%d", i), initial: rapid.IntRange(0, 9).Draw(t, "initial")}
		if rapid.Bool().Draw(t, "curKinds") {
			c.kinds = drawKinds(t, "curKind")
		}
		g.currencies = append(g.currencies, c)
	}
	nRoles := rapid.IntRange(1, 9).Draw(t, "roles")
	if rapid.IntRange(0, 20).Draw(t, "manyRoles") == 0 {
		nRoles = 64
	}
	owner := rapid.IntRange(0, nRoles-1).Draw(t, "owner")
	for i := range nRoles {
		r := gRole{name: fmt.Sprintf("r%d", i), rank: rapid.IntRange(0, 20).Draw(t, "rank")}
		if i == owner {
			r.owner, r.admin, r.rank = true, true, 100
		} else if rapid.IntRange(0, 2).Draw(t, "guest") == 0 {
			r.guest = true
		} else {
			r.admin = rapid.Bool().Draw(t, "admin")
		}
		r.seat = rapid.Bool().Draw(t, "seat")
		r.spends = rapid.Bool().Draw(t, "spends")
		g.roles = append(g.roles, r)
	}
	for i := range g.roles {
		for _, o := range g.roles {
			if !o.owner && o.rank <= g.roles[i].rank && rapid.Bool().Draw(t, "assign") {
				g.roles[i].assigns = append(g.roles[i].assigns, o.name)
			}
		}
	}
	nActions := rapid.IntRange(1, 12).Draw(t, "actions")
	for i := range nActions {
		a := gAction{name: fmt.Sprintf("a%d", i)}
		if rapid.Bool().Draw(t, "desc") {
			a.desc = fmt.Sprintf("Action %d: do | things", i)
		}
		a.scope = rapid.SampledFrom([]string{"", "workspace", "project"}).Draw(t, "scope")
		if len(g.features) > 0 && rapid.Bool().Draw(t, "gated") {
			a.feature = rapid.SampledFrom(g.features).Draw(t, "feature")
		}
		if rapid.Bool().Draw(t, "kinds") {
			a.kinds = drawKinds(t, "kind")
		}
		a.billing = rapid.IntRange(0, 3).Draw(t, "billing") == 0
		var payable []gCurrency
		for _, c := range g.currencies {
			if c.kinds == nil || len(c.kinds) == 2 || len(a.kinds) == 1 && a.kinds[0] == c.kinds[0] {
				payable = append(payable, c)
			}
		}
		if len(payable) > 0 && rapid.Bool().Draw(t, "costs") {
			a.costCur = rapid.SampledFrom(payable).Draw(t, "cur").name
			a.cost = rapid.IntRange(1, 5).Draw(t, "cost")
		}
		g.actions = append(g.actions, a)
		if rapid.IntRange(0, 5).Draw(t, "noRow") == 0 {
			continue
		}
		row := []string{}
		for _, r := range g.roles {
			if a.billing && !r.admin || r.guest && a.scope != "project" || a.costCur != "" && !r.spends {
				continue
			}
			if rapid.Bool().Draw(t, "grant") {
				row = append(row, r.name)
			}
		}
		g.perms[a.name] = row
	}
	for _, op := range Ops() {
		if rapid.Bool().Draw(t, "op") {
			g.ops[op.String()] = rapid.SampledFrom(g.actions).Draw(t, "opAction").name
		}
	}
	nPlans := rapid.IntRange(1, 4).Draw(t, "plans")
	def := rapid.IntRange(-1, nPlans-1).Draw(t, "default")
	for i := range nPlans {
		pl := gPlan{name: fmt.Sprintf("plan%d", i), def: i == def, limits: map[string]int{}}
		if rapid.Bool().Draw(t, "planDesc") {
			pl.desc = fmt.Sprintf("Plan #%d: 'the best'\nsecond line", i)
		}
		pl.features = subset(t, "planFeature", g.features)
		if rapid.Bool().Draw(t, "planRoles") {
			pl.rolesSet = true
			for _, r := range g.roles {
				if r.owner || rapid.Bool().Draw(t, "offer") {
					pl.roles = append(pl.roles, r.name)
				}
			}
		}
		var offered []string
		for _, r := range g.roles {
			if !r.owner && (!pl.rolesSet || slices.Contains(pl.roles, r.name)) {
				offered = append(offered, r.name)
			}
		}
		if len(offered) > 0 && rapid.Bool().Draw(t, "invite") {
			pl.invite = rapid.SampledFrom(offered).Draw(t, "inviteRole")
		}
		if len(offered) > 0 && rapid.Bool().Draw(t, "link") {
			pl.link = rapid.SampledFrom(offered).Draw(t, "linkRole")
		}
		for _, k := range []string{"members", "seats", "guests", "shared_workspaces"} {
			if rapid.Bool().Draw(t, "limit") {
				pl.limits[k] = rapid.IntRange(-1, 10).Draw(t, "limitValue")
			}
		}
		g.plans = append(g.plans, pl)
	}
	return g
}

// render writes g as YAML, choosing styles at random.
func (g gPolicy) render(t *rapid.T) string {
	var b strings.Builder
	flow := func(label string) bool { return rapid.Bool().Draw(t, label) }
	list := func(items []string) string { return "[" + strings.Join(items, ", ") + "]" }
	block := func(indent string, items []string) string {
		if len(items) == 0 {
			return " []\n"
		}
		s := "\n"
		for _, it := range items {
			s += indent + "- " + it + "\n"
		}
		return s
	}
	seq := func(indent, label string, items []string) string {
		if flow(label) {
			return " " + list(items) + "\n"
		}
		return block(indent, items)
	}
	fmt.Fprintf(&b, "# generated\npolicy: %s\n", g.name)
	if g.sharing != "" {
		fmt.Fprintf(&b, "sharing: %s\n", g.sharing)
	}
	if len(g.features) > 0 || flow("emptyFeatures") {
		fmt.Fprintf(&b, "features:%s", seq("  ", "featuresFlow", g.features))
	}
	if len(g.currencies) > 0 {
		b.WriteString("currencies:\n")
		for _, c := range g.currencies {
			var f []string
			if c.kinds != nil {
				f = append(f, "kinds: "+list(c.kinds))
			}
			if c.initial != 0 || flow("initial0") {
				f = append(f, fmt.Sprintf("initial: %d", c.initial))
			}
			fmt.Fprintf(&b, "  %s: {%s}\n", c.name, strings.Join(f, ", "))
		}
	}
	b.WriteString("roles:\n")
	for _, r := range g.roles {
		fmt.Fprintf(&b, "  %s:\n", r.name)
		if flow("roleDesc") {
			fmt.Fprintf(&b, "    description: \"Role %s: it's \\\"quoted\\\"\"\n", r.name)
		}
		for _, f := range []struct {
			k string
			v bool
		}{{"owner", r.owner}, {"admin", r.admin}, {"guest", r.guest}, {"seat", r.seat}, {"spends", r.spends}} {
			if f.v || flow("explicitFalse") {
				fmt.Fprintf(&b, "    %s: %t\n", f.k, f.v)
			}
		}
		fmt.Fprintf(&b, "    rank: %d\n", r.rank)
		if len(r.assigns) > 0 || flow("emptyAssigns") {
			fmt.Fprintf(&b, "    assigns:%s", seq("      ", "assignsFlow", r.assigns))
		}
	}
	b.WriteString("actions:\n")
	for _, a := range g.actions {
		var f []string
		if a.desc != "" {
			f = append(f, fmt.Sprintf("description: %q", a.desc))
		}
		if a.scope != "" {
			f = append(f, "scope: "+a.scope)
		}
		if a.feature != "" {
			f = append(f, "feature: "+a.feature)
		}
		if a.kinds != nil {
			f = append(f, "kinds: "+list(a.kinds))
		}
		if a.billing || flow("billingFalse") {
			f = append(f, fmt.Sprintf("billing: %t", a.billing))
		}
		if a.costCur != "" {
			f = append(f, fmt.Sprintf("cost: {%s: %d}", a.costCur, a.cost))
		}
		if flow("actionFlow") {
			fmt.Fprintf(&b, "  %s: {%s}\n", a.name, strings.Join(f, ", "))
		} else if len(f) == 0 {
			fmt.Fprintf(&b, "  %s: {}\n", a.name)
		} else {
			fmt.Fprintf(&b, "  %s:\n", a.name)
			for _, x := range f {
				fmt.Fprintf(&b, "    %s\n", x)
			}
		}
	}
	if len(g.ops) > 0 {
		b.WriteString("operations:\n")
		for _, op := range Ops() {
			if a, ok := g.ops[op.String()]; ok {
				fmt.Fprintf(&b, "  %s: %s\n", op, a)
			}
		}
	}
	b.WriteString("plans:\n")
	for _, pl := range g.plans {
		fmt.Fprintf(&b, "  %s:\n", pl.name)
		if pl.desc != "" {
			fmt.Fprintf(&b, "    description: %q\n", pl.desc)
		}
		if pl.def {
			b.WriteString("    default: true\n")
		}
		if len(pl.features) > 0 || flow("emptyPlanFeatures") {
			fmt.Fprintf(&b, "    features:%s", seq("      ", "planFeaturesFlow", pl.features))
		}
		if pl.rolesSet {
			fmt.Fprintf(&b, "    roles:%s", seq("      ", "planRolesFlow", pl.roles))
		}
		if pl.invite != "" {
			fmt.Fprintf(&b, "    invite_role: %s\n", pl.invite)
		}
		if pl.link != "" {
			fmt.Fprintf(&b, "    link_role: %s\n", pl.link)
		}
		if len(pl.limits) > 0 {
			b.WriteString("    limits:\n")
			for _, k := range []string{"members", "seats", "guests", "shared_workspaces"} {
				if v, ok := pl.limits[k]; ok {
					if v < 0 {
						fmt.Fprintf(&b, "      %s: unlimited\n", k)
					} else {
						fmt.Fprintf(&b, "      %s: %d\n", k, v)
					}
				}
			}
		}
		if len(g.currencies) > 0 && flow("credits") {
			fmt.Fprintf(&b, "    credits:\n      %s: {amount: 10, every: 2 weeks, rollover: 5, allowances: required}\n", g.currencies[0].name)
		}
		if flow("seatPrice") {
			b.WriteString("    seat_price: {amount: 1500, currency: EUR, every: year}\n")
		}
	}
	if len(g.perms) == 0 {
		b.WriteString("permissions: {}\n")
	} else {
		b.WriteString("permissions:\n")
	}
	for _, a := range g.actions {
		if row, ok := g.perms[a.name]; ok {
			fmt.Fprintf(&b, "  %s:%s", a.name, seq("    ", "permFlow", row))
		}
	}
	return b.String()
}

// refPolicy is the policy text decoded by yaml.Unmarshal, untyped.
type refPolicy map[string]any

func (rp refPolicy) section(name string) map[string]any {
	m, _ := rp[name].(map[string]any)
	return m
}

func refEntry(m map[string]any, key string) map[string]any {
	e, _ := m[key].(map[string]any)
	return e
}

func contains(list any, s string) bool {
	l, _ := list.([]any)
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// refMember and refWorkspace describe a workspace by names; foreign marks a
// role or plan that is not the policy's (a lookalike from elsewhere).
type refMember struct {
	role        string // "" = nil role
	foreignRole bool
	projects    []string
}

type refWorkspace struct {
	nilWS       bool
	kind        workspace.Kind
	plan        string // "" = nil plan
	foreignPlan bool
	members     map[string]refMember
	guestsOff   bool
}

// refDecide is the naive interpreter of the check's semantics.
func refDecide(rp refPolicy, ws refWorkspace, actor, action, project string) Reason {
	if ws.nilWS {
		return NoWorkspace
	}
	a, ok := rp.section("actions")[action]
	if !ok {
		return UnknownAction
	}
	am, _ := a.(map[string]any)
	m, ok := ws.members[actor]
	if !ok {
		return NotMember
	}
	if m.role == "" || m.foreignRole {
		return UnknownRole
	}
	if ws.plan == "" || ws.foreignPlan {
		return UnknownPlan
	}
	kindName := map[workspace.Kind]string{workspace.Personal: "personal", workspace.Shared: "shared"}[ws.kind]
	if kinds, ok := am["kinds"]; ok {
		if !contains(kinds, kindName) {
			return WrongKind
		}
	} else if kindName == "" {
		return WrongKind
	}
	if !contains(rp.section("permissions")[action], m.role) {
		return RoleLacksAction
	}
	pl := refEntry(rp.section("plans"), ws.plan)
	if f, ok := am["feature"]; ok && !contains(pl["features"], f.(string)) {
		return PlanLacksFeature
	}
	if roles, ok := pl["roles"]; ok && !contains(roles, m.role) {
		return RoleNotOffered
	}
	if r := refEntry(rp.section("roles"), m.role); r["guest"] == true {
		if ws.guestsOff {
			return GuestsDisabled
		}
		if am["scope"] == "project" && (project == "" || !slices.Contains(m.projects, project)) {
			return GuestNotOnProject
		}
	}
	return Allowed
}

func genWorkspace(t *rapid.T, g gPolicy) refWorkspace {
	ws := refWorkspace{
		nilWS:     rapid.IntRange(0, 30).Draw(t, "nilWS") == 0,
		kind:      workspace.Kind(rapid.SampledFrom([]int{0, 1, 1, 2, 2, 3}).Draw(t, "kind")),
		guestsOff: rapid.Bool().Draw(t, "guestsOff"),
		members:   map[string]refMember{},
	}
	switch rapid.IntRange(0, 12).Draw(t, "planChoice") {
	case 0:
		ws.plan = ""
	case 1:
		ws.plan, ws.foreignPlan = g.plans[0].name, true
	default:
		ws.plan = rapid.SampledFrom(g.plans).Draw(t, "plan").name
	}
	for i := range rapid.IntRange(0, 8).Draw(t, "members") {
		m := refMember{}
		switch rapid.IntRange(0, 15).Draw(t, "roleChoice") {
		case 0:
		case 1:
			m.role, m.foreignRole = g.roles[0].name, true
		default:
			m.role = rapid.SampledFrom(g.roles).Draw(t, "role").name
		}
		m.projects = subset(t, "project", []string{"p1", "p2"})
		ws.members[fmt.Sprintf("u%d", i)] = m
	}
	return ws
}

// build makes the workspace.Workspace rw describes, with p's roles and plan.
func (rw refWorkspace) build(p *Policy) *workspace.Workspace {
	if rw.nilWS {
		return nil
	}
	ws := &workspace.Workspace{ID: "w", Kind: rw.kind}
	ws.Settings.GuestsDisabled = rw.guestsOff
	if rw.plan != "" {
		ws.Plan = p.Plan(rw.plan)
		if rw.foreignPlan {
			c := *ws.Plan
			ws.Plan = &c
		}
	}
	for u, m := range rw.members {
		wm := workspace.Member{User: u, Projects: m.projects, Joined: time.Unix(0, 0)}
		if m.role != "" {
			wm.Role = p.Role(m.role)
			if m.foreignRole {
				c := *wm.Role
				wm.Role = &c
			}
		}
		ws.Put(wm)
	}
	return ws
}

// snapshots returns ws as check-only snapshots (workspace.NewSnapshot,
// Workspace.Snapshot), which every check must answer as ws does.
func (rw refWorkspace) snapshots(p *Policy, ws *workspace.Workspace) []*workspace.Workspace {
	if ws == nil {
		return nil
	}
	s := workspace.NewSnapshot(ws.ID, ws.Kind, ws.Plan, len(rw.members))
	s.Owner, s.Settings = ws.Owner, ws.Settings
	for _, m := range ws.Members() {
		s.Put(m)
	}
	return []*workspace.Workspace{s, ws.Snapshot()}
}

func TestCheckAgreesWithReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := genPolicy(t)
		src := g.render(t)
		p, err := Load("gen.yaml", []byte(src))
		if err != nil {
			t.Fatalf("Load:\n%s\n%v", src, err)
		}
		var raw map[string]any
		if err := yaml.Unmarshal([]byte(src), &raw); err != nil {
			t.Fatal(err)
		}
		rp := refPolicy(raw)
		for range 3 {
			rw := genWorkspace(t, g)
			ws := rw.build(p)
			snaps := rw.snapshots(p, ws)
			actors := []string{"nobody"}
			for u := range rw.members {
				actors = append(actors, u)
			}
			actions := []string{"no_such_action"}
			for _, a := range g.actions {
				actions = append(actions, a.name)
			}
			for _, actor := range actors {
				for _, action := range actions {
					for _, project := range []string{"", "p1", "p2"} {
						want := refDecide(rp, rw, actor, action, project)
						d := p.Decide(actor, action, ws, project)
						if d.Reason != want || d.Allowed != (want == Allowed) {
							t.Fatalf("Decide(%q, %q, %q) = %v (%v), want %v\n%s\nworkspace %+v", actor, action, project, d.Reason, d, want, src, rw)
						}
						if got := p.CanProject(actor, action, ws, project); got != d.Allowed {
							t.Fatalf("CanProject(%q, %q, %q) = %t, want %t", actor, action, project, got, d.Allowed)
						}
						a := p.Action(action)
						if got := a.CanProject(actor, ws, project); got != d.Allowed {
							t.Fatalf("Action.CanProject(%q, %q, %q) = %t, want %t", actor, action, project, got, d.Allowed)
						}
						if ad := a.Decide(actor, ws, project); a != nil && ad != d {
							t.Fatalf("Action.Decide = %+v, Policy.Decide = %+v", ad, d)
						}
						if project == "" {
							if got := p.Can(actor, action, ws); got != d.Allowed {
								t.Fatalf("Can(%q, %q) = %t, want %t", actor, action, got, d.Allowed)
							}
							if got := a.Can(actor, ws); got != d.Allowed {
								t.Fatalf("Action.Can(%q, %q) = %t, want %t", actor, action, got, d.Allowed)
							}
						}
						if a != nil && ws != nil {
							if m, ok := ws.Member(actor); ok {
								if got := a.Allows(m.Role, ws, project, m.Projects); got != d {
									t.Fatalf("Allows = %+v, want %+v", got, d)
								}
								if got := a.Permits(m.Role, ws, project, m.Projects); got != d.Allowed {
									t.Fatalf("Permits(%q, %q, %q) = %t, want %t", actor, action, project, got, d.Allowed)
								}
							}
						}
						checkDecisionFields(t, d, action, a)
						for i, s := range snaps {
							if got := p.Decide(actor, action, s, project); got != d {
								t.Fatalf("Decide(%q, %q, %q) on snapshot %d = %+v, on the workspace %+v", actor, action, project, i, got, d)
							}
							if got := p.CanProject(actor, action, s, project); got != d.Allowed {
								t.Fatalf("CanProject(%q, %q, %q) on snapshot %d = %t, want %t", actor, action, project, i, got, d.Allowed)
							}
							if project == "" && p.Can(actor, action, s) != d.Allowed {
								t.Fatalf("Can(%q, %q) on snapshot %d = %t, want %t", actor, action, i, !d.Allowed, d.Allowed)
							}
							if m, ok := s.Member(actor); ok && a != nil {
								if got := a.Permits(m.Role, s, project, m.Projects); got != d.Allowed {
									t.Fatalf("Permits(%q, %q, %q) on snapshot %d = %t, want %t", actor, action, project, i, got, d.Allowed)
								}
							}
						}
					}
				}
			}
		}
		checkRoundTrip(t, p)
	})
}

func checkDecisionFields(t *rapid.T, d Decision, action string, a *Action) {
	switch d.Reason {
	case NoWorkspace, UnknownAction:
		if d.Action != "" || !d.Pos.IsZero() {
			t.Fatalf("%v: Decision %+v names an action or position", d.Reason, d)
		}
	default:
		if d.Action != action {
			t.Fatalf("Decision.Action = %q, want %q", d.Action, action)
		}
	}
	switch d.Reason {
	case Allowed, RoleLacksAction:
		want := a.pos
		if a.hasPerm {
			want = a.permPos
		}
		if d.Pos != want || d.Pos.IsZero() {
			t.Fatalf("%v: Pos = %v, want %v", d.Reason, d.Pos, want)
		}
	case WrongKind, PlanLacksFeature, RoleNotOffered, GuestsDisabled, GuestNotOnProject:
		if d.Pos.IsZero() {
			t.Fatalf("%v: zero Pos", d.Reason)
		}
	}
	if s := d.String(); !strings.HasPrefix(s, map[bool]string{true: "allowed: ", false: "denied: "}[d.Allowed]) {
		t.Fatalf("String() = %q", s)
	}
}

// policyDesc is everything the exported API says about a policy except
// positions, for comparing policies with cmp.
type policyDesc struct {
	Name, Sharing, File string
	Features            []string
	Currencies          []*Currency
	Roles               []*role.Role
	RoleDescs           []string
	Owner, Ownership    string
	Creator             [2]string
	Plans               []*plan.Plan
	PlanDescs           []string
	Default             string
	Actions             []*Action
	Ops                 map[string]string
}

func describePolicy(p *Policy) policyDesc {
	d := policyDesc{
		Name: p.Name(), Sharing: p.Sharing().String(), File: p.File(),
		Features: p.Features(), Currencies: p.Currencies(),
		Roles: p.Roles(), Ownership: p.Ownership().String(),
		Plans: p.Plans(), Default: p.DefaultPlan().Name,
		Actions: p.Actions(), Ops: map[string]string{},
	}
	if o := p.OwnerRole(); o != nil {
		d.Owner = o.Name
	}
	for i, k := range []workspace.Kind{workspace.Personal, workspace.Shared} {
		if r := p.CreatorRole(k); r != nil {
			d.Creator[i] = r.Name
		}
	}
	for _, r := range p.Roles() {
		d.RoleDescs = append(d.RoleDescs, p.RoleDescription(r.Name))
	}
	for _, pl := range p.Plans() {
		d.PlanDescs = append(d.PlanDescs, p.PlanDescription(pl.Name))
	}
	for _, op := range Ops() {
		if a := p.Operation(op); a != nil {
			d.Ops[op.String()] = a.Name
		}
	}
	return d
}

func checkRoundTrip(t interface {
	Fatalf(string, ...any)
}, p *Policy) {
	checkInvariants(t, p)
	y := p.YAML()
	q, err := Load(p.File(), y)
	if err != nil {
		t.Fatalf("Load(YAML()):\n%s\n%v", y, err)
	}
	if diff := cmp.Diff(describePolicy(p), describePolicy(q), cmpopts.IgnoreUnexported(Action{}), cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("Load(YAML()) differs (-want +got):\n%s\n%s", diff, y)
	}
	if y2 := q.YAML(); string(y2) != string(y) {
		t.Fatalf("YAML() is not canonical:\n%s\nthen\n%s", y, y2)
	}
	if p.Matrix() != q.Matrix() {
		t.Fatalf("Matrix differs after round trip:\n%s\n%s", p.Matrix(), q.Matrix())
	}
	for i, a := range p.Actions() {
		b := q.Actions()[i]
		if a.featureName != b.featureName || a.hasPerm && !b.hasPerm {
			t.Fatalf("action %s: unexported state differs after round trip", a.Name)
		}
	}
}

func TestSeedsRoundTrip(t *testing.T) {
	for _, name := range []string{"spaces", "video-studio", "coins", "team-guests", "credit-pool"} {
		p, err := LoadFile("../testdata/policies/" + name + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		checkRoundTrip(t, p)
	}
}

// checkInvariants verifies the invariants written next to Policy's fields.
func checkInvariants(t interface{ Fatalf(string, ...any) }, p *Policy) {
	owners := 0
	for i, r := range p.roles {
		if r.Index != i || p.roleIndex[r.Name] != r {
			t.Fatalf("role %s: Index %d at %d", r.Name, r.Index, i)
		}
		if r.Owner {
			owners++
			if !r.Admin || r != p.owner {
				t.Fatalf("owner role %s: admin %t", r.Name, r.Admin)
			}
		} else if p.owner != nil && r.Rank >= p.owner.Rank {
			t.Fatalf("role %s ranks %d, owner %d", r.Name, r.Rank, p.owner.Rank)
		}
		if r.Guest && (r.Owner || r.Admin) {
			t.Fatalf("guest role %s is owner or admin", r.Name)
		}
		for _, o := range p.roles {
			if r.Assigns.Has(o) && (o.Owner || o.Rank > r.Rank) {
				t.Fatalf("role %s assigns %s", r.Name, o.Name)
			}
		}
	}
	if owners > 1 || (owners == 1) != (p.ownership != OwnerNone) || len(p.roles) < 1 || len(p.roles) > role.Max {
		t.Fatalf("%d owners (ownership %v), %d roles", owners, p.ownership, len(p.roles))
	}
	if c := p.creator; (c == nil) != (p.ownership == OwnerEvery) || c != nil && (!c.Admin || c.Owner || c.Guest) {
		t.Fatalf("ownership %v, creator role %v", p.ownership, c)
	}
	for i, pl := range p.plans {
		if pl.Index != i || (p.owner != nil && !pl.Offers(p.owner)) || (p.creator != nil && !pl.Offers(p.creator)) || pl.Features>>uint(len(p.features)) != 0 {
			t.Fatalf("plan %s breaks an invariant", pl.Name)
		}
		for _, r := range []*role.Role{pl.InviteRole, pl.LinkRole} {
			if r != nil && (r.Owner || !pl.Offers(r)) {
				t.Fatalf("plan %s: invite or link role %s", pl.Name, r.Name)
			}
		}
	}
	if p.defPlan == nil || p.plans[p.defPlan.Index] != p.defPlan {
		t.Fatalf("default plan %v", p.defPlan)
	}
	for i, a := range p.actions {
		h := a.hot
		if a.Index != i || h.policy != p || h.allowed != a.Allowed || h.feature != a.Feature ||
			h.kinds != a.Kinds || h.project != (a.Scope == ScopeProject) || a.Kinds == 0 || a.Kinds&^AllKinds != 0 {
			t.Fatalf("action %s: hot fields or index out of sync", a.Name)
		}
		if uint64(a.Allowed)>>uint(len(p.roles)) != 0 {
			t.Fatalf("action %s allows roles beyond the policy", a.Name)
		}
		for _, r := range p.roles {
			if a.Allowed.Has(r) && (a.Billing && !r.Admin || r.Guest && a.Scope == ScopeWorkspace || !a.Cost.IsZero() && !r.Spends) {
				t.Fatalf("action %s allows %s", a.Name, r.Name)
			}
		}
		if c := a.Cost; !c.IsZero() && (p.Currency(c.Currency) == nil || c.Amount <= 0 || a.Kinds&^p.Currency(c.Currency).Kinds != 0) {
			t.Fatalf("action %s: cost %+v", a.Name, c)
		}
	}
	if p.ops[0] != nil {
		t.Fatalf("ops[0] is set")
	}
}
