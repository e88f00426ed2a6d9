package charter

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
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

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Invite invites email to the workspace with the role named roleName, or the
// plan's invitation role when roleName is "". Who may invite whom follows the
// policy: the invite operation, the inviter's assignable roles (nobody grants
// a role above their own) and the plan's offered roles. Pending invitations
// count against the plan's limits. Inviting into a personal workspace turns it
// into a shared one where the policy's sharing is "convert" and is forbidden
// otherwise. The returned Invitation carries the token, shown only here.
func (s *Service) Invite(ctx context.Context, actor, id, email, roleName string) (Invitation, error) {
	if err := s.check(ctx, isID("actor", actor), isID("workspace", id), isEmail(email), isPolicyName("role", roleName).orEmpty()); err != nil {
		return Invitation{}, err
	}
	return s.invite(ctx, actor, id, email, roleName, "")
}

// InviteGuest invites email as a guest of the workspace with a grant on
// project only (the team-guests policy). Guests are free of charge and see only their
// projects. To give an existing guest another project, use GrantProject.
func (s *Service) InviteGuest(ctx context.Context, actor, id, email, project string) (Invitation, error) {
	if err := s.check(ctx, isID("actor", actor), isID("workspace", id), isEmail(email), isProject(project)); err != nil {
		return Invitation{}, err
	}
	return s.invite(ctx, actor, id, email, "", project)
}

