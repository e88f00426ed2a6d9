package charter

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"

	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/role"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// Invitation is an invitation by email, to the workspace or (for a guest) to
// projects, or a shareable link.
type Invitation struct {
	ID        string
	Workspace string
	Link      bool
	Email     string // the invited address; empty for links
	Role      string
	Projects  []string // a guest invitation's projects
	Inviter   string
	Created   time.Time
	Expires   time.Time
	MaxUses   int
	Uses      int
	Revoked   bool
	// Token is the secret to deliver to the invitee: 256 bits from
	// crypto/rand, set only in the value returned when the invitation is
	// created. Only its SHA-256 hash is stored.
	Token string
}

func invitation(inv storage.Invitation) Invitation {
	return Invitation{
		ID: inv.ID, Workspace: inv.Workspace, Link: inv.Link, Email: inv.Email, Role: inv.Role,
		Projects: inv.Projects, Inviter: inv.Inviter, Created: inv.Created, Expires: inv.Expires,
		MaxUses: inv.MaxUses, Uses: inv.Uses, Revoked: inv.Revoked,
	}
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// pending counts w's members plus what its pending invitations would add,
// leaving out the invitation with ID except.
func (s *Service) pending(ctx context.Context, tx storage.Tx, w *workspace.Workspace, except string) (workspace.Counts, error) {
	c := w.Counts()
	invs, err := tx.PendingInvitations(ctx, w.ID, s.clock())
	if err != nil {
		return c, err
	}
	for _, inv := range invs {
		if inv.ID != except {
			c.Add(s.policy.Role(inv.Role), inv.MaxUses-inv.Uses)
		}
	}
	return c, nil
}

// checkLimits checks that adding n holders of r to w keeps it, with its
// pending invitations, within its plan's limits.
func (s *Service) checkLimits(ctx context.Context, tx storage.Tx, w *workspace.Workspace, r *role.Role, n int, except string) error {
	c, err := s.pending(ctx, tx, w, except)
	if err != nil {
		return err
	}
	before := c
	c.Add(r, n)
	return limitError(w.Plan, before, c)
}

// limitError reports each limit of p that after exceeds and that grew from
// before; a count already over a limit (after a policy change) does not block
// changes that do not add to it.
func limitError(p *plan.Plan, before, after workspace.Counts) error {
	var ls []Limit
	check := func(name string, lim plan.Limit, b, a int) {
		if a > b && !lim.Allows(a) {
			ls = append(ls, Limit{Name: name, Max: int(lim), Count: a})
		}
	}
	check("members", p.Limits.Members, before.Members, after.Members)
	check("seats", p.Limits.Seats, before.Seats, after.Seats)
	check("guests", p.Limits.Guests, before.Guests, after.Guests)
	if len(ls) > 0 {
		return &LimitError{Plan: p.Name, Limits: ls}
	}
	return nil
}

// mayAssign checks that actor may give role r in w: actor's role assigns it,
// it is not above actor's rank, and w's plan offers it.
func mayAssign(w *workspace.Workspace, actor string, r *role.Role, op policy.Op) error {
	a := w.Role(actor)
	if !a.MayAssign(r) {
		return &ForbiddenError{Op: op.String(), Decision: policy.Decision{
			Reason: policy.RoleLacksAction, Role: a.Name, Plan: w.Plan.Name, Action: "assign " + r.Name,
		}}
	}
	if !w.Plan.Offers(r) {
		return &ForbiddenError{Op: op.String(), Decision: policy.Decision{
			Reason: policy.RoleNotOffered, Role: r.Name, Plan: w.Plan.Name, Action: "assign " + r.Name,
		}}
	}
	return nil
}

// Invite invites email to the workspace with the role named roleName, or the
// plan's invitation role when roleName is "". Who may invite whom follows the
// policy: the invite operation, the inviter's assignable roles (nobody grants
// a role above their own) and the plan's offered roles. Pending invitations
// count against the plan's limits. Inviting into a personal workspace turns it
// into a shared one where the policy's sharing is "convert" and is forbidden
// otherwise. The returned Invitation carries the token, shown only here.
func (s *Service) Invite(ctx context.Context, actor, id, email, roleName string) (Invitation, error) {
	return s.invite(ctx, actor, id, email, roleName, "")
}

// InviteGuest invites email as a guest of the workspace with a grant on
// project only (seed 003). Guests are free of charge and see only their
// projects. To give an existing guest another project, use GrantProject.
func (s *Service) InviteGuest(ctx context.Context, actor, id, email, project string) (Invitation, error) {
	if project == "" {
		return Invitation{}, invalid("guest invitation needs a project")
	}
	return s.invite(ctx, actor, id, email, "", project)
}

func (s *Service) invite(ctx context.Context, actor, id, email, roleName, project string) (Invitation, error) {
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" {
		return Invitation{}, invalid("bad email address %q", email)
	}
	email = strings.ToLower(addr.Address)
	var out Invitation
	err = s.update(ctx, func(tx storage.Tx) error {
		l, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		w := l.ws
		op := policy.OpInvite
		if project != "" {
			op = policy.OpInviteGuest
		}
		if err := s.authorize(w, actor, op, project); err != nil {
			return err
		}
		var r *role.Role
		var projects []string
		switch {
		case project != "":
			if r = s.guestRole(w.Plan); r == nil {
				return &ForbiddenError{Op: op.String(), Decision: policy.Decision{Reason: policy.RoleNotOffered, Plan: w.Plan.Name, Action: "guest"}}
			}
			if w.Settings.GuestsDisabled {
				return &ForbiddenError{Op: op.String(), Decision: policy.Decision{Reason: policy.GuestsDisabled, Plan: w.Plan.Name}}
			}
			projects = []string{project}
		case roleName == "":
			if r = w.Plan.InviteRole; r == nil {
				return invalid("plan %s has no default invitation role: name one", w.Plan.Name)
			}
		default:
			if r = s.policy.Role(roleName); r == nil {
				return invalid("unknown role %q", roleName)
			}
			if r.Guest {
				return invalid("role %s is a guest role: use InviteGuest with a project", r.Name)
			}
		}
		if err := mayAssign(w, actor, r, op); err != nil {
			return err
		}
		now := s.clock()
		out, err = s.createInvitation(ctx, tx, l, actor, storage.Invitation{
			Email: email, Role: r.Name, Projects: projects, MaxUses: 1, Expires: now.Add(s.ttl),
		}, now)
		return err
	})
	return out, err
}

