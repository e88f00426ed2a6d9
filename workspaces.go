package charter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// EnsurePersonal returns user's personal workspace, creating it on the
// policy's default plan if user has none. It is idempotent, also under
// concurrent calls: every call returns the same workspace.
//
// WithID names the workspace to create. A user whose personal workspace
// exists under another ID, or an ID another workspace holds, is an error
// wrapping ErrExists; the same ID again returns the workspace.
func (s *Service) EnsurePersonal(ctx context.Context, user string, opts ...WorkspaceOption) (*workspace.Workspace, error) {
	if err := s.check(ctx, isID("user", user)); err != nil {
		return nil, err
	}
	o, err := workspaceOpts(opts)
	if err != nil {
		return nil, err
	}
	var out *workspace.Workspace
	err = s.updateOnce(ctx, func(tx storage.Tx) error {
		h, created, err := s.lockPersonal(ctx, tx, user, o.id)
		if err != nil {
			return err
		}
		if o.id != "" && h.ID != o.id {
			return fmt.Errorf("%w: %s has personal workspace %q, not %q", ErrExists, user, h.ID, o.id)
		}
		if created != nil {
			out = created
			return nil
		}
		l, err := s.load(ctx, tx, h.ID)
		if err == nil {
			out = l.ws
		}
		return err
	})
	return out, err
}

// lockPersonal returns user's personal workspace, locked, creating it on the
// default plan when user has none. The read that finds it is repeated after
// the lock, so a workspace shared meanwhile is not taken for the personal one.
// A concurrent creation of the same personal workspace makes the insert fail
// with storage.ErrExists, which updateOnce retries. A workspace it creates
// gets id, or a generated ID when id is "".
func (s *Service) lockPersonal(ctx context.Context, tx storage.Tx, user, id string) (storage.Workspace, *workspace.Workspace, error) {
	for range 3 {
		h, err := tx.PersonalWorkspace(ctx, user)
		if errors.Is(err, storage.ErrNotFound) {
			w, err := s.create(ctx, tx, id, user, "", workspace.Personal, s.policy.DefaultPlan())
			if err != nil {
				return storage.Workspace{}, nil, err
			}
			return storedHeader(w), w, nil
		}
		if err != nil {
			return storage.Workspace{}, nil, err
		}
		if h, err = tx.Workspace(ctx, h.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return storage.Workspace{}, nil, err
		}
		if err == nil && h.Kind == workspace.Personal && h.Owner == user {
			return h, nil, nil
		}
	}
	return storage.Workspace{}, nil, fmt.Errorf("charter: personal workspace of %s keeps changing: %w", user, storage.ErrConflict)
}

// CreateWorkspace creates a shared workspace owned by actor, on the plan named
// planName, or on the plan of actor's personal workspace when planName is "".
// The number of shared workspaces actor may own comes from the plan of actor's
// personal workspace (the coins policy's licences); it is created if needed,
// under a generated ID.
//
// The workspace gets a generated ID ("ws_" and 32 hex digits) unless WithID
// names one; an ID another workspace holds is an error wrapping ErrExists.
func (s *Service) CreateWorkspace(ctx context.Context, actor, name, planName string, opts ...WorkspaceOption) (*workspace.Workspace, error) {
	if err := s.check(ctx, isID("actor", actor), isName("workspace name", name), isPolicyName("plan", planName).orEmpty()); err != nil {
		return nil, err
	}
	o, err := workspaceOpts(opts)
	if err != nil {
		return nil, err
	}
	var out *workspace.Workspace
	err = s.updateOnce(ctx, func(tx storage.Tx) error {
		// Lock the licence: creations by one user, sharing their personal
		// workspace and changing its plan all take this lock, so two at
		// once cannot both pass the shared-workspace limit.
		licence, err := s.lockLicence(ctx, tx, actor)
		if err != nil {
			return err
		}
		p := licence
		if planName != "" {
			if p = s.policy.Plan(planName); p == nil {
				return invalid("unknown plan %q", short(planName))
			}
		}
		if err := s.checkSharedLimit(ctx, tx, actor, licence, 1); err != nil {
			return err
		}
		out, err = s.create(ctx, tx, o.id, actor, name, workspace.Shared, p)
		return err
	})
	return out, err
}

