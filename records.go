package charter

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/role"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// This file holds the loads and saves that diff what storage holds against
// the domain values the Service works on, and every mapping left between
// storage records and domain values: workspace headers and members (storage
// keeps their plan and role by name, which only the policy resolves),
// invitations and events. Lots, allowances and journal entries need none:
// storage reads and writes the credits types. Nothing else in the package
// builds or reads a storage record field by field.

// loaded is a workspace snapshot with what it was loaded from, so the save can
// write only what changed.
type loaded struct {
	ws      *workspace.Workspace
	header  storage.Workspace
	members map[string]storage.Member
}

// load reads the whole workspace (locking it in an Update) and builds the
// domain snapshot. Members whose role the policy no longer knows get a nil
// role, which every check denies.
func (s *Service) load(ctx context.Context, tx storage.Tx, id string) (*loaded, error) {
	h, err := tx.Workspace(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, errNoWorkspace(id)
	}
	if err != nil {
		return nil, err
	}
	ms, err := tx.Members(ctx, id)
	if err != nil {
		return nil, err
	}
	l := &loaded{ws: s.header(h), header: h, members: make(map[string]storage.Member, len(ms))}
	for _, m := range ms {
		l.members[m.User] = m
		l.ws.Put(s.member(m))
	}
	return l, nil
}

// loadPart reads what one change of membership needs of workspace id,
// locking it as load does: the header; the members named (those who are
// members), the owner and the billing contact; in a workspace without an
// owner, its first two admins; and how many members hold each role. The
// snapshot is partial (workspace.Workspace.Partial): its rules that span
// every member are kept by the counts, so what it reads does not grow with
// the workspace's members.
func (s *Service) loadPart(ctx context.Context, tx storage.Tx, id string, users ...string) (*loaded, error) {
	h, err := tx.Workspace(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, errNoWorkspace(id)
	}
	if err != nil {
		return nil, err
	}
	counts, err := tx.RoleCounts(ctx, id)
	if err != nil {
		return nil, err
	}
	l := &loaded{ws: s.header(h), header: h, members: make(map[string]storage.Member, len(users)+4)}
	hold := func(m storage.Member) {
		if _, ok := l.members[m.User]; !ok {
			l.members[m.User] = m
			l.ws.Put(s.member(m))
		}
	}
	for _, u := range slices.Concat(users, []string{h.Owner, h.BillingContact}) {
		if _, ok := l.members[u]; ok || u == "" {
			continue
		}
		m, err := tx.Member(ctx, id, u)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		hold(m)
	}
	var edge *workspace.Member
	if !l.ws.Owned() {
		// The first two admins, of all admin roles: each role's first two
		// hold them. With both held, one change leaves one of them, or
		// brings its own, to name the first admin after it.
		var first []storage.Member
		for _, r := range s.policy.Roles() {
			if r.Admin && !r.Guest && counts[r.Name] > 0 {
				ms, err := tx.FirstMembers(ctx, id, r.Name, 2)
				if err != nil {
					return nil, err
				}
				first = append(first, ms...)
			}
		}
		slices.SortFunc(first, func(a, b storage.Member) int {
			return cmp.Or(a.Joined.Compare(b.Joined), cmp.Compare(a.User, b.User))
		})
		for _, m := range first[:min(2, len(first))] {
			hold(m)
		}
		if len(first) >= 2 {
			e := s.member(first[1])
			edge = &e
		}
	}
	tally := make(map[*role.Role]int, len(counts))
	for name, n := range counts {
		tally[s.policy.Role(name)] += n
	}
	if err := l.ws.Partial(tally, edge); err != nil {
		return nil, fmt.Errorf("charter: loading workspace %s: %w", id, err)
	}
	return l, nil
}