// guestRole returns the first guest role p offers.
func (s *Service) guestRole(p *plan.Plan) *role.Role {
	for _, r := range s.policy.Roles() {
		if r.Guest && p.Offers(r) {
			return r
		}
	}
	return nil
}

// CreateLink creates a shareable invitation link usable maxUses times until
// ttl passes (the Service's invitation TTL when zero). Joining through it gives
// the plan's link role (seed 003: Member on Business, Admin on Starter).
// Its remaining uses count against the plan's limits like pending
// invitations.
func (s *Service) CreateLink(ctx context.Context, actor, id string, maxUses int, ttl time.Duration) (Invitation, error) {
	if maxUses < 1 || maxUses > 10000 {
		return Invitation{}, invalid("link uses %d outside 1..10000", maxUses)
	}
	if ttl < 0 {
		return Invitation{}, invalid("negative link TTL")
	}
	if ttl == 0 {
		ttl = s.ttl
	}
	var out Invitation
	err := s.update(ctx, func(tx storage.Tx) error {
		l, err := s.loadFor(ctx, tx, id, actor, policy.OpInvite, "")
		if err != nil {
			return err
		}
		w := l.ws
		r := w.Plan.LinkRole
		if r == nil {
			return &ForbiddenError{Op: "link", Decision: policy.Decision{Reason: policy.PlanLacksFeature, Plan: w.Plan.Name, Action: "invitation links"}}
		}
		if err := mayAssign(w, actor, r, policy.OpInvite); err != nil {
			return err
		}
		now := s.clock()
		out, err = s.createInvitation(ctx, tx, l, actor, storage.Invitation{
			Link: true, Role: r.Name, MaxUses: maxUses, Expires: now.Add(ttl),
		}, now)
		return err
	})
	return out, err
}

