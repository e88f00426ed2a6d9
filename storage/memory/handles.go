package memory

import "hash/maphash"

// This file holds the two structures by which the store keeps users and
// workspaces compact: a slab of records named by small integer handles, and
// the interning of user IDs into handles.

// slabChunk is how many records a slab allocates at a time. A slab grows by
// whole chunks and never copies a record, so it carries no slack beyond its
// last chunk (a growing slice would carry up to a quarter of its length).
const slabChunk = 1 << 10

// slab holds records of type T under handles 1, 2, ...: an index a record
// keeps as four bytes where a pointer takes eight. Handle 0 is never given,
// so a zero handle means none. A released handle is given again.
type slab[T any] struct {
	chunks []*[slabChunk]T
	next   uint32   // the next handle never given
	free   []uint32 // released handles
}

// at returns the record of handle h.
func (s *slab[T]) at(h uint32) *T {
	return &s.chunks[h/slabChunk][h%slabChunk]
}

// alloc returns an unused handle, whose record is zero.
func (s *slab[T]) alloc() uint32 {
	if n := len(s.free); n > 0 {
		h := s.free[n-1]
		s.free = s.free[:n-1]
		return h
	}
	if s.next == 0 {
		s.next = 1
	}
	h := s.next
	if int(h/slabChunk) == len(s.chunks) {
		s.chunks = append(s.chunks, new([slabChunk]T))
	}
	s.next++
	return h
}

// release zeroes h's record and makes h free to be given again.
func (s *slab[T]) release(h uint32) {
	var zero T
	*s.at(h) = zero
	s.free = append(s.free, h)
}

// userRec is what the store keeps of a user: their ID and what refers to
// them. A user is kept while they are a member of a workspace or own one.
type userRec struct {
	name     string
	ws       []uint32 // the workspaces they are a member of, in no order
	personal uint32   // their personal workspace, 0 if none
	owns     uint32   // how many workspaces they own, of any kind
}

// referenced reports whether anything still refers to the user.
func (u *userRec) referenced() bool { return len(u.ws) > 0 || u.owns > 0 || u.personal != 0 }

// users interns user IDs: one record per user, found by ID through an
// open-addressed hash table of handles (four bytes a slot where a Go map of
// string to handle takes about forty a user).
type users struct {
	slab[userRec]
	seed  maphash.Seed
	slots []uint32 // handles, 0 for an empty slot; linear probing
	n     int      // users held
	// drop holds users whose last reference went in the current
	// transaction. They are released when it ends if still unreferenced:
	// until then their handles stay valid for the undo log.
	drop []uint32
}

func newUsers() users { return users{seed: maphash.MakeSeed()} }

func (u *users) hash(name string) int { return int(maphash.String(u.seed, name)) }

// find returns the handle of the user with ID name.
func (u *users) find(name string) (uint32, bool) {
	if u.n == 0 {
		return 0, false
	}
	mask := len(u.slots) - 1
	for i := u.hash(name) & mask; ; i = (i + 1) & mask {
		h := u.slots[i]
		if h == 0 {
			return 0, false
		}
		if u.at(h).name == name {
			return h, true
		}
	}
}

// intern returns the handle of the user with ID name, adding the user if
// new. A new user is unreferenced until the caller refers to them, and is
// put on the drop list in case the caller does not.
func (u *users) intern(name string) uint32 {
	if h, ok := u.find(name); ok {
		return h
	}
	if (u.n+1)*4 > len(u.slots)*3 {
		u.rehash(max(64, 2*len(u.slots)))
	}
	h := u.alloc()
	u.at(h).name = name
	u.place(h, u.hash(name))
	u.n++
	u.drop = append(u.drop, h)
	return h
}

// place puts handle h, whose ID hashes to hash, in the first free slot
// from its home.
func (u *users) place(h uint32, hash int) {
	mask := len(u.slots) - 1
	i := hash & mask
	for u.slots[i] != 0 {
		i = (i + 1) & mask
	}
	u.slots[i] = h
}

func (u *users) rehash(size int) {
	old := u.slots
	u.slots = make([]uint32, size)
	for _, h := range old {
		if h != 0 {
			u.place(h, u.hash(u.at(h).name))
		}
	}
}

// unref puts h on the drop list if nothing refers to the user any more.
func (u *users) unref(h uint32) {
	if !u.at(h).referenced() {
		u.drop = append(u.drop, h)
	}
}

// sweep releases the users on the drop list that are still unreferenced.
func (u *users) sweep() {
	for _, h := range u.drop {
		if r := u.at(h); !r.referenced() {
			if found, ok := u.find(r.name); ok && found == h {
				u.remove(h)
			}
		}
	}
	u.drop = u.drop[:0]
}

// remove takes h out of the table and releases its record. The slots
// after it move back to where a probe would find them (backward-shift
// deletion), so no tombstones accumulate.
func (u *users) remove(h uint32) {
	mask := len(u.slots) - 1
	i := u.hash(u.at(h).name) & mask
	for u.slots[i] != h {
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; u.slots[j] != 0; j = (j + 1) & mask {
		home := u.hash(u.at(u.slots[j]).name) & mask
		// The entry at j may move to the hole at i unless its home lies
		// cyclically in (i, j].
		if (i <= j && i < home && home <= j) || (i > j && (i < home || home <= j)) {
			continue
		}
		u.slots[i] = u.slots[j]
		i = j
	}
	u.slots[i] = 0
	u.n--
	u.release(h)
}

// names interns the role and plan names the store holds, for its life: a
// policy has a few of each.
type names struct {
	idx  map[string]uint32
	list []string
}

func (n *names) intern(s string) uint32 {
	if i, ok := n.idx[s]; ok {
		return i
	}
	if n.idx == nil {
		n.idx = map[string]uint32{}
	}
	i := uint32(len(n.list))
	n.idx[s] = i
	n.list = append(n.list, s)
	return i
}