// save checks the snapshot's invariants and writes what changed: the header
// (with a version check) and each added, changed or removed member.
func (s *Service) save(ctx context.Context, tx storage.Tx, l *loaded) error {
	w := l.ws
	if err := w.Check(); err != nil {
		return fmt.Errorf("charter: refusing to save: %w", err)
	}
	for u := range l.members {
		if _, ok := w.Member(u); !ok {
			if err := tx.DeleteMember(ctx, w.ID, u); err != nil {
				return err
			}
		}
	}
	for u, m := range w.Members() {
		sm := stored(w.ID, m)
		if old, ok := l.members[u]; ok && sameMember(old, sm) {
			continue
		}
		if err := tx.PutMember(ctx, sm); err != nil {
			return err
		}
	}
	w.Version = l.header.Version + 1
	return tx.UpdateWorkspace(ctx, storedHeader(w))
}

// header converts a stored header into a workspace with no members yet:
// load and access add them with Put, and a check that already has the
// actor's membership reads it directly.
// The workspace gets its own copy of the preferences, which the store may
// share.
func (s *Service) header(h storage.Workspace) *workspace.Workspace {
	w := s.headerValue(&h)
	w.Preferences = maps.Clone(w.Preferences)
	return &w
}

// headerValue is header as a value, which a check keeps on the stack. Its
// preferences are the store's map: it is for reading, never for a caller.
func (s *Service) headerValue(h *storage.Workspace) workspace.Workspace {
	var w workspace.Workspace
	s.headerInto(&w, h)
	return w
}

// headerInto is headerValue into w, whose header it overwrites: a keyed
// call keeps its header so (keyedCall.room), not copying it once more.
// It writes field by field, as a literal would be built aside and copied
// whole; so w must hold no members (a zero Workspace, or one only
// headerInto wrote), as it writes none of those.
func (s *Service) headerInto(w *workspace.Workspace, h *storage.Workspace) {
	w.ID, w.Name, w.Kind, w.Plan = h.ID, h.Name, h.Kind, s.policy.Plan(h.Plan)
	w.Owner, w.BillingContact, w.Settings = h.Owner, h.BillingContact, h.Settings
	w.Logo, w.Preferences = h.Logo, h.Preferences
	w.Created, w.Anchor, w.Version = h.Created, h.Anchor, h.Version
}

func (s *Service) member(m storage.Member) workspace.Member {
	return workspace.Member{User: m.User, Role: s.policy.Role(m.Role), Projects: m.Projects, Joined: m.Joined, SeatSince: m.SeatSince}
}

func storedHeader(w *workspace.Workspace) storage.Workspace {
	return storage.Workspace{
		ID: w.ID, Name: w.Name, Kind: w.Kind, Plan: w.Plan.Name,
		Owner: w.Owner, BillingContact: w.BillingContact, Settings: w.Settings,
		Logo: w.Logo, Preferences: w.Preferences,
		Created: w.Created, Anchor: w.Anchor, Version: w.Version,
	}
}

func stored(wsID string, m workspace.Member) storage.Member {
	return storage.Member{Workspace: wsID, User: m.User, Role: m.Role.Name, Projects: m.Projects, Joined: m.Joined, SeatSince: m.SeatSince}
}

func sameMember(a, b storage.Member) bool {
	if a.Role != b.Role || !a.Joined.Equal(b.Joined) || !a.SeatSince.Equal(b.SeatSince) || len(a.Projects) != len(b.Projects) {
		return false
	}
	for i := range a.Projects {
		if a.Projects[i] != b.Projects[i] {
			return false
		}
	}
	return true
}

func invitation(inv storage.Invitation) Invitation {
	return Invitation{
		ID: inv.ID, Workspace: inv.Workspace, Link: inv.Link, Email: inv.Email, Role: inv.Role,
		Projects: inv.Projects, Inviter: inv.Inviter, Created: inv.Created, Expires: inv.Expires,
		MaxUses: inv.MaxUses, Uses: inv.Uses, Revoked: inv.Revoked,
	}
}

