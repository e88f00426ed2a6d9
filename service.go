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
// Owners and admins. Where a workspace has an owner (its policy's owner role
// exists there), it has exactly one, who is not removed or demoted, does not
// leave, and hands ownership on only by transfer to an admin. A workspace
// without one (the spaces and team-guests policies; video-studio outside a
// user's personal workspace) keeps at least one admin: its creator starts as
// the policy's creator role, and the last admin cannot leave, be removed or be
// demoted (workspace.ErrLastAdmin, as ErrInvalid).
//
// Billing contact. With an owner, the creator of a workspace is its billing
// contact; the contact follows an ownership transfer to the new owner, and
// falls back to the owner when the contact leaves, is removed or stops being
// an admin. Without one, it is the first admin, the earliest to join who is
// still an admin (the spaces policy: the first admin's payment details are
// used), and moves to the next when that one leaves or is demoted.
//
// Seats. Adding a member in a paid-seat role, or changing a member into one,
// records a "seat.charged" event of the plan's seat price (the video-studio policy: the
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
	"log/slog"
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
	// compact is whether receipts are stored in the compact form: only in
	// a store whose data no other build reads (storage.InProcess).
	compact bool
	now     func() time.Time
	rand    io.Reader
	ttl     time.Duration
	logs    decisionLogs
	// templates caches what the policy decides of every action per role,
	// plan and kind, for permission sets.
	templates *permissionTemplates
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
	// DecisionLog, when not nil, receives a record of every decision of
	// Can, CanProject, Decide, Permissions and ProjectPermissions: level
	// Info, message "charter.decision", attributes actor, action,
	// workspace, project (when not ""), allowed, reason, rule (the
	// policy's file:line:col, when a rule decided), duration and error
	// (when deciding failed). See DecisionRecord for how decision logs
	// relate to events. Off when nil, at no cost.
	DecisionLog *slog.Logger
	// OnDecision, when not nil, is called with every decision DecisionLog
	// would record, on the deciding goroutine, before the decision is
	// returned: keep it quick. Off when nil, at no cost.
	OnDecision func(context.Context, DecisionRecord)
}

// New returns a Service that authorizes with p and persists to store.
func New(p *policy.Policy, store storage.Store, opts Options) (*Service, error) {
	if p == nil || store == nil {
		return nil, fmt.Errorf("%w: charter.New needs a policy and a store", ErrInvalid)
	}
	s := &Service{policy: p, store: store, now: opts.Now, rand: opts.Rand, ttl: opts.InvitationTTL,
		logs: decisionLogs{log: opts.DecisionLog, hook: opts.OnDecision}}
	s.templates = newPermissionTemplates(s)
	if in, ok := store.(storage.InProcess); ok {
		s.compact = in.InProcess()
	}
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

// Policy returns the Service's policy: nil for a Service not made by New.
func (s *Service) Policy() *policy.Policy {
	if s == nil {
		return nil
	}
	return s.policy
}

func (s *Service) clock() time.Time {
	// t.Truncate(time.Microsecond), without its division: a microsecond
	// divides a second, so what Truncate drops is the nanoseconds within
	// the second past a whole microsecond, whatever the time's sign.
	t := s.now().UTC()
	return t.Add(-time.Duration(t.Nanosecond() % 1000))
}

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

// updateOnce is update for operations that store an idempotency key: when a
// concurrent request with the same key stored it first, fn runs once more and
// finds that request's result.
func (s *Service) updateOnce(ctx context.Context, fn func(storage.Tx) error) error {
	err := s.store.Update(ctx, fn)
	if errors.Is(err, storage.ErrExists) {
		err = s.store.Update(ctx, fn)
	}
	return fromStorage(err)
}

// errNoWorkspace is what an actor gets for a workspace that does not exist and
// for one they are not a member of: the same text, so nothing leaks.
func errNoWorkspace(id string) error {
	return fmt.Errorf("%w: workspace %q", ErrNotFound, short(id))
}

// memberOf returns user's membership of w: the zero Member, whose Role is
// nil, when user is not a member.
func memberOf(w *workspace.Workspace, user string) workspace.Member {
	m, _ := w.Member(user)
	return m
}

// membersOnly is the gate of calls open to every member of a workspace
// (Workspace, Leave, Balance): no policy operation authorizes them.
const membersOnly policy.Op = 0

// gate is what a call needs before it acts in a workspace.
type gate struct {
	// op is the operation the policy must allow the actor, or membersOnly.
	op policy.Op
	// action, when set, is checked instead of op's action: Spend names
	// its action itself. name is then the call's name in a refusal.
	action *policy.Action
	name   string
	// project is the project of a project-scoped operation, or "".
	project string
	// write runs the call in a read-write transaction (run once more when
	// a concurrent request stored the same key first: see updateOnce);
	// otherwise in a read-only one.
	write bool
	// whole loads the whole workspace, every member, locked in a write;
	// part loads, locked, what one change of membership needs (loadPart):
	// the actor, touch (a member the call changes, or ""), the owner, the
	// billing contact, the first admins and the role counts. Otherwise
	// only its header and the actor's membership are read.
	whole, part bool
	touch       string
}

// in runs fn after the preamble every call acting in one workspace shares:
// it opens the transaction g asks for, loads workspace id as g asks, answers
// a non-member errNoWorkspace (as if id did not exist) and authorizes g.
// Authorization reads the loaded snapshot, inside the transaction that acts
// on it.
func (s *Service) in(ctx context.Context, actor, id string, g gate, fn func(tx storage.Tx, l *loaded) error) error {
	body := func(tx storage.Tx) error {
		l, err := s.enter(ctx, tx, actor, id, g)
		if err != nil {
			return err
		}
		return fn(tx, l)
	}
	var start time.Time
	if s.logs.on() {
		start = time.Now()
	}
	var err error
	if g.write {
		err = s.updateOnce(ctx, body)
	} else {
		err = s.view(ctx, body)
	}
	if s.logs.on() {
		s.logRefusal(ctx, actor, id, g.project, start, err)
	}
	return err
}

// enter loads what g asks of workspace id for actor and authorizes g; see in.
func (s *Service) enter(ctx context.Context, tx storage.Tx, actor, id string, g gate) (*loaded, error) {
	if g.whole || g.part {
		var l *loaded
		var err error
		if g.whole {
			l, err = s.load(ctx, tx, id)
		} else {
			l, err = s.loadPart(ctx, tx, id, actor, g.touch)
		}
		if err != nil {
			return nil, err
		}
		return l, s.authorize(l.ws, actor, g)
	}
	w, err := s.visible(ctx, tx, actor, id, g)
	if err != nil {
		return nil, err
	}
	return &loaded{ws: w}, nil
}

// visible is enter for a call that needs no other member: it reads
// workspace id's header and actor's membership, answers a non-member
// errNoWorkspace and authorizes g. Spends call it directly, in their own
// transaction, so the hot path allocates no more than it must.
func (s *Service) visible(ctx context.Context, tx storage.Tx, actor, id string, g gate) (*workspace.Workspace, error) {
	w, found, err := s.access(ctx, tx, actor, id)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errNoWorkspace(id)
	}
	return w, s.authorize(w, actor, g)
}
