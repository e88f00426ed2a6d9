package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// This file holds how the store keeps workspace headers, and the
// transaction's workspace methods.

// wsRec is what the store keeps of a workspace: its header, with its plan
// by name handle and what most workspaces leave empty out of line, and its
// members (see members.go). Its times stay time.Time values: converting
// them on every Access would cost a permission check more than the 32
// bytes a workspace they save.
type wsRec struct {
	id      string
	owner   string
	members []memberRec // in no order
	big     *bigWS      // the indexes of a workspace of more than bigAt members
	extra   *wsExtra    // nil when name, logo and preferences are empty and the billing contact is the owner or none
	created time.Time
	anchor  time.Time
	version int64
	plan    uint32 // in state.names
	kind    workspace.Kind
	// billingOwner says that the billing contact is the owner (with extra
	// nil or its billing empty).
	billingOwner bool
	settings     workspace.Settings
}

// wsExtra holds what a workspace header often leaves empty.
type wsExtra struct {
	name, logo, billing string
	prefs               map[string]string // never changed in place: reads share it
}

// micros is how the store keeps a time: microseconds since the Unix
// epoch, in UTC (the time ts gives).
func micros(t time.Time) int64 { return ts(t).UnixMicro() }

// at is the time micros kept.
func at(us int64) time.Time { return time.UnixMicro(us).UTC() }

// header returns the stored workspace h as a storage.Workspace.
func (s *state) header(h uint32) storage.Workspace {
	var w storage.Workspace
	s.readHeader(h, &w)
	return w
}

// readHeader sets *w to the stored workspace h. Access reads into its
// result, which spares copying a large struct twice.
func (s *state) readHeader(h uint32, w *storage.Workspace) {
	r := s.ws.at(h)
	// Every field is written (field by field: a literal would be built
	// aside and copied): w may hold another workspace.
	w.ID, w.Kind, w.Plan, w.Owner, w.Settings = r.id, r.kind, s.names.list[r.plan], r.owner, r.settings
	w.Created, w.Anchor, w.Version = r.created, r.anchor, r.version
	if e := r.extra; e != nil {
		w.Name, w.Logo, w.BillingContact, w.Preferences = e.name, e.logo, e.billing, e.prefs
	} else {
		w.Name, w.Logo, w.BillingContact, w.Preferences = "", "", "", nil
	}
	if r.billingOwner {
		w.BillingContact = r.owner
	}
}

// setHeader stores w's header in h, keeping its members. The owner's
// string is the interned one, so the two share their bytes.
func (s *state) setHeader(h uint32, w storage.Workspace, owner uint32) {
	r := s.ws.at(h)
	r.id, r.owner = w.ID, s.users.at(owner).name
	r.created, r.anchor, r.version = ts(w.Created), ts(w.Anchor), w.Version
	r.plan, r.kind, r.settings = s.names.intern(w.Plan), w.Kind, w.Settings
	r.billingOwner = w.BillingContact == w.Owner && w.Owner != ""
	billing := w.BillingContact
	if r.billingOwner {
		billing = ""
	}
	r.extra = nil
	if w.Name != "" || w.Logo != "" || billing != "" || len(w.Preferences) > 0 {
		r.extra = &wsExtra{name: w.Name, logo: w.Logo, billing: billing, prefs: cloneMap(w.Preferences)}
	}
}

// own records that user owns the workspace h of kind; disown undoes it.
func (s *state) own(user, h uint32, kind workspace.Kind) {
	u := s.users.at(user)
	u.owns++
	if kind == workspace.Personal {
		u.personal = h
	}
}

func (s *state) disown(user, h uint32, kind workspace.Kind) {
	u := s.users.at(user)
	u.owns--
	if kind == workspace.Personal && u.personal == h {
		u.personal = 0
	}
	s.users.unref(user)
}

// owner returns the handle of workspace h's owner, who is interned while
// they own it.
func (s *state) owner(h uint32) uint32 {
	o, _ := s.users.find(s.ws.at(h).owner)
	return o
}

func (t *tx) Workspace(_ context.Context, id string) (storage.Workspace, error) {
	h, ok := t.s.workspaces[id]
	if !ok {
		return storage.Workspace{}, notFound("workspace ", id)
	}
	return t.s.header(h), nil
}

// personal returns the handle of user's personal workspace, or 0.
func (s *state) personal(user string) uint32 {
	if u, ok := s.users.find(user); ok {
		return s.users.at(u).personal
	}
	return 0
}

func (t *tx) PersonalWorkspace(_ context.Context, user string) (storage.Workspace, error) {
	h := t.s.personal(user)
	if h == 0 {
		return storage.Workspace{}, notFound("personal workspace of ", user)
	}
	return t.s.header(h), nil
}

func (t *tx) OwnedShared(_ context.Context, user string) (int, error) {
	return t.s.ownedShared(user), nil
}

// ownedShared counts the shared workspaces user owns: those they own but
// their personal one and any of another kind.
func (s *state) ownedShared(user string) int {
	u, ok := s.users.find(user)
	if !ok {
		return 0
	}
	r := s.users.at(u)
	n := int(r.owns) - s.oddOwned[u]
	if r.personal != 0 {
		n--
	}
	return n
}