// pool is a credit pool loaded in a transaction, with what it was loaded
// from, so the save writes only what changed.
type pool struct {
	p      credits.Pool
	header storage.Pool
	// stored are the lots as stored, by ID: a slice, not a map, since a
	// pool holds a few lots and a spend reads it once.
	stored  []credits.Grant
	entries []credits.Entry // written since the load
	// lots and put are room for the lots in burn order and for the lots a
	// save writes: a spend from a pool of a few lots allocates neither.
	lots [2]credits.Grant
	put  [1]credits.Grant
	// spent is room for the entry of a spend from one lot.
	spent [1]credits.Entry
}

// room returns the entries written since the load, in pl.spent when there
// are none yet, to append to.
func (pl *pool) room() []credits.Entry {
	if pl.entries == nil {
		return pl.spent[:0]
	}
	return pl.entries
}

// add notes es, written since the load.
func (pl *pool) add(es []credits.Entry) {
	if pl.entries == nil {
		pl.entries = es
		return
	}
	pl.entries = append(pl.entries, es...)
}

// storedLot returns the stored lot with id, nil when there is none.
func (pl *pool) storedLot(id string) *credits.Grant {
	if i, ok := credits.SearchID(pl.stored, id); ok {
		return &pl.stored[i]
	}
	return nil
}

// lotID orders lots by ID.
func lotID(a, b credits.Grant) int { return strings.Compare(a.ID, b.ID) }

// byID returns gs sorted by ID, in a new slice.
func byID(gs []credits.Grant) []credits.Grant {
	return slices.SortedFunc(slices.Values(gs), lotID)
}

// poolOf is the pool of currency that l holds, brought to the period
// containing now as loadPool says; nil when l holds no pool.
func (s *Service) poolOf(w *workspace.Workspace, currency string, l storage.Ledger, now time.Time) (*pool, error) {
	if l.Pool == nil {
		return nil, nil
	}
	pl := &pool{}
	g := s.grantOf(w.Plan, currency)
	if _, err := s.poolInto(pl, w, &g, &l, now); err != nil {
		return nil, err
	}
	return pl, nil
}

// poolInto is poolOf into pl, which it overwrites, for g, the plan's grant
// of the pool's currency (grantOf): ok is false when l holds no pool. The
// pool takes l's lots as its stored lots.
func (s *Service) poolInto(pl *pool, w *workspace.Workspace, g *plan.Grant, l *storage.Ledger, now time.Time) (ok bool, err error) {
	currency := g.Currency
	if l.Pool == nil {
		return false, nil
	}
	pl.header, pl.stored, pl.entries = *l.Pool, l.Grants, nil
	if !slices.IsSortedFunc(pl.stored, lotID) {
		pl.stored = byID(pl.stored) // storage gives them by ID; this is only a guard
	}
	pl.p = credits.Pool{Currency: currency, Started: l.Pool.Started, Period: l.Pool.Period, Grants: credits.AppendGrants(pl.lots[:0:len(pl.lots)], l.Grants)}
	if len(pl.p.Grants) > 1 { // most pools hold one lot: no call to sort it
		slices.SortFunc(pl.p.Grants, credits.BurnOrder)
	}
	var k int64
	if !g.Every.IsZero() {
		k = periodIndex(g.Every, w.Anchor, now)
	}
	es, err := credits.ResetTo(&pl.p, *g, k, now)
	if err != nil {
		return false, fmt.Errorf("charter: pool %s of %s: %w", currency, w.ID, err)
	}
	pl.add(es)
	return true, nil
}

// allowance is a copy of the allowance k read, in k: nil when there is
// none.
func (k *keying) allowance() *credits.Allowance {
	if k.ledger.Allowance == nil {
		return nil
	}
	k.allow = *k.ledger.Allowance
	return &k.allow
}

// savePool writes the lots that changed, the header (version-checked, when
// the period moved) and the journal entries, if anything changed.
func (s *Service) savePool(ctx context.Context, tx storage.Tx, wsID string, pl *pool) error {
	return s.saveLedger(ctx, tx, wsID, pl, nil, nil)
}

