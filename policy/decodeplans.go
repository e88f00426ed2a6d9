package policy

import (
	"math"

	"github.com/charterhq/charter/plan"
	"gopkg.in/yaml.v3"
)

// This file decodes the plans section: limits, credits and seat prices.

func (l *loader) decodePlans(rp *rawPolicy, n *yaml.Node) {
	entries, ok := l.mapping(n, "plans")
	if !ok {
		return
	}
	if len(entries) == 0 && len(n.Content) == 0 {
		l.errorf(n, "plans must declare at least one plan")
	}
	for _, e := range entries {
		r, ok := l.declared(e, "plan")
		if !ok {
			continue
		}
		unl := plan.Unlimited
		p := rawPlan{ref: r, rolesPos: l.at(r), limits: plan.Limits{Members: unl, Seats: unl, Guests: unl, SharedWorkspaces: unl}}
		ctx := "plan " + quote(r.name)
		l.unsure = false
		f, ok := l.body(e.v, ctx, "", "description", "default", "features", "roles",
			"invite_role", "link_role", "limits", "credits", "seat_price")
		if ok {
			if x, ok := f["description"]; ok {
				p.desc, _ = l.str(x.v, label(ctx, "description"))
			}
			if x, ok := f["default"]; ok {
				p.def, p.defPos = l.boolean(x.v, label(ctx, "default")), l.pos(x.v)
			}
			if x, ok := f["features"]; ok {
				p.features = l.names(x.v, label(ctx, "features"))
			}
			if x, ok := f["roles"]; ok {
				p.roles, p.rolesSet, p.rolesPos = l.names(x.v, label(ctx, "roles")), true, l.pos(x.v)
			}
			if x, ok := f["invite_role"]; ok {
				p.invite, _ = l.name(x.v, label(ctx, "invite_role"))
			}
			if x, ok := f["link_role"]; ok {
				p.link, _ = l.name(x.v, label(ctx, "link_role"))
			}
			if x, ok := f["limits"]; ok {
				l.decodeLimits(&p, ctx, x.v)
			}
			if x, ok := f["credits"]; ok {
				l.decodeCredits(&p, ctx, x.v)
			}
			if x, ok := f["seat_price"]; ok {
				l.decodeSeatPrice(&p, ctx, x.v)
			}
		}
		p.suspect = l.unsure
		rp.plans = append(rp.plans, p)
	}
}

func (l *loader) decodeLimits(p *rawPlan, ctx string, n *yaml.Node) {
	f, ok := l.fields(n, ctx, "limits", "members", "seats", "guests", "shared_workspaces")
	if !ok {
		return
	}
	for key, dst := range map[string]*plan.Limit{
		"members":           &p.limits.Members,
		"seats":             &p.limits.Seats,
		"guests":            &p.limits.Guests,
		"shared_workspaces": &p.limits.SharedWorkspaces,
	} {
		if x, ok := f[key]; ok {
			if lim, ok := l.limit(x.v, label(ctx, "limits: "+key)); ok {
				*dst = lim
			}
		}
	}
}

func (l *loader) decodeCredits(p *rawPlan, ctx string, n *yaml.Node) {
	entries, _ := l.mapping(n, label(ctx, "credits"))
	for _, e := range entries {
		c, ok := l.name(e.k, label(ctx, "credits currency"))
		if !ok {
			continue
		}
		gctx := ctx + ": credits " + quote(c.name)
		f, ok := l.fields(e.v, gctx, "", "amount", "every", "rollover", "allowances")
		if !ok {
			continue
		}
		ok = l.required(f, e.k, gctx, "amount", "every")
		g := plan.Grant{Currency: c.name}
		if x, has := f["amount"]; has {
			var aok bool
			g.Amount, aok = l.integer(x.v, label(gctx, "amount"), 0, math.MaxInt64)
			ok = ok && aok
		}
		if x, has := f["every"]; has {
			var pok bool
			g.Every, pok = l.period(x.v, label(gctx, "every"))
			ok = ok && pok
		}
		if x, has := f["rollover"]; has {
			v := x.v
			switch {
			case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!int":
				cp, cok := l.integer(v, label(gctx, "rollover"), 0, math.MaxInt64)
				g.Rollover = plan.Rollover{Kind: plan.RolloverCap, Cap: cp}
				ok = ok && cok
			case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" && v.Value == "none":
			case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" && v.Value == "all":
				g.Rollover.Kind = plan.RolloverAll
			default:
				l.errorf(v, "%s: rollover must be \"none\", \"all\" or an integer cap >= 0, got %s", gctx, describe(v))
				ok = false
			}
		}
		if x, has := f["allowances"]; has {
			if s, sok := l.str(x.v, label(gctx, "allowances")); sok {
				switch s {
				case "optional":
				case "required":
					g.RequireAllowance = true
				default:
					l.errorf(x.v, "%s: allowances must be \"optional\" or \"required\", got %s", gctx, quoteInput(s))
					ok = false
				}
			}
		}
		if ok {
			p.credits = append(p.credits, rawGrant{currency: c, grant: g})
		}
	}
}

func (l *loader) decodeSeatPrice(p *rawPlan, ctx string, n *yaml.Node) {
	sctx := ctx + ": seat_price"
	f, ok := l.fields(n, sctx, "", "amount", "currency", "every")
	if !ok {
		return
	}
	ok = l.required(f, n, sctx, "amount", "currency", "every")
	var price plan.Price
	if x, has := f["amount"]; has {
		var aok bool
		price.Amount, aok = l.integer(x.v, label(sctx, "amount"), 0, math.MaxInt64)
		ok = ok && aok
	}
	if x, has := f["currency"]; has {
		s, sok := l.str(x.v, label(sctx, "currency"))
		if sok && !isoCurrency(s) {
			l.errorf(x.v, "%s: currency must be an ISO 4217 code like \"USD\", got %s", sctx, quoteInput(s))
			sok = false
		}
		price.Currency = s
		ok = ok && sok
	}
	if x, has := f["every"]; has {
		var pok bool
		price.Every, pok = l.period(x.v, label(sctx, "every"))
		ok = ok && pok
	}
	if ok {
		p.seatPrice, p.seatPriceSet, p.seatPricePos = price, true, l.pos(n)
	}
}

func isoCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := range 3 {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}