func (t *tx) WorkspacesOf(_ context.Context, user string) ([]storage.Workspace, error) {
	u, ok := t.s.users.find(user)
	if !ok {
		return nil, nil
	}
	var out []storage.Workspace
	for _, h := range t.s.users.at(u).ws {
		out = append(out, t.s.header(h))
	}
	slices.SortFunc(out, func(a, b storage.Workspace) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// odd reports whether a workspace of kind is neither personal nor shared:
// its owner's count of shared workspaces leaves it out.
func odd(kind workspace.Kind) bool { return kind != workspace.Personal && kind != workspace.Shared }

// ownKind records that user owns a workspace of kind, for ownedShared.
func (s *state) ownKind(user uint32, kind workspace.Kind, n int) {
	if !odd(kind) {
		return
	}
	if s.oddOwned[user] += n; s.oddOwned[user] == 0 {
		delete(s.oddOwned, user)
	}
}

func (t *tx) CreateWorkspace(_ context.Context, w storage.Workspace) error {
	if err := t.check(); err != nil {
		return err
	}
	if _, ok := t.s.workspaces[w.ID]; ok {
		return fmt.Errorf("memory: workspace %s %w", w.ID, storage.ErrExists)
	}
	if w.Kind == workspace.Personal && t.s.personal(w.Owner) != 0 {
		return fmt.Errorf("memory: personal workspace of %s %w", w.Owner, storage.ErrExists)
	}
	s := t.s
	w.Version = 1
	owner := s.users.intern(w.Owner)
	h := s.ws.alloc()
	s.setHeader(h, w, owner)
	s.workspaces[w.ID] = h
	s.own(owner, h, w.Kind)
	s.ownKind(owner, w.Kind, 1)
	t.undo = append(t.undo, func() {
		delete(s.workspaces, w.ID)
		s.disown(owner, h, w.Kind)
		s.ownKind(owner, w.Kind, -1)
		s.deadWS = append(s.deadWS, h)
	})
	return nil
}

func (t *tx) UpdateWorkspace(_ context.Context, w storage.Workspace) error {
	if err := t.check(); err != nil {
		return err
	}
	s := t.s
	h, ok := s.workspaces[w.ID]
	if !ok {
		return notFound("workspace ", w.ID)
	}
	old := s.header(h)
	if w.Version != old.Version+1 {
		return fmt.Errorf("memory: workspace %s at version %d, update to %d: %w", w.ID, old.Version, w.Version, storage.ErrConflict)
	}
	// Keep the one-personal-workspace-per-owner index in step with kind
	// and owner.
	if w.Kind == workspace.Personal && (old.Kind != workspace.Personal || old.Owner != w.Owner) && s.personal(w.Owner) != 0 {
		return fmt.Errorf("memory: personal workspace of %s %w", w.Owner, storage.ErrExists)
	}
	oldOwner := s.owner(h)
	owner := s.users.intern(w.Owner)
	s.disown(oldOwner, h, old.Kind)
	s.ownKind(oldOwner, old.Kind, -1)
	s.own(owner, h, w.Kind)
	s.ownKind(owner, w.Kind, 1)
	s.setHeader(h, w, owner)
	t.undo = append(t.undo, func() {
		s.disown(owner, h, w.Kind)
		s.ownKind(owner, w.Kind, -1)
		s.own(oldOwner, h, old.Kind)
		s.ownKind(oldOwner, old.Kind, 1)
		s.setHeader(h, old, oldOwner)
	})
	return nil
}

func (t *tx) DeleteWorkspace(_ context.Context, id string) error {
	if err := t.check(); err != nil {
		return err
	}
	s := t.s
	h, ok := s.workspaces[id]
	if !ok {
		return notFound("workspace ", id)
	}
	// The record stays where it is until the transaction ends (state.sweep
	// releases it), so that undoing this puts back only the indexes.
	r := s.ws.at(h)
	kind, owner := r.kind, s.owner(h)
	delete(s.workspaces, id)
	for _, m := range r.members {
		s.leave(m.user, h)
	}
	s.disown(owner, h, kind)
	s.ownKind(owner, kind, -1)
	s.deadWS = append(s.deadWS, h)
	t.undo = append(t.undo, func() {
		s.workspaces[id] = h
		for _, m := range s.ws.at(h).members {
			s.join(m.user, h)
		}
		s.own(owner, h, kind)
		s.ownKind(owner, kind, 1)
	})
	for iid := range s.invitesOf[id] {
		del(t, s.byToken, s.invitations[iid].TokenHash)
		del(t, s.invitations, iid)
	}
	del(t, s.invitesOf, id)
	del(t, s.openOf, id)
	for currency := range s.pools[id] {
		del(t, s.grants, poolKey{id, currency})
		del(t, s.allowances, poolKey{id, currency})
	}
	del(t, s.pools, id)
	del(t, s.idem, id)
	t.s.hot = ledgerMemo{}  // it may hold maps just dropped
	t.s.seen = accessMemo{} // the record keeps its ID until the end
	return nil
}

// sweep ends a transaction: it releases the workspaces deleted (or whose
// creation was undone) and the users no longer referred to, which until
// now kept their handles for the undo log.
func (s *state) sweep() {
	// A handle is here twice when a workspace created and deleted in one
	// transaction is rolled back.
	slices.Sort(s.deadWS)
	for _, h := range slices.Compact(s.deadWS) {
		r := s.ws.at(h)
		if cur, ok := s.workspaces[r.id]; ok && cur == h {
			continue // its deletion was undone
		}
		for _, m := range r.members {
			delete(s.seats, mkey{h, m.user})
			delete(s.projects, mkey{h, m.user})
		}
		s.ws.release(h)
	}
	s.deadWS = s.deadWS[:0]
	s.users.sweep()
}