// saveLedger writes, in one storage.SaveLedger, what changed in pl, allow
// unless it is nil, and rec unless it is nil. A spend saves all three at
// once: on PostgreSQL that is one round trip.
func (s *Service) saveLedger(ctx context.Context, tx storage.Tx, wsID string, pl *pool, allow *credits.Allowance, rec *storage.Idempotency) error {
	c := storage.LedgerChange{Workspace: wsID, Currency: pl.p.Currency, Record: rec}
	if allow != nil {
		c.Allowance = allow
	}
	changed := len(pl.entries) > 0
	if changed {
		c.Put = pl.put[:0]
		kept := 0 // stored lots still in the pool
		for _, g := range pl.p.Grants {
			old := pl.storedLot(g.ID)
			if old != nil {
				kept++
			}
			if old == nil || *old != g {
				c.Put = append(c.Put, g)
			}
		}
		if kept < len(pl.stored) {
			// Both by ID: a stored lot missing from the pool left it.
			now, i := byID(pl.p.Grants), 0
			for _, old := range pl.stored {
				for i < len(now) && now[i].ID < old.ID {
					i++
				}
				if i == len(now) || now[i].ID != old.ID {
					c.Delete = append(c.Delete, old.ID)
				}
			}
		}
		// The header changes only when a period's reset was applied; the
		// pool's row lock, not its version, keeps spends from racing.
		if h := &pl.header; h.Started != pl.p.Started || h.Period != pl.p.Period {
			moved := *h
			moved.Started, moved.Period, moved.Version = pl.p.Started, pl.p.Period, h.Version+1
			c.Pool = &moved
		}
		c.Entries = pl.entries
	}
	if err := storage.SaveLedger(ctx, tx, c); err != nil {
		return err
	}
	// Saved: what was loaded is now what is stored. The pool owns the
	// stored lots' slice (poolInto), so it copies the lots into it.
	if changed {
		pl.stored = credits.AppendGrants(pl.stored[:0], pl.p.Grants)
		if len(pl.stored) > 1 {
			slices.SortFunc(pl.stored, lotID)
		}
	}
	pl.entries = nil
	if c.Pool != nil {
		pl.header = *c.Pool
	}
	return nil
}

func journal(ctx context.Context, tx storage.Tx, id, currency string) ([]credits.Entry, error) {
	var out []credits.Entry
	for after := int64(0); ; {
		es, err := tx.Entries(ctx, id, currency, after, 1000)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			out = append(out, e.Entry)
			after = e.Seq
		}
		if len(es) < 1000 {
			return out, nil
		}
	}
}

// access loads the part of a workspace one check needs: the header and the
// actor's membership. found is false when the workspace or the membership
// does not exist.
func (s *Service) access(ctx context.Context, tx storage.Tx, actor, id string) (w *workspace.Workspace, found bool, err error) {
	h, m, found, err := storage.ReadAccess(ctx, tx, id, actor)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	w = s.header(h)
	if found {
		w.Put(s.member(m))
	}
	return w, found, nil
}

// eventOf is the Event a stored event records.
func eventOf(e storage.Event) Event {
	return Event{
		Seq: e.Seq, Workspace: e.Workspace, Actor: e.Actor, Type: e.Type, Subject: e.Subject,
		Before: raw(e.Before), After: raw(e.After), Amount: e.Amount, Currency: e.Currency, Time: e.Time,
	}
}

func raw(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

// storedEvent is the record of e, by actor in workspace ws at now, with its
// states already encoded as JSON.
func storedEvent(ws, actor string, now time.Time, e event, before, after string) storage.Event {
	return storage.Event{
		Workspace: ws, Actor: actor, Type: e.Type, Subject: e.Subject,
		Before: before, After: after, Amount: e.Amount, Currency: e.Currency, Time: now,
	}
}
