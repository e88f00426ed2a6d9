package policy

import (
	"fmt"
	"slices"

	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/role"
)

// compile resolves the names of rp, checks its semantic rules and builds
// the Policy. Errors are collected in l; the result is meaningful only when
// there are none.
func (l *loader) compile(rp *rawPolicy) *Policy {
	l.raw = rp
	p := &Policy{
		name:          rp.name,
		file:          l.file,
		sharing:       rp.sharing,
		sharingPos:    rp.sharingPos,
		roleIndex:     make(map[string]*role.Role, len(rp.roles)),
		planIndex:     make(map[string]*plan.Plan, len(rp.plans)),
		featureIndex:  make(map[string]int, len(rp.features)),
		currencyIndex: make(map[string]*Currency, len(rp.currencies)),
		actionIndex:   make(map[string]*Action, len(rp.actions)),
	}
	for i, f := range rp.features {
		p.features = append(p.features, f.name)
		p.featureIndex[f.name] = i
	}
	currencyPos := make(map[string]Pos, len(rp.currencies))
	for _, rc := range rp.currencies {
		c := &Currency{Name: rc.name, Description: rc.desc, Kinds: rc.kinds, Initial: rc.initial}
		p.currencies = append(p.currencies, c)
		p.currencyIndex[c.Name] = c
		currencyPos[c.Name] = l.at(rc.ref)
	}
	p.currencyPos = currencyPos
	l.compileRoles(p, rp)
	l.compileOwnership(p, rp)
	l.compileActions(p, rp, currencyPos)
	l.compilePlans(p, rp)
	roles := new([64]*role.Role)
	copy(roles[:], p.roles)
	for _, a := range p.actions {
		a.hot.roles, a.hot.plans = roles, p.plans
	}
	p.tables.build(p)
	return p
}

func (l *loader) compileRoles(p *Policy, rp *rawPolicy) {
	var ownerRaw *rawRole
	for i := range rp.roles {
		rr := &rp.roles[i]
		r := &role.Role{
			Name: rr.name, Index: i,
			Owner: rr.owner, Admin: rr.admin, Guest: rr.guest, Seat: rr.seat, Spends: rr.spends,
			Rank: rr.rank,
		}
		p.roles = append(p.roles, r)
		p.roleMeta = append(p.roleMeta, roleMeta{desc: rr.desc, pos: l.at(rr.ref), guestPos: rr.guestPos})
		p.roleIndex[r.Name] = r
		if rr.guest && rr.owner {
			l.errorAt(rr.guestPos, "role %q cannot be both guest and owner", r.Name)
		} else if rr.guest && rr.admin {
			l.errorAt(rr.guestPos, "role %q cannot be both guest and admin", r.Name)
		}
		if !rr.owner {
			continue
		}
		if p.owner != nil {
			l.errorAt(rr.ownerPos, "role %q: owner: true, but role %q is already the owner role (declared at %s); exactly one role is the owner",
				r.Name, p.owner.Name, l.at(ownerRaw.ref))
			r.Owner = false // report the rules of one owner only
			continue
		}
		p.owner, ownerRaw = r, rr
	}
	if p.owner != nil {
		if !p.owner.Admin && !ownerRaw.suspect {
			l.errorAt(l.at(ownerRaw.ref), "owner role %q must be admin", p.owner.Name)
		}
		for i, r := range p.roles {
			// A role whose rank is missing or wrong was reported as such:
			// rank rules are checked only between valid ranks.
			if r != p.owner && r.Rank >= p.owner.Rank && !rp.roles[i].rankPos.IsZero() && !ownerRaw.rankPos.IsZero() {
				l.errorAt(rp.roles[i].rankPos, "role %q: rank %d must be below the owner role %q's rank %d (declared at %s)",
					r.Name, r.Rank, p.owner.Name, p.owner.Rank, l.at(ownerRaw.ref))
			}
		}
	}
	for i, r := range p.roles {
		for _, a := range rp.roles[i].assigns {
			t := p.roleIndex[a.name]
			switch {
			case t == nil:
				l.unknown(a, "role", "role %q: assigns unknown role %q", r.Name, a.name)
			case t.Owner:
				l.errorAt(l.at(a), "role %q: cannot assign the owner role %q; ownership moves only by transfer", r.Name, t.Name)
			case rp.roles[i].rankPos.IsZero() || rp.roles[t.Index].rankPos.IsZero():
				r.Assigns = r.Assigns.With(t) // a rank is missing or wrong, and reported
			case t.Rank > r.Rank:
				l.errorAt(l.at(a), "role %q (rank %d) cannot assign role %q of higher rank %d (declared at %s)",
					r.Name, r.Rank, t.Name, t.Rank, p.roleMeta[t.Index].pos)
			default:
				r.Assigns = r.Assigns.With(t)
			}
		}
	}
}