// createInvitation completes inv, checks limits (converting a personal
// workspace where the policy says so) and stores it with its event.
func (s *Service) createInvitation(ctx context.Context, tx storage.Tx, l *loaded, actor string, inv storage.Invitation, now time.Time) (Invitation, error) {
	w := l.ws
	if w.Kind == workspace.Personal {
		if err := s.share(ctx, tx, l, actor, now); err != nil {
			return Invitation{}, err
		}
	}
	r := s.policy.Role(inv.Role)
	if err := s.checkLimits(ctx, tx, w, r, inv.MaxUses, ""); err != nil {
		return Invitation{}, err
	}
	var secret [32]byte
	if _, err := io.ReadFull(s.rand, secret[:]); err != nil {
		return Invitation{}, fmt.Errorf("charter: reading random bits: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(secret[:])
	id, err := s.newID("inv_")
	if err != nil {
		return Invitation{}, err
	}
	inv.ID, inv.Workspace, inv.Inviter, inv.Created, inv.TokenHash = id, w.ID, actor, now, hashToken(token)
	if err := tx.CreateInvitation(ctx, inv); err != nil {
		return Invitation{}, err
	}
	if err := s.record(ctx, tx, w.ID, actor, now, event{
		Type: EventInvitationCreated, Subject: id,
		After: map[string]any{"email": inv.Email, "role": inv.Role, "projects": inv.Projects, "link": inv.Link, "max_uses": inv.MaxUses, "expires": inv.Expires},
	}); err != nil {
		return Invitation{}, err
	}
	out := invitation(inv)
	out.Token = token
	return out, nil
}

// share turns the personal workspace of l into a shared one, where the policy
// allows it (seed 000); it then counts against its owner's shared workspaces.
func (s *Service) share(ctx context.Context, tx storage.Tx, l *loaded, actor string, now time.Time) error {
	w := l.ws
	if s.policy.Sharing() != policy.SharingConvert {
		return &ForbiddenError{Op: "invite", Decision: policy.Decision{Reason: policy.WrongKind, Plan: w.Plan.Name, Action: "invite into a personal workspace"}}
	}
	if err := s.checkSharedLimit(ctx, tx, w.Owner, w.Plan, 1); err != nil {
		return err
	}
	w.Kind = workspace.Shared
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

// Invitations lists the workspace's invitations, for those who may invite.
func (s *Service) Invitations(ctx context.Context, actor, id string) ([]Invitation, error) {
	var out []Invitation
	err := s.view(ctx, func(tx storage.Tx) error {
		w, err := s.visible(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if err := s.authorize(w, actor, policy.OpInvite, ""); err != nil {
			return err
		}
		invs, err := tx.Invitations(ctx, id)
		for _, inv := range invs {
			out = append(out, invitation(inv))
		}
		return err
	})
	return out, err
}

// Revoke revokes an invitation or link so it can no longer be used.
func (s *Service) Revoke(ctx context.Context, actor, id, invitationID string) error {
	return s.update(ctx, func(tx storage.Tx) error {
		l, err := s.loadFor(ctx, tx, id, actor, policy.OpInvite, "")
		if err != nil {
			return err
		}
		inv, err := tx.Invitation(ctx, id, invitationID)
		if err != nil {
			return err
		}
		if inv.Revoked {
			return nil
		}
		inv.Revoked = true
		if err := tx.UpdateInvitation(ctx, inv); err != nil {
			return err
		}
		if err := s.record(ctx, tx, id, actor, s.clock(), event{Type: EventInvitationRevoked, Subject: inv.ID}); err != nil {
			return err
		}
		// The workspace is unchanged, but its version orders this revocation
		// against concurrent acceptances.
		return s.save(ctx, tx, l)
	})
}

// Accept makes user a member through the invitation or link with token. For
// an email invitation, email must be the user's verified address and match the
// invited one (case-insensitively). The expiry, revocation, uses, the plan's
// limits and that the role is still offered are checked again now, under the
// workspace's lock, as is the inviter's authority: an invitation whose
// inviter has left, or may no longer invite or assign its role, is
// ErrInvitationRevoked. A link gives the plan's link role as of now. A guest
// invitation accepted by an existing guest adds the project to their grants.
// Returns the workspace joined.
func (s *Service) Accept(ctx context.Context, user, email, token string) (*workspace.Workspace, error) {
	if err := checkID("user", user); err != nil {
		return nil, err
	}
	if token == "" {
		return nil, invalid("accept needs a token")
	}
	var out *workspace.Workspace
	err := s.update(ctx, func(tx storage.Tx) error {
		found, err := tx.InvitationByToken(ctx, hashToken(token))
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("%w: invitation", ErrNotFound)
		}
		if err != nil {
			return err
		}
		// Lock the workspace, then read the invitation again: revocations
		// and other acceptances take the same lock, so this copy is
		// current, and a single-use invitation is used once.
		l, err := s.load(ctx, tx, found.Workspace)
		if err != nil {
			return err
		}
		inv, err := tx.Invitation(ctx, found.Workspace, found.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("%w: invitation", ErrNotFound)
		}
		if err != nil {
			return err
		}
		now := s.clock()
		switch {
		case inv.Revoked:
			return ErrInvitationRevoked
		case inv.Uses >= inv.MaxUses:
			return ErrInvitationUsed
		case !now.Before(inv.Expires):
			return ErrInvitationExpired
		case !inv.Link && !strings.EqualFold(strings.TrimSpace(email), inv.Email):
			return fmt.Errorf("%w: the invitation was sent to another address", ErrForbidden)
		}
		w := l.ws
		r := s.policy.Role(inv.Role)
		if inv.Link {
			// A link gives the plan's link role as of joining (seed 003:
			// Member on Business, Admin on Starter), whatever the plan was
			// when the link was made.
			r = w.Plan.LinkRole
		}
		if r == nil || !w.Plan.Offers(r) {
			return &ForbiddenError{Op: "accept", Decision: policy.Decision{Reason: policy.RoleNotOffered, Role: inv.Role, Plan: w.Plan.Name}}
		}
		if r.Guest && w.Settings.GuestsDisabled {
			return &ForbiddenError{Op: "accept", Decision: policy.Decision{Reason: policy.GuestsDisabled, Role: inv.Role, Plan: w.Plan.Name}}
		}
		if err := s.inviterMay(w, inv, r); err != nil {
			return err
		}
		var ev event
		if m, ok := w.Member(user); ok {
			if !r.Guest || !m.Role.Guest {
				return invalid("%s is already a member", user)
			}
			if err := w.Grant(user, inv.Projects...); err != nil {
				return invalid("%v", err)
			}
			ev = event{Type: EventGuestGranted, Subject: user, Before: memberState{Role: m.Role.Name, Projects: m.Projects},
				After: memberState{Role: m.Role.Name, Projects: memberOf(w, user).Projects}}
		} else {
			if err := s.checkLimits(ctx, tx, w, r, 1, inv.ID); err != nil {
				return err
			}
			if err := w.Add(user, r, inv.Projects, now); err != nil {
				return invalid("%v", err)
			}
			ev = event{Type: EventMemberAdded, Subject: user, After: memberState{Role: r.Name, Projects: inv.Projects}}
		}
		inv.Uses++
		if err := tx.UpdateInvitation(ctx, inv); err != nil {
			return err
		}
		if err := s.save(ctx, tx, l); err != nil {
			return err
		}
		if err := s.record(ctx, tx, w.ID, user, now, ev); err != nil {
			return err
		}
		if ev.Type == EventMemberAdded {
			m := memberOf(w, user)
			if err := s.seatChange(ctx, tx, w.ID, user, w.Plan, nil, &m, now); err != nil {
				return err
			}
		}
		out = w
		return nil
	})
	return out, err
}

// checkRecipientLicence checks that user may own one more shared workspace
// under their licence: the plan of their personal workspace, locked as
// CreateWorkspace locks it, or the default plan when they have none yet.
func (s *Service) checkRecipientLicence(ctx context.Context, tx storage.Tx, user string) error {
	// A recipient without a personal workspace gets one on the default
	// plan: its row is the licence every change of user's shared
	// workspaces locks.
	licence, err := s.lockLicence(ctx, tx, user)
	if err != nil {
		return err
	}
	return s.checkSharedLimit(ctx, tx, user, licence, 1)
}

// inviterMay checks that the invitation's inviter may still grant r: an
// invitation carries its inviter's authority, and an inviter who left, or
// whose role may no longer invite or assign r, has none to lend. Such an
// invitation is refused as revoked.
func (s *Service) inviterMay(w *workspace.Workspace, inv storage.Invitation, r *role.Role) error {
	op, project := policy.OpInvite, ""
	if len(inv.Projects) > 0 {
		op, project = policy.OpInviteGuest, inv.Projects[0]
	}
	if s.authorize(w, inv.Inviter, op, project) != nil || mayAssign(w, inv.Inviter, r, op) != nil {
		return fmt.Errorf("%w: %s may no longer invite as %s", ErrInvitationRevoked, inv.Inviter, r.Name)
	}
	return nil
}

// GrantProject gives an existing guest access to one more project.
func (s *Service) GrantProject(ctx context.Context, actor, id, user, project string) error {
	if project == "" {
		return invalid("empty project")
	}
	return s.update(ctx, func(tx storage.Tx) error {
		l, err := s.loadFor(ctx, tx, id, actor, policy.OpInviteGuest, project)
		if err != nil {
			return err
		}
		w := l.ws
		m, ok := w.Member(user)
		if !ok {
			return fmt.Errorf("%w: member %q", ErrNotFound, user)
		}
		if w.Settings.GuestsDisabled {
			return &ForbiddenError{Op: policy.OpInviteGuest.String(), Decision: policy.Decision{Reason: policy.GuestsDisabled, Plan: w.Plan.Name}}
		}
		if m.OnProject(project) {
			return nil
		}
		if err := w.Grant(user, project); err != nil {
			return invalid("%v", err)
		}
		if err := s.save(ctx, tx, l); err != nil {
			return err
		}
		return s.record(ctx, tx, id, actor, s.clock(), event{Type: EventGuestGranted, Subject: user,
			Before: memberState{Role: m.Role.Name, Projects: m.Projects}, After: memberState{Role: m.Role.Name, Projects: memberOf(w, user).Projects}})
	})
}

// ChangeRole gives user the role named roleName. Only roles the policy allows
// change roles; the owner's role never changes this way (transfer ownership
// instead); nobody changes their own role, so admins cannot demote
// themselves; nobody assigns a role above their own, one their role may not
// assign, or one the plan does not offer, nor changes a member of higher rank.
// A guest promoted to a member role loses their project grants and reaches
// every project. A member moved to a role that does not spend credits loses
// their allowances (seed 004).
func (s *Service) ChangeRole(ctx context.Context, actor, id, user, roleName string) error {
	r := s.policy.Role(roleName)
	if r == nil {
		return invalid("unknown role %q", roleName)
	}
	return s.update(ctx, func(tx storage.Tx) error {
		l, err := s.loadFor(ctx, tx, id, actor, policy.OpChangeRole, "")
		if err != nil {
			return err
		}
		w := l.ws
		before, ok := w.Member(user)
		switch {
		case !ok:
			return fmt.Errorf("%w: member %q", ErrNotFound, user)
		case user == w.Owner:
			return invalid("the owner's role changes only by ownership transfer")
		case r.Owner:
			return invalid("ownership moves only by transfer")
		case user == actor:
			return invalid("members cannot change their own role")
		case before.Role == r:
			return nil
		case r.Guest:
			return invalid("a member becomes a guest only by removal and a guest invitation")
		}
		ar := w.Role(actor)
		if !ar.MayManage(before.Role) {
			return &ForbiddenError{Op: policy.OpChangeRole.String(), Decision: policy.Decision{Reason: policy.RoleLacksAction, Role: ar.Name, Plan: w.Plan.Name, Action: "manage " + before.Role.Name}}
		}
		if err := mayAssign(w, actor, r, policy.OpChangeRole); err != nil {
			return err
		}
		// Members plus pending invitations, before and after the change.
		pc, err := s.pending(ctx, tx, w, "")
		if err != nil {
			return err
		}
		pa := pc
		pa.Add(before.Role, -1)
		pa.Add(r, 1)
		if err := limitError(w.Plan, pc, pa); err != nil {
			return err
		}
		now := s.clock()
		if err := w.SetRole(user, r, nil, now); err != nil {
			return invalid("%v", err)
		}
		if w.BillingContact == user && !r.Admin {
			w.BillingContact = w.Owner
		}
		if err := s.save(ctx, tx, l); err != nil {
			return err
		}
		afterM := memberOf(w, user)
		if err := s.record(ctx, tx, id, actor, now, event{Type: EventMemberRoleChanged, Subject: user,
			Before: memberState{Role: before.Role.Name, Projects: before.Projects}, After: memberState{Role: r.Name}}); err != nil {
			return err
		}
		if err := s.seatChange(ctx, tx, id, actor, w.Plan, &before, &afterM, now); err != nil {
			return err
		}
		if !r.Spends {
			return s.dropAllowances(ctx, tx, id, user)
		}
		return nil
	})
}

// Remove removes user from the workspace; for a guest, from all their
// projects at once. The owner cannot be removed, nor a member of higher rank
// than the actor. Removing oneself is leaving.
func (s *Service) Remove(ctx context.Context, actor, id, user string) error {
	if actor == user {
		return s.Leave(ctx, user, id)
	}
	return s.update(ctx, func(tx storage.Tx) error {
		l, err := s.loadFor(ctx, tx, id, actor, policy.OpRemove, "")
		if err != nil {
			return err
		}
		w := l.ws
		m, ok := w.Member(user)
		switch {
		case !ok:
			return fmt.Errorf("%w: member %q", ErrNotFound, user)
		case user == w.Owner:
			return invalid("the owner cannot be removed")
		}
		if ar := w.Role(actor); !ar.MayManage(m.Role) {
			return &ForbiddenError{Op: policy.OpRemove.String(), Decision: policy.Decision{Reason: policy.RoleLacksAction, Role: ar.Name, Plan: w.Plan.Name, Action: "manage " + m.Role.String()}}
		}
		return s.removeMember(ctx, tx, l, actor, user, EventMemberRemoved)
	})
}

// Leave ends user's own membership. The owner cannot leave without first
// transferring ownership.
func (s *Service) Leave(ctx context.Context, user, id string) error {
	return s.update(ctx, func(tx storage.Tx) error {
		l, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, ok := l.ws.Member(user); !ok {
			return errNoWorkspace(id)
		}
		if user == l.ws.Owner {
			return invalid("the owner cannot leave: transfer ownership first")
		}
		return s.removeMember(ctx, tx, l, user, user, EventMemberLeft)
	})
}

func (s *Service) removeMember(ctx context.Context, tx storage.Tx, l *loaded, actor, user, typ string) error {
	w := l.ws
	m, err := w.Remove(user)
	if err != nil {
		return invalid("%v", err)
	}
	if err := s.save(ctx, tx, l); err != nil {
		return err
	}
	now := s.clock()
	if err := s.record(ctx, tx, w.ID, actor, now, event{Type: typ, Subject: user, Before: memberState{Role: m.Role.String(), Projects: m.Projects}}); err != nil {
		return err
	}
	if err := s.seatChange(ctx, tx, w.ID, actor, w.Plan, &m, nil, now); err != nil {
		return err
	}
	return s.dropAllowances(ctx, tx, w.ID, user)
}

// TransferOwnership makes the admin to the owner, atomically: the previous
// owner takes to's admin role, and nothing else changes (seed 004). Only the
// current owner may transfer, where the policy allows it. A shared workspace
// moves only to someone whose licence allows one more (ErrLimitExceeded).
func (s *Service) TransferOwnership(ctx context.Context, actor, id, to string) error {
	return s.updateOnce(ctx, func(tx storage.Tx) error {
		l, err := s.loadFor(ctx, tx, id, actor, policy.OpTransferOwnership, "")
		if err != nil {
			return err
		}
		w := l.ws
		if actor != w.Owner {
			return &ForbiddenError{Op: policy.OpTransferOwnership.String(), Decision: policy.Decision{Reason: policy.RoleLacksAction, Role: w.Role(actor).Name, Plan: w.Plan.Name, Action: "transfer ownership (owner only)"}}
		}
		oldOwner, target := memberOf(w, actor), memberOf(w, to)
		if w.Kind == workspace.Shared && target.Role != nil {
			if err := s.checkRecipientLicence(ctx, tx, to); err != nil {
				return err
			}
		}
		now := s.clock()
		if err := w.Transfer(to, now); err != nil {
			if errors.Is(err, workspace.ErrNotMember) {
				return fmt.Errorf("%w: member %q", ErrNotFound, to)
			}
			return invalid("%v", err)
		}
		if err := s.save(ctx, tx, l); err != nil {
			return err
		}
		if err := s.record(ctx, tx, id, actor, now, event{Type: EventOwnerTransferred, Subject: to,
			Before: map[string]string{"owner": actor}, After: map[string]string{"owner": to}}); err != nil {
			return err
		}
		newOld, newTarget := memberOf(w, actor), memberOf(w, to)
		if err := s.seatChange(ctx, tx, id, actor, w.Plan, &oldOwner, &newOld, now); err != nil {
			return err
		}
		return s.seatChange(ctx, tx, id, actor, w.Plan, &target, &newTarget, now)
	})
}