func (s *Service) invite(ctx context.Context, actor, id, email, roleName, project string) (Invitation, error) {
	email, err := canonicalEmail(email)
	if err != nil {
		return Invitation{}, err
	}
	var out Invitation
	op := policy.OpInvite
	if project != "" {
		op = policy.OpInviteGuest
	}
	err = s.in(ctx, actor, id, gate{op: op, project: project, write: true, part: true}, func(tx storage.Tx, l *loaded) error {
		w := l.ws
		var r *role.Role
		var projects []string
		switch {
		case project != "":
			if r = s.guestRole(w.Plan); r == nil {
				return s.notOffered(op.String(), w.Plan, "guest", s.opAction(op))
			}
			if w.Settings.GuestsDisabled {
				return s.guestsDisabled(op.String(), w, r)
			}
			projects = []string{project}
		case roleName == "":
			if r = w.Plan.InviteRole; r == nil {
				return invalid("plan %s has no default invitation role: name one", w.Plan.Name)
			}
		default:
			if r = s.policy.Role(roleName); r == nil {
				return invalid("unknown role %q", short(roleName))
			}
			if r.Guest {
				return invalid("role %s is a guest role: use InviteGuest with a project", r.Name)
			}
		}
		if err := s.mayAssign(w, actor, r, op); err != nil {
			return err
		}
		now := s.clock()
		var err error
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
// the plan's link role (the team-guests policy: Member on Business, Admin on Starter).
// Its remaining uses count against the plan's limits like pending
// invitations.
func (s *Service) CreateLink(ctx context.Context, actor, id string, maxUses int, ttl time.Duration) (Invitation, error) {
	if err := s.check(ctx, isID("actor", actor), isID("workspace", id)); err != nil {
		return Invitation{}, err
	}
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
	err := s.in(ctx, actor, id, gate{op: policy.OpInvite, write: true, part: true}, func(tx storage.Tx, l *loaded) error {
		w := l.ws
		r := w.Plan.LinkRole
		if r == nil {
			return &ForbiddenError{Op: "link", Decision: policy.Decision{Reason: policy.PlanLacksFeature, Plan: w.Plan.Name, Action: "invitation links", Pos: s.policy.PlanPos(w.Plan)}}
		}
		if err := s.mayAssign(w, actor, r, policy.OpInvite); err != nil {
			return err
		}
		now := s.clock()
		var err error
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

// Invitations lists one page of the workspace's invitations, by creation
// then ID, for those the policy lets invite, and the cursor of the next
// page ("" after the last). It lists every invitation not pruned (see
// PruneInvitations): pending, accepted, revoked and expired.
func (s *Service) Invitations(ctx context.Context, actor, id string, page Page) ([]Invitation, string, error) {
	if err := s.check(ctx, isID("actor", actor), isID("workspace", id)); err != nil {
		return nil, "", err
	}
	limit, err := page.limit()
	if err != nil {
		return nil, "", err
	}
	after, err := invitationsAfter(page.After)
	if err != nil {
		return nil, "", err
	}
	var out []Invitation
	var next string
	err = s.in(ctx, actor, id, gate{op: policy.OpInvite}, func(tx storage.Tx, l *loaded) error {
		invs, err := tx.Invitations(ctx, id, after, limit+1)
		if err != nil {
			return err
		}
		invs, next = nextPage(invs, limit, invitationCursor)
		out = make([]Invitation, len(invs))
		for i, inv := range invs {
			out[i] = invitation(inv)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// Revoke revokes an invitation or link so it can no longer be used.
func (s *Service) Revoke(ctx context.Context, actor, id, invitationID string) error {
	if err := s.check(ctx, isID("actor", actor), isID("workspace", id), isID("invitation", invitationID)); err != nil {
		return err
	}
	return s.in(ctx, actor, id, gate{op: policy.OpInvite, write: true, part: true}, func(tx storage.Tx, l *loaded) error {
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
// invited one by the rule of canonicalEmail (ASCII letters case-insensitively,
// every other character exactly; an address not in Unicode NFC is refused);
// it is compared first, so a mismatch is ErrForbidden whatever the
// invitation's state, and the holder of another's token learns nothing of it. The expiry, revocation, uses, the plan's
// limits and that the role is still offered are checked again now, under the
// workspace's lock, as is the inviter's authority: an invitation whose
// inviter has left, or may no longer invite or assign its role, is
// ErrInvitationRevoked. A link gives the plan's link role as of now. A guest
// invitation accepted by an existing guest adds the project to their grants.
// Returns the workspace joined, as the change read it: partial
// (workspace.Workspace.Whole is false), holding user, the inviter, the owner,
// the billing contact and the first admins, and counting every member; use
// Workspace or Members to list them all.
func (s *Service) Accept(ctx context.Context, user, email, token string) (*workspace.Workspace, error) {
	if err := s.check(ctx, isID("user", user), isEmail(email).orEmpty(), isToken(token)); err != nil {
		return nil, err
	}
	// The address is compared before anything of the invitation's state
	// is told, so the holder of another's token learns nothing of it.
	canon := ""
	if email != "" {
		canon, _ = canonicalEmail(email) // the gate checked it
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
		l, err := s.loadPart(ctx, tx, found.Workspace, user, found.Inviter)
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
		case !inv.Link && (canon == "" || canon != inv.Email):
			return fmt.Errorf("%w: the invitation was sent to another address", ErrForbidden)
		case inv.Revoked:
			return ErrInvitationRevoked
		case inv.Uses >= inv.MaxUses:
			return ErrInvitationUsed
		case !now.Before(inv.Expires):
			return ErrInvitationExpired
		}
		w := l.ws
		r := s.policy.Role(inv.Role)
		if inv.Link {
			// A link gives the plan's link role as of joining (the team-guests policy:
			// Member on Business, Admin on Starter), whatever the plan was
			// when the link was made.
			r = w.Plan.LinkRole
		}
		if r == nil || !w.Plan.Offers(r) {
			return s.notOffered("accept", w.Plan, inv.Role, "")
		}
		if r.Guest && w.Settings.GuestsDisabled {
			return s.guestsDisabled("accept", w, r)
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

// inviterMay checks that the invitation's inviter may still grant r: an
// invitation carries its inviter's authority, and an inviter who left, or
// whose role may no longer invite or assign r, has none to lend. Such an
// invitation is refused as revoked.
func (s *Service) inviterMay(w *workspace.Workspace, inv storage.Invitation, r *role.Role) error {
	op, project := policy.OpInvite, ""
	if len(inv.Projects) > 0 {
		op, project = policy.OpInviteGuest, inv.Projects[0]
	}
	if s.authorize(w, inv.Inviter, gate{op: op, project: project}) != nil || s.mayAssign(w, inv.Inviter, r, op) != nil {
		return fmt.Errorf("%w: %s may no longer invite as %s", ErrInvitationRevoked, inv.Inviter, r.Name)
	}
	return nil
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
