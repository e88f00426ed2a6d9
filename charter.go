// Package charter is an embeddable library for workspace authorization and
// entitlements: who may do what in which workspace, which features a
// workspace's plan unlocks, and how many credits its team has left.
//
// A Service joins a compiled policy (package policy) to a store (package
// storage and its backends). Every Service call names its actor, is authorized
// by the policy, keeps the invariants of package workspace, and is persisted
// in one transaction together with the event it records, or not at all.
//
// charter does not authenticate users and does not send mail: callers pass the
// authenticated user's ID (and verified email address, to accept an
// invitation) and deliver invitation tokens themselves.
//
// Billing contact. The creator of a workspace is its billing contact (seed 000:
// the first admin's payment details are used). The contact follows an
// ownership transfer to the new owner, and falls back to the owner when the
// contact leaves, is removed or stops being an admin.
//
// Seats. Adding a member in a paid-seat role, or changing a member into one,
// records a "seat.charged" event of the plan's seat price (seed 001: the
// owner's rate). The seat's periods are anchored at that moment; renewals are
// the payment provider's business. Removing the seat (removal, leaving, a role
// change to a free role, deleting the workspace) records a "seat.credited"
// event for the unused part of the seat's current period: price x unused /
// period length, in integer minor units rounded down, so a credit never
// exceeds the charge for that period. Guests and free roles are never charged.
package charter

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// Service is the entry point: authorization checks and every change to
// workspaces, memberships, invitations and credits. It is safe for concurrent
// use; it holds no state of its own beyond its configuration, so many Service
// values (in many processes) may share one store.
type Service struct {
	policy *policy.Policy
	store  storage.Store
	now    func() time.Time
	rand   io.Reader
	ttl    time.Duration
}

// Options configures a Service. The zero value is useful.
type Options struct {
	// Now is the clock; time.Now when nil. Tests set it to cross periods.
	Now func() time.Time
	// Rand is the source of IDs and invitation tokens; crypto/rand when nil.
	Rand io.Reader
	// InvitationTTL is how long an email invitation stays valid; 7 days when
	// zero.
	InvitationTTL time.Duration
}

// New returns a Service that authorizes with p and persists to store.
func New(p *policy.Policy, store storage.Store, opts Options) (*Service, error) {
	if p == nil || store == nil {
		return nil, fmt.Errorf("%w: charter.New needs a policy and a store", ErrInvalid)
	}
	s := &Service{policy: p, store: store, now: opts.Now, rand: opts.Rand, ttl: opts.InvitationTTL}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.ttl == 0 {
		s.ttl = 7 * 24 * time.Hour
	}
	if s.ttl < 0 {
		return nil, fmt.Errorf("%w: negative invitation TTL", ErrInvalid)
	}
	return s, nil
}

// Policy returns the Service's policy.
func (s *Service) Policy() *policy.Policy { return s.policy }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// newID returns prefix followed by 128 random bits in hex.
func (s *Service) newID(prefix string) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", fmt.Errorf("charter: reading random bits: %w", err)
	}
	return prefix + hex.EncodeToString(b[:]), nil
}

// update runs fn in a read-write transaction and translates storage errors.
func (s *Service) update(ctx context.Context, fn func(tx storage.Tx) error) error {
	return fromStorage(s.store.Update(ctx, fn))
}

// view runs fn in a read-only transaction and translates storage errors.
func (s *Service) view(ctx context.Context, fn func(tx storage.Tx) error) error {
	return fromStorage(s.store.View(ctx, fn))
}

// errNoWorkspace is what an actor gets for a workspace that does not exist and
// for one they are not a member of: the same text, so nothing leaks.
func errNoWorkspace(id string) error {
	return fmt.Errorf("%w: workspace %q", ErrNotFound, id)
}

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

// memberOf returns user's membership of w: the zero Member, whose Role is
// nil, when user is not a member.
func memberOf(w *workspace.Workspace, user string) workspace.Member {
	m, _ := w.Member(user)
	return m
}

// header converts a stored header into a workspace with no members yet:
// load and access add them with Put, and a check that already has the
// actor's membership reads it directly.
func (s *Service) header(h storage.Workspace) *workspace.Workspace {
	return &workspace.Workspace{
		ID: h.ID, Name: h.Name, Kind: h.Kind, Plan: s.policy.Plan(h.Plan),
		Owner: h.Owner, BillingContact: h.BillingContact,
		Settings: h.Settings,
		Created:  h.Created, Anchor: h.Anchor, Version: h.Version,
	}
}

func (s *Service) member(m storage.Member) workspace.Member {
	return workspace.Member{User: m.User, Role: s.policy.Role(m.Role), Projects: m.Projects, Joined: m.Joined, SeatSince: m.SeatSince}
}

func storedHeader(w *workspace.Workspace) storage.Workspace {
	return storage.Workspace{
		ID: w.ID, Name: w.Name, Kind: w.Kind, Plan: w.Plan.Name,
		Owner: w.Owner, BillingContact: w.BillingContact, Settings: w.Settings,
		Created: w.Created, Anchor: w.Anchor, Version: w.Version,
	}
}

func stored(wsID string, m workspace.Member) storage.Member {
	return storage.Member{Workspace: wsID, User: m.User, Role: m.Role.Name, Projects: m.Projects, Joined: m.Joined, SeatSince: m.SeatSince}
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

// loadFor loads the workspace for a change (locking it) and checks that actor
// may perform op in it.
func (s *Service) loadFor(ctx context.Context, tx storage.Tx, id, actor string, op policy.Op, project string) (*loaded, error) {
	l, err := s.load(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	return l, s.authorize(l.ws, actor, op, project)
}

// authorize checks that actor may perform op in w (on project, for a
// project-scoped action). A non-member gets errNoWorkspace, as if w did not
// exist.
func (s *Service) authorize(w *workspace.Workspace, actor string, op policy.Op, project string) error {
	if _, ok := w.Member(actor); !ok {
		return errNoWorkspace(w.ID)
	}
	a := s.policy.Operation(op)
	if a == nil {
		return &ForbiddenError{Op: op.String(), Decision: policy.Decision{Reason: policy.UnknownAction}}
	}
	if d := a.Decide(actor, w, project); !d.Allowed {
		return &ForbiddenError{Op: op.String(), Decision: d}
	}
	return nil
}
