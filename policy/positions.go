package policy

import (
	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/role"
)

// RolePos returns the position of role r's declaration (its key under
// roles:), which holds its rank and the roles it assigns; zero when r is not
// a role of p. The Service puts it on refusals by assignment and rank.
func (p *Policy) RolePos(r *role.Role) Pos {
	if !p.hasRole(r) {
		return Pos{}
	}
	return p.roleMeta[r.Index].pos
}

// GuestPos returns the position of role r's guest: value (or of its
// declaration when it has none); zero when r is not a role of p.
func (p *Policy) GuestPos(r *role.Role) Pos {
	if !p.hasRole(r) {
		return Pos{}
	}
	return p.roleMeta[r.Index].guestPos
}

// PlanPos returns the position of plan pl's declaration (its key under
// plans:); zero when pl is not a plan of p.
func (p *Policy) PlanPos(pl *plan.Plan) Pos {
	if !p.hasPlan(pl) {
		return Pos{}
	}
	return p.planMeta[pl.Index].pos
}

// PlanRolesPos returns the position of plan pl's roles: value, which says
// which roles it offers (or of its declaration when it offers every role);
// zero when pl is not a plan of p.
func (p *Policy) PlanRolesPos(pl *plan.Plan) Pos {
	if !p.hasPlan(pl) {
		return Pos{}
	}
	return p.planMeta[pl.Index].rolesPos
}

func (p *Policy) hasRole(r *role.Role) bool {
	return r != nil && r.Index >= 0 && r.Index < len(p.roles) && p.roles[r.Index] == r
}

func (p *Policy) hasPlan(pl *plan.Plan) bool {
	return pl != nil && pl.Index >= 0 && pl.Index < len(p.plans) && p.plans[pl.Index] == pl
}

// SharingPos returns the position of the policy's sharing: value, which says
// whether inviting someone into a personal workspace converts it; the
// position of the document itself when the policy takes the default (deny).
// The Service puts it on the refusal to invite into a personal workspace.
func (p *Policy) SharingPos() Pos {
	if p.sharingPos.Line == 0 {
		return Pos{File: p.file, Line: 1, Col: 1}
	}
	return p.sharingPos
}

// CurrencyPos returns the position of currency c's declaration (its key
// under currencies:), which says the kinds it exists in; zero when c is not
// a currency of p. The Service puts it on refusals of a currency in a kind
// where it does not exist.
func (p *Policy) CurrencyPos(c *Currency) Pos {
	if c == nil || p.currencyIndex[c.Name] != c {
		return Pos{}
	}
	return p.currencyPos[c.Name]
}
