package policy

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/charterhq/charter/plan"
	"gopkg.in/yaml.v3"
)

// This file writes a Policy back as YAML (Policy.YAML).

// YAML renders the policy canonically: every section in the order of the
// grammar, every declaration in policy order, defaults left out, one
// permission row per action. Load(p.File(), p.YAML()) compiles a policy
// equal to p except for positions.
func (p *Policy) YAML() []byte {
	root := mapNode()
	add(root, "policy", str(p.name))
	if p.sharing != SharingDeny {
		add(root, "sharing", str(p.sharing.String()))
	}
	if p.ownership == OwnerPersonal {
		add(root, "ownership", str(p.ownership.String()))
	}
	if p.creator != nil {
		add(root, "creator_role", str(p.creator.Name))
	}
	if len(p.features) > 0 {
		add(root, "features", strSeq(p.features))
	}
	if len(p.currencies) > 0 {
		cs := mapNode()
		for _, c := range p.currencies {
			n := mapNode()
			n.Style = yaml.FlowStyle
			if c.Description != "" {
				add(n, "description", text(c.Description))
			}
			if c.Kinds != AllKinds {
				add(n, "kinds", kindSeq(c.Kinds))
			}
			if c.Initial != 0 {
				add(n, "initial", integer(c.Initial))
			}
			add(cs, c.Name, n)
		}
		add(root, "currencies", cs)
	}
	roles := mapNode()
	for i, r := range p.roles {
		n := mapNode()
		if d := p.roleMeta[i].desc; d != "" {
			add(n, "description", text(d))
		}
		for _, f := range []struct {
			key string
			set bool
		}{{"owner", r.Owner}, {"admin", r.Admin}, {"guest", r.Guest}, {"seat", r.Seat}, {"spends", r.Spends}} {
			if f.set {
				add(n, f.key, boolean(true))
			}
		}
		add(n, "rank", integer(int64(r.Rank)))
		if r.Assigns != 0 {
			add(n, "assigns", strSeq(r.Assigns.Names(p.roles)))
		}
		add(roles, r.Name, n)
	}
	add(root, "roles", roles)
	actions := mapNode()
	for _, a := range p.actions {
		n := mapNode()
		if a.Description != "" {
			add(n, "description", text(a.Description))
		}
		if a.Scope != ScopeWorkspace {
			add(n, "scope", str(a.Scope.String()))
		}
		if a.Feature != 0 {
			add(n, "feature", str(a.featureName))
		}
		if a.Kinds != AllKinds {
			add(n, "kinds", kindSeq(a.Kinds))
		}
		if a.Billing {
			add(n, "billing", boolean(true))
		}
		if !a.Cost.IsZero() {
			c := mapNode()
			c.Style = yaml.FlowStyle
			add(c, a.Cost.Currency, integer(a.Cost.Amount))
			add(n, "cost", c)
		}
		if len(n.Content) == 0 {
			n.Style = yaml.FlowStyle
		}
		add(actions, a.Name, n)
	}
	add(root, "actions", actions)
	ops := mapNode()
	for op := Op(1); op < numOps; op++ {
		if a := p.ops[op]; a != nil {
			add(ops, op.String(), str(a.Name))
		}
	}
	if len(ops.Content) > 0 {
		add(root, "operations", ops)
	}
	plans := mapNode()
	for i, pl := range p.plans {
		add(plans, pl.Name, p.planYAML(pl, p.planMeta[i]))
	}
	add(root, "plans", plans)
	perms := mapNode()
	for _, a := range p.actions {
		add(perms, a.Name, strSeq(a.Allowed.Names(p.roles)))
	}
	add(root, "permissions", perms)

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		// The tree is built from validated names and strings only.
		panic("policy: rendering YAML: " + err.Error())
	}
	enc.Close()
	return buf.Bytes()
}

func (p *Policy) planYAML(pl *plan.Plan, meta planMeta) *yaml.Node {
	n := mapNode()
	if meta.desc != "" {
		add(n, "description", text(meta.desc))
	}
	if pl == p.defPlan && pl.Index != 0 {
		add(n, "default", boolean(true))
	}
	if pl.Features != 0 {
		add(n, "features", strSeq(p.FeatureNames(pl.Features)))
	}
	if pl.Roles.Len() != len(p.roles) {
		add(n, "roles", strSeq(pl.Roles.Names(p.roles)))
	}
	if pl.InviteRole != nil {
		add(n, "invite_role", str(pl.InviteRole.Name))
	}
	if pl.LinkRole != nil {
		add(n, "link_role", str(pl.LinkRole.Name))
	}
	lim := mapNode()
	for _, l := range []struct {
		key string
		l   plan.Limit
	}{
		{"members", pl.Limits.Members},
		{"seats", pl.Limits.Seats},
		{"guests", pl.Limits.Guests},
		{"shared_workspaces", pl.Limits.SharedWorkspaces},
	} {
		if l.l != plan.Unlimited {
			add(lim, l.key, integer(int64(l.l)))
		}
	}
	if len(lim.Content) > 0 {
		add(n, "limits", lim)
	}
	if len(pl.Grants) > 0 {
		cs := mapNode()
		for _, g := range pl.Grants {
			gn := mapNode()
			add(gn, "amount", integer(g.Amount))
			add(gn, "every", str(g.Every.String()))
			switch g.Rollover.Kind {
			case plan.RolloverAll:
				add(gn, "rollover", str("all"))
			case plan.RolloverCap:
				add(gn, "rollover", integer(g.Rollover.Cap))
			}
			if g.RequireAllowance {
				add(gn, "allowances", str("required"))
			}
			add(cs, g.Currency, gn)
		}
		add(n, "credits", cs)
	}
	if pl.SeatPrice != (plan.Price{}) {
		sp := mapNode()
		sp.Style = yaml.FlowStyle
		add(sp, "amount", integer(pl.SeatPrice.Amount))
		add(sp, "currency", str(pl.SeatPrice.Currency))
		add(sp, "every", str(pl.SeatPrice.Every.String()))
		add(n, "seat_price", sp)
	}
	if len(n.Content) == 0 {
		n.Style = yaml.FlowStyle
	}
	return n
}

func mapNode() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }

func add(m *yaml.Node, key string, v *yaml.Node) { m.Content = append(m.Content, str(key), v) }

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

// text is str for free text such as descriptions: a string with a tab or a
// line break of any kind is double-quoted, since the literal block yaml.v3
// would otherwise choose cannot hold every such string (a leading tab or
// newline, a lone line break) and the text would not load back the same.
func text(s string) *yaml.Node {
	n := str(s)
	if strings.ContainsAny(s, "\t\n\r\u0085\u2028\u2029") {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

func integer(v int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v, 10)}
}

func boolean(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

func strSeq(ss []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	for _, s := range ss {
		n.Content = append(n.Content, str(s))
	}
	return n
}

func kindSeq(ks KindSet) *yaml.Node {
	var names []string
	for _, k := range ks.Kinds() {
		names = append(names, k.String())
	}
	return strSeq(names)
}
