package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/charterhq/charter/storage"
)

// This file holds how the store keeps memberships, and the transaction's
// member methods.

// memberRec is one membership in 16 bytes: the user and role by handle,
// the join time in microseconds, and flags that say where the rest is.
type memberRec struct {
	joined int64
	user   uint32
	role   uint16 // in state.names
	flags  uint8
}

const (
	// seatJoined: SeatSince is Joined (a member who joined on a seat).
	seatJoined uint8 = 1 << iota
	// seatOther: SeatSince is in state.seats.
	seatOther
	// hasProjects: the member's projects are in state.projects.
	hasProjects
)

// mkey names a membership by workspace and user handle, in the maps that
// hold what few members have.
type mkey struct{ ws, user uint32 }

// bigAt is the most members a workspace keeps without indexes: up to it,
// a member is found, and roles counted, by a scan of at most bigAt
// records. Past it the workspace keeps a bigWS. It drops the indexes when
// it shrinks to a quarter of it.
const bigAt = 32

// bigWS indexes the members of a large workspace.
type bigWS struct {
	pos     map[uint32]int32    // user -> index in wsRec.members
	counts  map[uint16]int      // role -> members holding it
	holders map[uint16]*ordered // role -> its holders by join time and user
	byUser  ordered             // the members by user (joined left 0)
}

// memberVal is everything stored of a membership.
type memberVal struct {
	rec      memberRec
	seat     int64 // SeatSince, when rec.flags has seatOther
	projects []string
}

// find returns the index of user's membership in r.members, or -1.
func (r *wsRec) find(user uint32) int {
	if r.big != nil {
		if i, ok := r.big.pos[user]; ok {
			return int(i)
		}
		return -1
	}
	for i := range r.members {
		if r.members[i].user == user {
			return i
		}
	}
	return -1
}

// encode turns m into what the store keeps. Its role is interned.
func (s *state) encode(m storage.Member, user uint32) (memberVal, error) {
	role := s.names.intern(m.Role)
	if role > 0xffff {
		return memberVal{}, fmt.Errorf("memory: more than 65,536 role and plan names")
	}
	v := memberVal{rec: memberRec{joined: micros(m.Joined), user: user, role: uint16(role)}}
	if seat := micros(m.SeatSince); !m.SeatSince.IsZero() {
		switch {
		case seat == v.rec.joined:
			v.rec.flags |= seatJoined
		default:
			v.rec.flags |= seatOther
			v.seat = seat
		}
	}
	if len(m.Projects) > 0 {
		v.rec.flags |= hasProjects
		v.projects = slices.Clone(m.Projects)
	}
	return v, nil
}

// member returns a stored membership of workspace h as a storage.Member.
// Its projects are a copy.
func (s *state) member(h uint32, r memberRec) storage.Member {
	var m storage.Member
	s.readMember(h, r, &m)
	return m
}

// readMember sets *m, every field of it, to the stored membership r of
// workspace h.
func (s *state) readMember(h uint32, r memberRec, m *storage.Member) {
	// Every field is written: m may hold another membership.
	m.Workspace, m.User, m.Role = s.ws.at(h).id, s.users.at(r.user).name, s.names.list[r.role]
	m.Joined, m.SeatSince, m.Projects = at(r.joined), time.Time{}, nil
	switch {
	case r.flags&seatJoined != 0:
		m.SeatSince = m.Joined
	case r.flags&seatOther != 0:
		m.SeatSince = at(s.seats[mkey{h, r.user}])
	}
	if r.flags&hasProjects != 0 {
		m.Projects = slices.Clone(s.projects[mkey{h, r.user}])
	}
}

// get returns user's membership of workspace h.
func (s *state) get(h, user uint32) (memberVal, bool) {
	r := s.ws.at(h)
	i := r.find(user)
	if i < 0 {
		return memberVal{}, false
	}
	v := memberVal{rec: r.members[i]}
	k := mkey{h, user}
	if v.rec.flags&seatOther != 0 {
		v.seat = s.seats[k]
	}
	if v.rec.flags&hasProjects != 0 {
		v.projects = s.projects[k]
	}
	return v, true
}

// put stores v as its user's membership of workspace h, adding or
// replacing it, and keeps every index in step.
func (s *state) put(h uint32, v memberVal) {
	r := s.ws.at(h)
	u := v.rec.user
	k := mkey{h, u}
	delete(s.seats, k)
	delete(s.projects, k)
	if v.rec.flags&seatOther != 0 {
		s.seats[k] = v.seat
	}
	if v.rec.flags&hasProjects != 0 {
		s.projects[k] = v.projects
	}
	if i := r.find(u); i >= 0 {
		if r.big != nil {
			r.big.forget(&s.users, r.members[i])
			r.big.note(&s.users, v.rec)
		}
		r.members[i] = v.rec
		return
	}
	r.members = append(r.members, v.rec)
	s.join(u, h)
	switch {
	case r.big != nil:
		r.big.pos[u] = int32(len(r.members) - 1)
		r.big.byUser.insert(&s.users, holder{0, u})
		r.big.note(&s.users, v.rec)
	case len(r.members) > bigAt:
		r.index(&s.users)
	}
}

