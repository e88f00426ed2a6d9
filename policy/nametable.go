package policy

import (
	"encoding/binary"

	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/role"
)

// nameTable finds a policy's action, role, plan or currency by name with
// one probe and one string comparison, where a map of a policy's few to
// 1,000 names probes a group after hashing: the action's lookup was a
// seventh of Service.Can on the memory store, and a spend looks up an
// action, a role, a plan and a currency. Its hash reads the name's length
// and its first and last 8 bytes (all of a name of up to 16), mixed with a
// seed drawn at load until no two of the policy's names share a slot of a
// table at least four times their number. A policy for which no draw of 64
// separates the names keeps the map: one of a hundred names or more (a
// draw rarely leaves that many apart), or with two long names alike but in
// their middle bytes.
type nameTable[T any] struct {
	slots []*T     // len a power of two; nil: use the map
	names []string // the name of each slot's value
	seed  uint64
}

func (t *nameTable[T]) hash(name string) uint64 {
	var head, tail uint64
	// Two reads, which may overlap, cover every byte of a name of a
	// given length (which is mixed in too): no two names of one length
	// read the same, and none loops over its bytes.
	switch n := len(name); {
	case n >= 8:
		head = binary.LittleEndian.Uint64([]byte(name[:8]))
		tail = binary.LittleEndian.Uint64([]byte(name[n-8:]))
	case n >= 4:
		head = uint64(binary.LittleEndian.Uint32([]byte(name[:4]))) | uint64(binary.LittleEndian.Uint32([]byte(name[n-4:])))<<32
	case n > 0:
		head = uint64(name[0]) | uint64(name[n/2])<<8 | uint64(name[n-1])<<16
	}
	h := (head ^ t.seed) * 0x9e3779b97f4a7c15
	h ^= h >> 29
	h = (h ^ tail ^ uint64(len(name))) * 0xbf58476d1ce4e5b9
	return h ^ h>>32
}

// build fills t for values, each called by its name in names (the same
// length), or leaves it empty when a name is empty, two are the same, or
// no draw separates them.
func (t *nameTable[T]) build(values []*T, names []string) {
	*t = nameTable[T]{}
	for _, n := range names {
		if n == "" {
			return
		}
	}
	size := 4
	for size < 4*len(values) {
		size *= 2
	}
	slots, at := make([]*T, size), make([]string, size)
	seed := uint64(0x85ebca6b)
draw:
	for range 64 {
		clear(slots)
		t.seed = seed
		for i, v := range values {
			j := t.hash(names[i]) & uint64(size-1)
			if slots[j] != nil {
				seed = seed*0x2c1b3c6d297a2d39 + 0x9e3779b97f4a7c15
				continue draw
			}
			slots[j], at[j] = v, names[i]
		}
		t.slots, t.names = slots, at
		return
	}
	*t = nameTable[T]{}
}

// find returns the value called name: ok is false when t is empty, and
// the caller must ask the map.
func (t *nameTable[T]) find(name string) (v *T, ok bool) {
	if t.slots == nil {
		return nil, false
	}
	if name == "" {
		return nil, true
	}
	i := t.hash(name) & uint64(len(t.slots)-1)
	if t.names[i] == name {
		return t.slots[i], true
	}
	return nil, true
}

// nameTables are a policy's tables of its actions, roles, plans and
// currencies.
type nameTables struct {
	actions    nameTable[Action]
	roles      nameTable[role.Role]
	plans      nameTable[plan.Plan]
	currencies nameTable[Currency]
}

// build fills the tables for p's actions, roles, plans and currencies.
func (ts *nameTables) build(p *Policy) {
	ts.actions.build(p.actions, namesOf(p.actions, func(a *Action) string { return a.Name }))
	ts.roles.build(p.roles, namesOf(p.roles, func(r *role.Role) string { return r.Name }))
	ts.plans.build(p.plans, namesOf(p.plans, func(pl *plan.Plan) string { return pl.Name }))
	ts.currencies.build(p.currencies, namesOf(p.currencies, func(c *Currency) string { return c.Name }))
}

// namesOf returns the name of each of vs.
func namesOf[T any](vs []*T, name func(*T) string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = name(v)
	}
	return out
}
