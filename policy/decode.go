package policy

import (
	"math"

	"gopkg.in/yaml.v3"

	"github.com/charterhq/charter/plan"
)

// The raw form of a policy: what the YAML says, with positions, before
// names are resolved. decode fills it; compile checks and resolves it.

type rawPolicy struct {
	root        Pos
	name        string
	sharing     Sharing
	sharingPos  Pos // the sharing: value; zero when the policy takes the default
	ownership   Ownership
	ownerPos    Pos // the ownership: value; zero when absent
	creator     ref // creator_role; name "" when absent
	features    []ref
	currencies  []rawCurrency
	roles       []rawRole
	rolesPos    Pos
	actions     []rawAction
	actionsPos  Pos
	operations  []rawOp
	plans       []rawPlan
	plansPos    Pos
	permissions []rawPerm
}

type rawCurrency struct {
	ref
	desc     string
	kinds    KindSet
	kindsSet bool
	initial  int64
}

// suspect, in a declaration, means a field of its body was reported
// misspelt or of a wrong value: the rules between declarations are not
// checked against it, since what it was meant to say is unknown (one
// mistake, one message).

type rawRole struct {
	ref
	suspect                           bool
	desc                              string
	owner, admin, guest, seat, spends bool
	ownerPos, guestPos, rankPos       Pos
	rank                              int
	assigns                           []ref
}

type rawAction struct {
	ref
	suspect    bool
	desc       string
	scope      Scope
	feature    ref // name "" when none
	kinds      KindSet
	kindsPos   Pos
	billing    bool
	cost       ref // name is the currency; "" when free
	costAmount int64
}

type rawOp struct {
	op     Op
	action ref
}

type rawPlan struct {
	ref
	suspect      bool
	desc         string
	def          bool
	defPos       Pos
	features     []ref
	roles        []ref
	rolesSet     bool
	rolesPos     Pos
	invite, link ref
	limits       plan.Limits
	credits      []rawGrant
	seatPrice    plan.Price
	seatPriceSet bool
	seatPricePos Pos
}

type rawGrant struct {
	currency ref
	grant    plan.Grant
}

type rawPerm struct {
	action ref
	roles  []ref
}

func (l *loader) decode(root *yaml.Node) *rawPolicy {
	rp := &rawPolicy{root: l.pos(root)}
	f, ok := l.fields(root, "", "policy", "policy", "sharing", "ownership", "creator_role", "features", "currencies",
		"roles", "actions", "operations", "plans", "permissions")
	if !ok {
		return rp
	}
	l.required(f, root, "", "policy", "roles", "actions", "plans", "permissions")
	// Names of a section that is missing, misspelt or not a mapping are
	// not reported unknown where they are used: one mistake, one message.
	for section, kind := range map[string]string{"roles": "role", "actions": "action", "features": "feature", "currencies": "currency"} {
		if _, ok := f[section]; !ok && (l.misspelt["\x00"+section] || section == "roles" || section == "actions") {
			l.reject(kind, "*")
		}
	}
	if e, ok := f["policy"]; ok {
		if r, ok := l.name(e.v, "policy"); ok {
			rp.name = r.name
		}
	}
	if e, ok := f["sharing"]; ok {
		if s, ok := l.str(e.v, "sharing"); ok {
			rp.sharingPos = l.pos(e.v)
			switch s {
			case "deny":
				rp.sharing = SharingDeny
			case "convert":
				rp.sharing = SharingConvert
			default:
				l.errorf(e.v, "sharing must be \"deny\" or \"convert\", got %s", quoteInput(s))
			}
		}
	}
	if e, ok := f["ownership"]; ok {
		if s, ok := l.str(e.v, "ownership"); ok {
			switch s {
			case "every":
				rp.ownership, rp.ownerPos = OwnerEvery, l.pos(e.v)
			case "personal":
				rp.ownership, rp.ownerPos = OwnerPersonal, l.pos(e.v)
			default:
				l.errorf(e.v, "ownership must be \"every\" or \"personal\", got %s", quoteInput(s))
			}
		}
	}
	if e, ok := f["creator_role"]; ok {
		rp.creator, _ = l.name(e.v, "creator_role")
	}
	if e, ok := f["features"]; ok {
		if e.v.Kind != yaml.SequenceNode {
			l.reject("feature", "*")
		}
		rp.features = l.names(e.v, "features")
		if len(rp.features) > plan.MaxFeatures {
			l.errorAt(l.at(rp.features[plan.MaxFeatures]), "more than %d features", plan.MaxFeatures)
			for _, f := range rp.features[plan.MaxFeatures:] {
				l.reject("feature", f.name)
			}
			rp.features = rp.features[:plan.MaxFeatures]
		}
	}
	if e, ok := f["currencies"]; ok {
		l.decodeCurrencies(rp, e.v)
	}
	if e, ok := f["roles"]; ok {
		rp.rolesPos = l.pos(e.v)
		l.decodeRoles(rp, e.v)
	}
	if e, ok := f["actions"]; ok {
		rp.actionsPos = l.pos(e.v)
		l.decodeActions(rp, e.v)
	}
	if e, ok := f["operations"]; ok {
		l.decodeOperations(rp, e.v)
	}
	if e, ok := f["plans"]; ok {
		rp.plansPos = l.pos(e.v)
		l.decodePlans(rp, e.v)
	}
	if e, ok := f["permissions"]; ok {
		l.decodePermissions(rp, e.v)
	}
	return rp
}

