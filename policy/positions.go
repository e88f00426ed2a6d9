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