// compileOwnership resolves ownership and creator_role against the owner
// role, and reports their contradictions, each naming both sides.
func (l *loader) compileOwnership(p *Policy, rp *rawPolicy) {
	suspect := slices.ContainsFunc(rp.roles, func(r rawRole) bool { return r.suspect })
	p.ownership = rp.ownership
	if p.owner == nil {
		p.ownership = OwnerNone
		if !rp.ownerPos.IsZero() && !suspect {
			l.errorAt(rp.ownerPos, "ownership: %s, but no role has owner: true (roles at %s); a policy without an owner role has no ownership",
				rp.ownership, rp.rolesPos)
		}
	}
	if rp.creator.name == "" {
		if p.ownership != OwnerEvery && len(rp.roles) > 0 && !suspect {
			if p.owner == nil {
				l.errorAt(rp.rolesPos, "no role has owner: true, so creator_role must name the admin role the creator of a workspace starts with")
			} else {
				l.errorAt(rp.ownerPos, "ownership: personal, so creator_role must name the admin role the creator of any other workspace starts with (owner role %q declared at %s)",
					p.owner.Name, p.roleMeta[p.owner.Index].pos)
			}
		}
		return
	}
	r := p.roleIndex[rp.creator.name]
	switch {
	case r == nil:
		l.unknown(rp.creator, "role", "creator_role: unknown role %q", rp.creator.name)
	case rp.roles[r.Index].suspect:
	case r.Owner:
		l.errorAt(l.at(rp.creator), "creator_role cannot be the owner role %q (declared at %s): the creator of a workspace without an owner holds another admin role",
			r.Name, p.roleMeta[r.Index].pos)
	case !r.Admin:
		l.errorAt(l.at(rp.creator), "creator_role %q is not an admin role (role declared at %s): a workspace without an owner keeps at least one admin, its creator first",
			r.Name, p.roleMeta[r.Index].pos)
	case p.ownership == OwnerEvery:
		at := p.roleMeta[p.owner.Index].pos
		if !rp.ownerPos.IsZero() {
			at = rp.ownerPos
		}
		l.errorAt(l.at(rp.creator), "creator_role %q, but the owner role %q exists in every workspace (at %s), so every creator is its owner; say ownership: personal",
			r.Name, p.owner.Name, at)
	default:
		p.creator = r
	}
}

