package memory

import (
	"slices"

	"github.com/charterhq/charter/credits"
)

// lotSet is a pool's lots, in the order of their IDs: what a ledger read
// returns, copied as it lies, with no map to walk and no sort per read. A
// pool holds a few lots (one per top-up, grant or earning still held), so
// a put that inserts moves the lots after it.
type lotSet struct{ lots []credits.Grant }

// find returns the place of lot id, or where it would go.
func (s *lotSet) find(id string) (int, bool) { return credits.SearchID(s.lots, id) }

// put writes g and returns the lot it replaced, if there was one.
func (s *lotSet) put(g credits.Grant) (old credits.Grant, had bool) {
	i, had := s.find(g.ID)
	return s.putAt(i, had, g), had
}

// putAt is put of g where find placed it: at i, over the lot there when
// had. It returns that lot (none when not had).
func (s *lotSet) putAt(i int, had bool, g credits.Grant) (old credits.Grant) {
	if had {
		old, s.lots[i] = s.lots[i], g
		return old
	}
	s.lots = slices.Insert(s.lots, i, g)
	return credits.Grant{}
}

// drop deletes lot id and returns it, if it was there.
func (s *lotSet) drop(id string) (old credits.Grant, had bool) {
	i, had := s.find(id)
	if !had {
		return credits.Grant{}, false
	}
	old = s.lots[i]
	s.lots = slices.Delete(s.lots, i, i+1)
	return old, true
}

// all returns the lots in the order of their IDs; nil for a nil set. The
// caller must not change them.
func (s *lotSet) all() []credits.Grant {
	if s == nil {
		return nil
	}
	return s.lots
}
