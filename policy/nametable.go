package policy

import "encoding/binary"

// actionTable finds an action by name with one probe and one string
// comparison, where a map of a policy's 10 to 1,000 actions probes a group
// after hashing: the name's lookup was a seventh of Service.Can on the
// memory store. Its hash reads the name's length and its first and last 8
// bytes (all of a name of up to 16), mixed with a seed drawn at load until
// no two of the policy's names share a slot of a table at least four times
// their number. A policy for which no draw of 64 separates the names keeps
// the map: one of a hundred actions or more (a draw rarely leaves that many
// names apart), or with two long names alike but in their middle bytes.
type actionTable struct {
	slots []*Action // len a power of two; nil: use the map
	seed  uint64
}

func (t *actionTable) hash(name string) uint64 {
	var head, tail uint64
	if len(name) >= 8 {
		head = binary.LittleEndian.Uint64([]byte(name[:8]))
		tail = binary.LittleEndian.Uint64([]byte(name[len(name)-8:]))
	} else {
		for i := 0; i < len(name); i++ {
			head |= uint64(name[i]) << (8 * i)
		}
	}
	h := (head ^ t.seed) * 0x9e3779b97f4a7c15
	h ^= h >> 29
	h = (h ^ tail ^ uint64(len(name))) * 0xbf58476d1ce4e5b9
	return h ^ h>>32
}

// build fills t for actions (whose names are distinct and not empty), or
// leaves it empty when no draw separates them.
func (t *actionTable) build(actions []*Action) {
	*t = actionTable{}
	for _, a := range actions {
		if a.Name == "" {
			return
		}
	}
	size := 4
	for size < 4*len(actions) {
		size *= 2
	}
	slots := make([]*Action, size)
	seed := uint64(0x85ebca6b)
draw:
	for range 64 {
		clear(slots)
		t.seed = seed
		for _, a := range actions {
			i := t.hash(a.Name) & uint64(size-1)
			if slots[i] != nil {
				seed = seed*0x2c1b3c6d297a2d39 + 0x9e3779b97f4a7c15
				continue draw
			}
			slots[i] = a
		}
		t.slots = slots
		return
	}
	*t = actionTable{}
}

// find returns the action called name: ok is false when t is empty, and
// the caller must ask the map.
func (t *actionTable) find(name string) (a *Action, ok bool) {
	if t.slots == nil {
		return nil, false
	}
	if name == "" {
		return nil, true
	}
	a = t.slots[t.hash(name)&uint64(len(t.slots)-1)]
	if a != nil && a.Name == name {
		return a, true
	}
	return nil, true
}