func (l *loader) compileActions(p *Policy, rp *rawPolicy, currencyPos map[string]Pos) {
	for i, ra := range rp.actions {
		a := &Action{
			Name: ra.name, Description: ra.desc, Index: i,
			Scope: ra.scope, Kinds: ra.kinds, Billing: ra.billing,
			pos: l.at(ra.ref), permPos: l.at(ra.ref), featurePos: l.at(ra.ref), kindsPos: ra.kindsPos,
		}
		if ra.feature.name != "" {
			if bit, ok := p.featureIndex[ra.feature.name]; ok {
				a.Feature, a.featureName, a.featurePos = 1<<uint(bit), ra.feature.name, l.at(ra.feature)
			} else {
				l.unknown(ra.feature, "feature", "action %q: unknown feature %q", a.Name, ra.feature.name)
			}
		}
		if ra.cost.name != "" {
			c := p.currencyIndex[ra.cost.name]
			switch {
			case c == nil:
				l.unknown(ra.cost, "currency", "action %q: cost in unknown currency %q", a.Name, ra.cost.name)
			case a.Kinds&^c.Kinds != 0 && !ra.suspect:
				l.errorAt(l.at(ra.cost), "action %q applies in %s workspaces, where its cost currency %q does not exist (currency declared at %s)",
					a.Name, (a.Kinds &^ c.Kinds).String(), c.Name, currencyPos[c.Name])
			default:
				a.Cost = Cost{Currency: c.Name, Amount: ra.costAmount}
			}
		}
		p.actions = append(p.actions, a)
		p.actionIndex[a.Name] = a
	}
	for _, perm := range rp.permissions {
		a := p.actionIndex[perm.action.name]
		if a == nil {
			l.unknown(perm.action, "action", "permissions: unknown action %q", perm.action.name)
			continue
		}
		a.permPos, a.hasPerm = l.at(perm.action), true
		for _, rr := range perm.roles {
			r := p.roleIndex[rr.name]
			switch {
			case r == nil:
				l.unknown(rr, "role", "permissions: %q: unknown role %q", a.Name, rr.name)
			case rp.actions[a.Index].suspect || rp.roles[r.Index].suspect:
				// A rule between the two would judge a declaration whose
				// mistake is reported already.
			case a.Billing && !r.Admin:
				l.errorAt(l.at(rr), "billing action %q granted to non-admin role %q (role declared at %s)",
					a.Name, r.Name, p.roleMeta[r.Index].pos)
			case r.Guest && a.Scope == ScopeWorkspace:
				l.errorAt(l.at(rr), "guest role %q granted workspace-scoped action %q (role declared at %s)",
					r.Name, a.Name, p.roleMeta[r.Index].pos)
			case !a.Cost.IsZero() && !r.Spends:
				l.errorAt(l.at(rr), "action %q costs %s, granted to role %q, which does not spend credits (role declared at %s)",
					a.Name, a.Cost.Currency, r.Name, p.roleMeta[r.Index].pos)
			default:
				a.Allowed = a.Allowed.With(r)
			}
		}
	}
	for _, a := range p.actions {
		a.hot.policy, a.hot.allowed, a.hot.feature = p, a.Allowed, a.Feature
		a.hot.kinds, a.hot.project = a.Kinds, a.Scope == ScopeProject
	}
	for _, o := range rp.operations {
		a := p.actionIndex[o.action.name]
		if a == nil {
			l.unknown(o.action, "action", "operation %q: unknown action %q", o.op, o.action.name)
			continue
		}
		if o.op == OpTransferOwnership && p.ownership != OwnerEvery && !slices.ContainsFunc(rp.roles, func(r rawRole) bool { return r.suspect }) {
			if p.owner == nil {
				l.errorAt(l.at(o.action), "operation transfer_ownership mapped to %q, but no role has owner: true (roles at %s): there is no owner to transfer",
					a.Name, rp.rolesPos)
			} else {
				l.errorAt(l.at(o.action), "operation transfer_ownership mapped to %q, but the owner exists only in personal workspaces (ownership at %s): a personal workspace is not handed over",
					a.Name, rp.ownerPos)
			}
			continue
		}
		p.ops[o.op] = a
	}
}