// lockLicence locks user's licence, the row of their personal workspace
// (making it on the default plan when they have none yet), and returns its
// plan, which says how many shared workspaces user may own.
func (s *Service) lockLicence(ctx context.Context, tx storage.Tx, user string) (*plan.Plan, error) {
	personal, _, err := s.lockPersonal(ctx, tx, user, "")
	if err != nil {
		return nil, err
	}
	licence := s.policy.Plan(personal.Plan)
	if licence == nil {
		return nil, invalid("personal workspace plan %q not in policy", personal.Plan)
	}
	return licence, nil
}

// checkSharedLimit checks that owner may own extra more shared workspaces.
func (s *Service) checkSharedLimit(ctx context.Context, tx storage.Tx, owner string, licence *plan.Plan, extra int) error {
	n, err := tx.OwnedShared(ctx, owner)
	if err != nil {
		return err
	}
	if lim := licence.Limits.SharedWorkspaces; !lim.Allows(n + extra) {
		return &LimitError{Plan: licence.Name, Limits: []Limit{{Name: "shared_workspaces", Max: int(lim), Count: n + extra}}}
	}
	return nil
}

// create makes a workspace under id, or under a generated ID when id is ""
// (a taken id is an error wrapping ErrExists), whose creator, owner, holds
// the policy's creator role for kind: the owner role where the owner exists,
// else an admin role, the workspace then having no owner
// (workspace.ErrLastAdmin).
func (s *Service) create(ctx context.Context, tx storage.Tx, id, owner, name string, kind workspace.Kind, p *plan.Plan) (*workspace.Workspace, error) {
	if id == "" {
		var err error
		if id, err = s.newID("ws_"); err != nil {
			return nil, err
		}
	} else if _, err := tx.Workspace(ctx, id); err == nil {
		return nil, fmt.Errorf("%w: workspace %q", ErrExists, id)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	now := s.clock()
	w, err := workspace.New(id, kind, p, owner, s.policy.CreatorRole(kind), now)
	if err != nil {
		return nil, invalid("%v", err)
	}
	w.Name = name
	w.Version = 1
	if err := tx.CreateWorkspace(ctx, storedHeader(w)); err != nil {
		return nil, err
	}
	m := memberOf(w, owner)
	if err := tx.PutMember(ctx, stored(id, m)); err != nil {
		return nil, err
	}
	if err := s.record(ctx, tx, id, owner, now, event{
		Type: EventWorkspaceCreated, Subject: owner,
		After: map[string]string{"kind": kind.String(), "plan": p.Name, "name": name},
	}); err != nil {
		return nil, err
	}
	if err := s.seatChange(ctx, tx, id, owner, p, nil, &m, now); err != nil {
		return nil, err
	}
	if err := s.openPools(ctx, tx, w, owner, now); err != nil {
		return nil, err
	}
	return w, nil
}

// Workspace returns the workspace with id as actor may see it: members only.
// Anyone else, and anyone asking for a workspace that does not exist, gets
// ErrNotFound.
func (s *Service) Workspace(ctx context.Context, actor, id string) (*workspace.Workspace, error) {
	if err := s.check(ctx, isID("actor", actor), isID("workspace", id)); err != nil {
		return nil, err
	}
	var out *workspace.Workspace
	err := s.in(ctx, actor, id, gate{op: membersOnly, whole: true}, func(tx storage.Tx, l *loaded) error {
		out = l.ws
		return nil
	})
	return out, err
}

// Membership is one of a user's workspaces, as listed by Workspaces.
type Membership struct {
	Workspace string
	Name      string
	Kind      workspace.Kind
	Plan      string
	Role      string
	Logo      string // the workspace's logo URL, "" for none
	// Owner reports whether user owns the workspace: holds the owner role.
	Owner bool
}

// Workspaces lists one page of the workspaces user is a member of, by ID,
// and the cursor of the next page ("" after the last).
func (s *Service) Workspaces(ctx context.Context, user string, page Page) ([]Membership, string, error) {
	if err := s.check(ctx, isID("user", user)); err != nil {
		return nil, "", err
	}
	limit, err := page.limit()
	if err != nil {
		return nil, "", err
	}
	var out []Membership
	var next string
	err = s.view(ctx, func(tx storage.Tx) error {
		ws, err := tx.WorkspacesOfPage(ctx, user, page.After, limit+1)
		if err != nil {
			return err
		}
		ws, next = nextPage(ws, limit, func(h storage.Workspace) string { return h.ID })
		for _, h := range ws {
			m, err := tx.Member(ctx, h.ID, user)
			if err != nil {
				return err
			}
			out = append(out, Membership{Workspace: h.ID, Name: h.Name, Kind: h.Kind, Plan: h.Plan, Role: m.Role, Logo: h.Logo, Owner: h.Owner == user && s.owns(m.Role)})
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// owns reports whether roleName is the policy's owner role.
func (s *Service) owns(roleName string) bool {
	r := s.policy.Role(roleName)
	return r != nil && r.Owner
}

// share turns the personal workspace of l into a shared one, where the policy
// allows it (the spaces policy); it then counts against its owner's shared workspaces.
func (s *Service) share(ctx context.Context, tx storage.Tx, l *loaded, actor string, now time.Time) error {
	w := l.ws
	if s.policy.Sharing() != policy.SharingConvert {
		return &ForbiddenError{Op: "invite", Decision: policy.Decision{Reason: policy.WrongKind, Plan: w.Plan.Name, Action: "invite", Detail: w.Kind.String(), Pos: s.policy.SharingPos()}}
	}
	if err := s.checkSharedLimit(ctx, tx, w.Owner, w.Plan, 1); err != nil {
		return err
	}
	w.Kind = workspace.Shared
	if !w.Owned() {
		// The workspace was its user's personal one, not theirs to own: a
		// shared workspace without an owner keeps admins instead.
		w.Owner = ""
	}
	if err := s.save(ctx, tx, l); err != nil {
		return err
	}
	l.header = storedHeader(w)
	for u, m := range w.Members() {
		l.members[u] = stored(w.ID, m)
	}
	if err := s.record(ctx, tx, w.ID, actor, now, event{
		Type: EventWorkspaceShared, Before: map[string]string{"kind": "personal"}, After: map[string]string{"kind": "shared"},
	}); err != nil {
		return err
	}
	return s.openPools(ctx, tx, w, actor, now)
}

// DeleteWorkspace deletes the workspace with its members, invitations and
// credit grants, where the policy allows actor to (the owner, in the coins and
// credit-pool policies). Seats are credited pro rata. The events and the credit journal stay as
// the audit trail.
func (s *Service) DeleteWorkspace(ctx context.Context, actor, id string) error {
	if err := s.check(ctx, isID("actor", actor), isID("workspace", id)); err != nil {
		return err
	}
	return s.in(ctx, actor, id, gate{op: policy.OpDeleteWorkspace, write: true, whole: true}, func(tx storage.Tx, l *loaded) error {
		w := l.ws
		now := s.clock()
		for _, u := range w.Users() {
			m := memberOf(w, u)
			if err := s.seatChange(ctx, tx, id, actor, w.Plan, &m, nil, now); err != nil {
				return err
			}
		}
		if err := s.record(ctx, tx, id, actor, now, event{
			Type: EventWorkspaceDeleted, Before: map[string]any{"name": w.Name, "plan": w.Plan.Name, "members": w.Len()},
		}); err != nil {
			return err
		}
		return tx.DeleteWorkspace(ctx, id)
	})
}