// body is fields for the body of a declaration whose fields are all
// optional: an empty value (null) declares it with every default.
func (l *loader) body(n *yaml.Node, ctx, what string, known ...string) (map[string]entry, bool) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil, true
	}
	return l.fields(n, ctx, what, known...)
}

// declared decodes the key of a declaration under section.
func (l *loader) declared(e entry, what string) (ref, bool) {
	return l.name(e.k, what+" name")
}

func (l *loader) decodeCurrencies(rp *rawPolicy, n *yaml.Node) {
	entries, ok := l.mapping(n, "currencies")
	if !ok {
		l.reject("currency", "*")
	}
	for _, e := range entries {
		r, ok := l.declared(e, "currency")
		if !ok {
			continue
		}
		c := rawCurrency{ref: r, kinds: AllKinds}
		ctx := "currency " + quote(r.name)
		f, ok := l.body(e.v, ctx, "", "description", "kinds", "initial")
		if ok {
			if x, ok := f["description"]; ok {
				c.desc, _ = l.str(x.v, label(ctx, "description"))
			}
			if x, ok := f["kinds"]; ok {
				if ks, ok := l.kinds(x.v, label(ctx, "kinds")); ok {
					c.kinds, c.kindsSet = ks, true
				}
			}
			if x, ok := f["initial"]; ok {
				c.initial, _ = l.integer(x.v, label(ctx, "initial"), 0, math.MaxInt64)
			}
		}
		rp.currencies = append(rp.currencies, c)
	}
}

func (l *loader) decodeRoles(rp *rawPolicy, n *yaml.Node) {
	entries, ok := l.mapping(n, "roles")
	if !ok {
		l.reject("role", "*")
		return
	}
	if len(entries) == 0 && len(n.Content) == 0 {
		l.errorf(n, "roles must declare at least one role")
	}
	// Names first: an invalid name is reported where it is declared, not
	// where an earlier role assigns it.
	for _, e := range entries[:min(len(entries), 64)] {
		l.declared(e, "role")
	}
	for i, e := range entries {
		if i == 64 {
			l.errorf(e.k, "more than %d roles", 64)
			for _, e := range entries[i:] {
				l.reject("role", e.key)
			}
			return
		}
		r, ok := l.declared(e, "role")
		if !ok {
			continue
		}
		rr := rawRole{ref: r, guestPos: l.at(r)}
		ctx := "role " + quote(r.name)
		l.unsure = false
		f, ok := l.fields(e.v, ctx, "", "description", "owner", "admin", "guest", "seat", "spends", "rank", "assigns")
		if !ok {
			l.reject("role", r.name)
			continue
		}
		l.required(f, e.k, ctx, "rank")
		if x, ok := f["description"]; ok {
			rr.desc, _ = l.str(x.v, label(ctx, "description"))
		}
		if x, ok := f["owner"]; ok {
			rr.owner, rr.ownerPos = l.boolean(x.v, label(ctx, "owner")), l.pos(x.v)
		}
		if x, ok := f["admin"]; ok {
			rr.admin = l.boolean(x.v, label(ctx, "admin"))
		}
		if x, ok := f["guest"]; ok {
			rr.guest, rr.guestPos = l.boolean(x.v, label(ctx, "guest")), l.pos(x.v)
		}
		if x, ok := f["seat"]; ok {
			rr.seat = l.boolean(x.v, label(ctx, "seat"))
		}
		if x, ok := f["spends"]; ok {
			rr.spends = l.boolean(x.v, label(ctx, "spends"))
		}
		if x, ok := f["rank"]; ok {
			if rank, ok := l.integer(x.v, label(ctx, "rank"), 0, math.MaxInt32); ok {
				rr.rank, rr.rankPos = int(rank), l.pos(x.v)
			}
		}
		if x, ok := f["assigns"]; ok {
			rr.assigns = l.names(x.v, label(ctx, "assigns"))
		}
		rr.suspect = l.unsure
		rp.roles = append(rp.roles, rr)
	}
}