func (l *loader) compilePlans(p *Policy, rp *rawPolicy) {
	var all role.Set
	for _, r := range p.roles {
		all = all.With(r)
	}
	var defRaw *rawPlan
	// The schedule each currency is granted on, and where first: every
	// plan grants a currency on one schedule, so a plan change keeps the
	// pool's periods (a pool counts periods of one length from the
	// subscription's start).
	type schedule struct {
		every plan.Period
		plan  string
		pos   Pos
	}
	schedules := make(map[string]schedule)
	for i := range rp.plans {
		rpl := &rp.plans[i]
		ctx := "plan " + quote(rpl.name)
		pl := &plan.Plan{Name: rpl.name, Index: i, Limits: rpl.limits}
		meta := planMeta{desc: rpl.desc, pos: l.at(rpl.ref), rolesPos: rpl.rolesPos}
		for _, f := range rpl.features {
			if bit, ok := p.featureIndex[f.name]; ok {
				pl.Features |= 1 << uint(bit)
			} else {
				l.unknown(f, "feature", "%s: unknown feature %q", ctx, f.name)
			}
		}
		if rpl.rolesSet {
			for _, rr := range rpl.roles {
				if r := p.roleIndex[rr.name]; r != nil {
					pl.Roles = pl.Roles.With(r)
				} else {
					l.unknown(rr, "role", "%s: unknown role %q", ctx, rr.name)
				}
			}
			if p.owner != nil && !pl.Roles.Has(p.owner) && !rpl.suspect {
				l.errorAt(rpl.rolesPos, "%s: roles must include the owner role %q", ctx, p.owner.Name)
			}
			if p.creator != nil && !pl.Roles.Has(p.creator) && !rpl.suspect {
				l.errorAt(rpl.rolesPos, "%s: roles must include the creator role %q (creator_role at %s)", ctx, p.creator.Name, l.at(rp.creator))
			}
		} else {
			pl.Roles = all
		}
		if n := rpl.limits.SharedWorkspaces; p.ownership != OwnerEvery && n != plan.Unlimited && n > 0 {
			// Shared workspaces count against their owner's licence; one
			// without an owner counts against nobody, so only "none" (0)
			// or unlimited can be kept.
			l.errorAt(l.at(rpl.ref), "%s: limits shared_workspaces to %d, but a created workspace has no owner to count it against (ownership: %s): use 0 or unlimited",
				ctx, n, p.ownership)
		}
		pl.InviteRole = l.planRole(p, pl, ctx, "invite_role", rpl.invite, rpl.rolesPos, rpl.suspect)
		pl.LinkRole = l.planRole(p, pl, ctx, "link_role", rpl.link, rpl.rolesPos, rpl.suspect)
		for _, g := range rpl.credits {
			if p.currencyIndex[g.currency.name] == nil {
				l.unknown(g.currency, "currency", "%s: credits in unknown currency %q", ctx, g.currency.name)
				continue
			}
			if first, ok := schedules[g.currency.name]; !ok {
				schedules[g.currency.name] = schedule{g.grant.Every, rpl.name, l.at(g.currency)}
			} else if first.every != g.grant.Every {
				l.errorAt(l.at(g.currency), "%s: credits of %q every %s, but plan %q grants them every %s (at %s): a currency is granted on one schedule in every plan",
					ctx, g.currency.name, g.grant.Every, first.plan, first.every, first.pos)
				continue
			}
			pl.Grants = append(pl.Grants, g.grant)
		}
		if rpl.seatPriceSet {
			pl.SeatPrice = rpl.seatPrice
		}
		if rpl.def {
			if p.defPlan != nil {
				l.errorAt(rpl.defPos, "%s: default: true, but plan %q is already the default (declared at %s)",
					ctx, p.defPlan.Name, defRaw.defPos)
			} else {
				p.defPlan, defRaw = pl, rpl
			}
		}
		p.plans = append(p.plans, pl)
		p.planMeta = append(p.planMeta, meta)
		p.planIndex[pl.Name] = pl
	}
	if p.defPlan == nil && len(p.plans) > 0 {
		p.defPlan = p.plans[0]
	}
}

// planRole resolves a plan's invite_role or link_role.
func (l *loader) planRole(p *Policy, pl *plan.Plan, ctx, field string, rr ref, rolesPos Pos, suspect bool) *role.Role {
	if rr.name == "" {
		return nil
	}
	r := p.roleIndex[rr.name]
	switch {
	case r == nil:
		l.unknown(rr, "role", "%s: %s: unknown role %q", ctx, field, rr.name)
	case r.Owner:
		l.errorAt(l.at(rr), "%s: %s cannot be the owner role %q", ctx, field, r.Name)
	case !pl.Offers(r) && !suspect:
		l.errorAt(l.at(rr), "%s: %s %q is not offered by the plan (roles at %s)", ctx, field, r.Name, rolesPos)
	default:
		return r
	}
	return nil
}

// unknown reports the use of a name that is not declared as a kind ("role",
// "action", "feature" or "currency"), with the declared name nearest to it
// ("did you mean"); a name whose declaration was reported, or any name of
// a section that was reported missing or wrong ("*"), is not reported again
// where it is used.
func (l *loader) unknown(r ref, kind, format string, args ...any) {
	if l.rejected[kind+"\x00"+r.name] || l.rejected[kind+"\x00*"] {
		return
	}
	l.errorAt(l.at(r), "%s%s", fmt.Sprintf(format, args...), didYouMean(r.name, l.declaredNames(kind)))
}

// declaredNames returns the names declared as kind, in the file's order.
func (l *loader) declaredNames(kind string) []string {
	rp := l.raw
	var names []string
	switch kind {
	case "role":
		for _, r := range rp.roles {
			names = append(names, r.name)
		}
	case "action":
		for _, a := range rp.actions {
			names = append(names, a.name)
		}
	case "feature":
		for _, f := range rp.features {
			names = append(names, f.name)
		}
	case "currency":
		for _, c := range rp.currencies {
			names = append(names, c.name)
		}
	}
	return names
}