// remove deletes user's membership of workspace h, which exists.
func (s *state) remove(h, user uint32) {
	r := s.ws.at(h)
	i := r.find(user)
	k := mkey{h, user}
	delete(s.seats, k)
	delete(s.projects, k)
	last := len(r.members) - 1
	if r.big != nil {
		r.big.forget(&s.users, r.members[i])
		r.big.byUser.remove(&s.users, holder{0, user})
		delete(r.big.pos, user)
		if i != last {
			r.big.pos[r.members[last].user] = int32(i)
		}
	}
	r.members[i] = r.members[last]
	r.members = r.members[:last]
	if r.big != nil && len(r.members) <= bigAt/4 {
		r.big = nil
	}
	s.leave(user, h)
}

// index builds the indexes of a workspace that has grown past bigAt.
func (r *wsRec) index(us *users) {
	r.big = &bigWS{pos: make(map[uint32]int32, len(r.members)), counts: map[uint16]int{}, holders: map[uint16]*ordered{}}
	for i, m := range r.members {
		r.big.pos[m.user] = int32(i)
		r.big.byUser.insert(us, holder{0, m.user})
		r.big.note(us, m)
	}
}

// note counts m in its role and its role's holders; forget undoes it.
// A role change of a member forgets and notes it: its place by user is
// kept.
func (b *bigWS) note(us *users, m memberRec) {
	b.counts[m.role]++
	o := b.holders[m.role]
	if o == nil {
		o = &ordered{}
		b.holders[m.role] = o
	}
	o.insert(us, holder{m.joined, m.user})
}

func (b *bigWS) forget(us *users, m memberRec) {
	if b.counts[m.role]--; b.counts[m.role] == 0 {
		delete(b.counts, m.role)
		delete(b.holders, m.role)
		return
	}
	b.holders[m.role].remove(us, holder{m.joined, m.user})
}

// join adds workspace h to user's list; leave takes it out, and puts the
// user on the drop list if nothing refers to them any more. leave scans
// the list: its cost grows with the workspaces the user is a member of
// (a handful for most), not with the workspace's members.
func (s *state) join(user, h uint32) {
	u := s.users.at(user)
	u.ws = append(u.ws, h)
}

func (s *state) leave(user, h uint32) {
	u := s.users.at(user)
	if i := slices.Index(u.ws, h); i >= 0 {
		last := len(u.ws) - 1
		u.ws[i] = u.ws[last]
		u.ws = u.ws[:last]
		if last == 0 {
			u.ws = nil
		}
	}
	s.users.unref(user)
}

// restore undoes a change to user's membership of workspace h: it puts
// back old, or removes the membership when there was none.
func (s *state) restore(h, user uint32, old memberVal, had bool) {
	if had {
		s.put(h, old)
	} else if _, ok := s.get(h, user); ok {
		s.remove(h, user)
	}
}

func (t *tx) Member(_ context.Context, ws, user string) (storage.Member, error) {
	if h, ok := t.s.workspaces[ws]; ok {
		if u, ok := t.s.users.find(user); ok {
			r := t.s.ws.at(h)
			if i := r.find(u); i >= 0 {
				return t.s.member(h, r.members[i]), nil
			}
		}
	}
	return storage.Member{}, notFound("member ", user, " of ", ws)
}

// Members sorts on read a workspace of up to bigAt members, which the
// store keeps in no order, so that a change costs the same in a workspace
// of any size; a larger one is read in the order of its index by user.
func (t *tx) Members(_ context.Context, ws string) ([]storage.Member, error) {
	h, ok := t.s.workspaces[ws]
	if !ok {
		return []storage.Member{}, nil
	}
	r := t.s.ws.at(h)
	out := make([]storage.Member, 0, len(r.members))
	if r.big != nil {
		for _, x := range r.big.byUser.first(len(r.members)) {
			out = append(out, t.s.member(h, r.members[r.big.pos[x.user]]))
		}
		return out, nil
	}
	for _, m := range r.members {
		out = append(out, t.s.member(h, m))
	}
	slices.SortFunc(out, func(a, b storage.Member) int { return cmp.Compare(a.User, b.User) })
	return out, nil
}

func (t *tx) PutMember(_ context.Context, m storage.Member) error {
	if err := t.check(); err != nil {
		return err
	}
	h, ok := t.s.workspaces[m.Workspace]
	if !ok {
		return notFound("workspace ", m.Workspace)
	}
	return t.put(h, m)
}

// put stores m in workspace h, recording how to undo it.
func (t *tx) put(h uint32, m storage.Member) error {
	return t.putAs(h, t.s.users.intern(m.User), m)
}

// putAs is put with m's user interned as u.
func (t *tx) putAs(h, u uint32, m storage.Member) error {
	s := t.s
	v, err := s.encode(m, u)
	if err != nil {
		s.users.unref(u)
		return err
	}
	old, had := s.get(h, u)
	s.put(h, v)
	t.undo = append(t.undo, func() { s.restore(h, u, old, had) })
	return nil
}

func (t *tx) DeleteMember(_ context.Context, ws, user string) error {
	if err := t.check(); err != nil {
		return err
	}
	s := t.s
	if h, ok := s.workspaces[ws]; ok {
		if u, ok := s.users.find(user); ok {
			if old, ok := s.get(h, u); ok {
				s.remove(h, u)
				t.undo = append(t.undo, func() { s.put(h, old) })
				return nil
			}
		}
	}
	return notFound("member ", user, " of ", ws)
}