func (l *loader) decodeActions(rp *rawPolicy, n *yaml.Node) {
	entries, ok := l.mapping(n, "actions")
	if !ok {
		l.reject("action", "*")
		return
	}
	if len(entries) == 0 && len(n.Content) == 0 {
		l.errorf(n, "actions must declare at least one action")
	}
	for _, e := range entries {
		r, ok := l.declared(e, "action")
		if !ok {
			continue
		}
		a := rawAction{ref: r, kinds: AllKinds, kindsPos: l.at(r)}
		ctx := "action " + quote(r.name)
		l.unsure = false
		f, ok := l.body(e.v, ctx, "", "description", "scope", "feature", "kinds", "billing", "cost")
		if ok {
			if x, ok := f["description"]; ok {
				a.desc, _ = l.str(x.v, label(ctx, "description"))
			}
			if x, ok := f["scope"]; ok {
				if s, ok := l.str(x.v, label(ctx, "scope")); ok {
					switch s {
					case "workspace":
						a.scope = ScopeWorkspace
					case "project":
						a.scope = ScopeProject
					default:
						l.unsure = true
						l.errorf(x.v, "%s: scope must be \"workspace\" or \"project\", got %s", ctx, quoteInput(s))
					}
				}
			}
			if x, ok := f["feature"]; ok {
				a.feature, _ = l.name(x.v, label(ctx, "feature"))
			}
			if x, ok := f["kinds"]; ok {
				a.kindsPos = l.pos(x.v)
				if ks, ok := l.kinds(x.v, label(ctx, "kinds")); ok {
					a.kinds = ks
				}
			}
			if x, ok := f["billing"]; ok {
				a.billing = l.boolean(x.v, label(ctx, "billing"))
			}
			if x, ok := f["cost"]; ok {
				l.decodeCost(&a, ctx, x.v)
			}
		}
		a.suspect = l.unsure
		rp.actions = append(rp.actions, a)
	}
}

func (l *loader) decodeCost(a *rawAction, ctx string, n *yaml.Node) {
	entries, ok := l.mapping(n, label(ctx, "cost"))
	if !ok {
		return
	}
	if len(entries) != 1 {
		l.errorf(n, "%s: cost must name exactly one currency, got %d", ctx, len(entries))
		return
	}
	e := entries[0]
	c, ok := l.name(e.k, label(ctx, "cost currency"))
	if !ok {
		return
	}
	amount, ok := l.integer(e.v, label(ctx, "cost of "+quote(c.name)), 1, math.MaxInt64)
	if !ok {
		return
	}
	a.cost, a.costAmount = c, amount
}

func (l *loader) decodeOperations(rp *rawPolicy, n *yaml.Node) {
	entries, _ := l.mapping(n, "operations")
	for _, e := range entries {
		op, ok := ParseOp(e.key)
		if !ok {
			l.errorf(e.k, "unknown operation %s%s", quoteInput(e.key), didYouMean(e.key, opNames[1:]))
			continue
		}
		if a, ok := l.name(e.v, "operation "+quote(e.key)); ok {
			rp.operations = append(rp.operations, rawOp{op: op, action: a})
		}
	}
}

func (l *loader) decodePermissions(rp *rawPolicy, n *yaml.Node) {
	entries, _ := l.mapping(n, "permissions")
	for _, e := range entries {
		a, ok := l.name(e.k, "permissions: action name")
		if !ok {
			continue
		}
		rp.permissions = append(rp.permissions, rawPerm{
			action: a,
			roles:  l.names(e.v, "permissions: "+quote(a.name)),
		})
	}
}
